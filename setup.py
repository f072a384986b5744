"""Install aclnet_plugin, the ACLNet plugin for MMAction2 1.x."""
import os
import os.path as osp

from setuptools import find_packages, setup


def read_version():
    scope = {}
    with open(osp.join('aclnet_plugin', 'version.py')) as f:
        exec(f.read(), scope)
    return scope['__version__']


def mmcv_requirement():
    """mmcv-lite 2.1 (pure Python), unless a full mmcv is installed.

    A GPU user's compiled ``mmcv`` (< 2.2, which mmaction2 1.2 asserts) must
    not be shadowed by mmcv-lite, which installs the same ``mmcv`` package.
    Detection needs ``pip install --no-build-isolation``; set
    ``ACLNET_MMCV=full`` or ``lite`` to decide by hand.
    """
    choice = os.environ.get('ACLNET_MMCV')
    if choice is None:
        try:
            from importlib.metadata import PackageNotFoundError, version
            version('mmcv')
            choice = 'full'
        except PackageNotFoundError:
            choice = 'lite'
    if choice == 'full':
        return 'mmcv>=2.0.0,<2.2.0'
    return 'mmcv-lite==2.1.0'


setup(
    name='aclnet_plugin',
    version=read_version(),
    description='ACLNet (Affinity Contrastive Learning) for skeleton-based '
    'action recognition, as an MMAction2 1.x plugin',
    long_description=open('README.md').read(),
    long_description_content_type='text/markdown',
    python_requires='>=3.8',
    packages=find_packages(include=['aclnet_plugin', 'aclnet_plugin.*']),
    # torch is taken as installed (mmaction2 requires it); install the build
    # for your machine first, e.g. `pip install torch==2.13.0`.
    install_requires=[
        'mmengine>=0.10.0,<0.11',
        mmcv_requirement(),
        'mmaction2==1.2.0',
        'openmim==0.3.9',
        'importlib_metadata',
        'setuptools<81',
        'numpy',
        'matplotlib',
        # tools/analysis: t-SNE (tsne.py) and the Motion Family graph
        # (families.py)
        'scikit-learn',
        'networkx',
    ],
    # `pip install -e .[tensorboard]` for mmengine's TensorboardVisBackend
    # (about 20 MB with grpcio and protobuf, so not a default requirement)
    extras_require={
        'tests': ['pytest', 'pytest-xdist'],
        'tensorboard': ['tensorboard']
    },
    license='Apache License 2.0',
    zip_safe=False)
