"""Shared fixtures: a tiny demo dataset and configs derived from the demo one."""
import os
import os.path as osp
import subprocess
import sys

import pytest
import torch

import aclnet_plugin  # noqa: F401  (compat fixes, registration)
from mmaction.utils import register_all_modules

register_all_modules(init_default_scope=True)
# Tiny tensors: one thread is faster than two, and immune to a busy machine.
torch.set_num_threads(1)

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
DEMO_CONFIG = osp.join(
    REPO, 'configs', 'aclnet',
    'aclnet_stgcnpp_1xb16-joint-u32-24e_demo-keypoint-3d.py')
HELPERS = osp.join(REPO, 'tests', 'helpers')


@pytest.fixture(scope='session')
def tiny_dataset(tmp_path_factory):
    """A small demo pickle (12 classes) and its class-name file."""
    from aclnet_plugin.datasets import DEMO_CLASSES, write_demo_dataset
    root = tmp_path_factory.mktemp('tiny_demo')
    ann_file = str(root / 'tiny.pkl')
    write_demo_dataset(
        ann_file, seed=1, num_train_per_class=4, num_test_per_class=2)
    names = str(root / 'classes.txt')
    with open(names, 'w') as f:
        f.write('\n'.join(DEMO_CLASSES) + '\n')
    return dict(ann_file=ann_file, class_names=names)


def tiny_config(dataset, work_dir, max_epochs=2, start_epoch=1, **options):
    """The demo config shrunk for tests, as an mmengine Config."""
    from mmengine.config import Config
    cfg = Config.fromfile(DEMO_CONFIG)
    cfg.work_dir = str(work_dir)
    num_workers = options.pop('num_workers', 1)
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        cfg[loader].dataset.ann_file = dataset['ann_file']
        cfg[loader].num_workers = num_workers
        cfg[loader].persistent_workers = False
    cfg.train_cfg.max_epochs = max_epochs
    cfg.train_cfg.val_interval = max_epochs
    # explicit end: stopping early (max_epochs) must not shorten the schedule
    cfg.param_scheduler[0].T_max = max_epochs
    cfg.param_scheduler[0].end = max_epochs
    cfg.default_hooks.checkpoint = dict(
        type='CheckpointHook', interval=1, max_keep_ckpts=-1)
    cfg.default_hooks.logger.interval = 1
    cfg.model.backbone.base_channels = 8
    cfg.model.cls_head.in_channels = 32
    cfg.model.cls_head.memory_size = 32
    cfg.custom_hooks[0].start_epoch = start_epoch
    cfg.custom_hooks[0].class_names = dataset['class_names']
    cfg.merge_from_dict(options)
    return cfg


def dump_config(cfg, path):
    cfg.dump(str(path))
    return str(path)


def run(cmd, cwd, env=None, timeout=600):
    """Run a command; on failure show its output in the test report."""
    full_env = dict(os.environ)
    full_env['PYTHONPATH'] = os.pathsep.join(
        [HELPERS, full_env.get('PYTHONPATH', '')])
    full_env.setdefault('OMP_NUM_THREADS', '1')
    full_env.update(env or {})
    proc = subprocess.run(
        cmd, cwd=cwd, env=full_env, capture_output=True, text=True,
        timeout=timeout)
    assert proc.returncode == 0, (
        f'{" ".join(cmd)} failed ({proc.returncode}):\n'
        f'{proc.stdout[-4000:]}\n{proc.stderr[-6000:]}')
    return proc


def bin_path(name):
    """A console script of this interpreter's environment (mim, torchrun)."""
    return osp.join(osp.dirname(sys.executable), name)
