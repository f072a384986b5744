"""Shared fixtures: a tiny demo dataset and configs derived from the demo one,
tools loaded by path, and the real datasets of ``../shared``."""
import gc
import importlib.util
import itertools
import os
import os.path as osp
import pickle
import subprocess
import sys

import mmengine.config.config
import pytest
import torch

import aclnet_plugin  # noqa: F401  (compat fixes, registration)
from helpers import sitecustomize
from mmaction.utils import register_all_modules

register_all_modules(init_default_scope=True)
# Tiny tensors: one thread is faster than two, and immune to a busy machine.
torch.set_num_threads(1)

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
DEMO_CONFIG = osp.join(
    REPO, 'configs', 'aclnet',
    'aclnet_stgcnpp-tiny_1xb16-joint-motion-u24-28e_demo-keypoint-3d.py')
HELPERS = osp.join(REPO, 'tests', 'helpers')
# No yapf formatting of configs (helpers/sitecustomize.py), here and in
# every Python the tests start.
mmengine.config.config.FormatCode = sitecustomize.format_code
os.environ['PYTHONPATH'] = os.pathsep.join(
    p for p in (HELPERS, os.environ.get('PYTHONPATH')) if p)
# What the imports made stays for the session: keep it out of the garbage
# collector's sweeps (mmengine runs a full gc.collect() for every dataset it
# builds, 0.6 s each with torch, mmengine and mmaction in memory).
gc.freeze()
SHARED_DATASETS = osp.join(REPO, '..', 'shared', 'datasets')


def load_tool(relpath):
    """Import a script of ``tools/`` (e.g. ``'data/kgbd_to_pyskl.py'``)."""
    path = osp.join(REPO, 'tools', relpath)
    name = 'tool_' + relpath.replace('/', '_').replace('.py', '')
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses and pickling need it there
    spec.loader.exec_module(module)
    return module


def find_shared(dataset, filename, env=None):
    """A real dataset file: ``$ENV`` if set, else ``../shared/datasets``.

    Args:
        dataset (str): The folder under ``../shared/datasets``
            (``'nw_ucla'``, ``'fpha'``, ``'kgbd'``).
        filename (str): The archive (or folder) in it.
        env (str, optional): An environment variable naming another copy.
            Defaults to ``{DATASET}_ROOT``.

    Returns:
        str | None: The path, or None when absent (tests then skip).
    """
    env = env or f'{dataset.upper()}_ROOT'
    candidates = [os.environ.get(env),
                  osp.join(SHARED_DATASETS, dataset, filename)]
    for candidate in candidates:
        if candidate and osp.exists(candidate):
            if osp.isdir(candidate) and osp.exists(
                    osp.join(candidate, filename)):
                return osp.join(candidate, filename)
            return candidate
    return None


@pytest.fixture(scope='session')
def tiny_dataset(tmp_path_factory):
    """A small demo pickle (12 classes) and its class-name file."""
    demo_data = load_tool('data/generate_demo_data.py')
    DEMO_CLASSES, write_demo_dataset = (demo_data.DEMO_CLASSES,
                                        demo_data.write_demo_dataset)
    root = tmp_path_factory.mktemp('tiny_demo')
    ann_file = str(root / 'tiny.pkl')
    write_demo_dataset(
        ann_file, seed=1, num_train_per_class=4, num_test_per_class=2)
    names = str(root / 'classes.txt')
    with open(names, 'w') as f:
        f.write('\n'.join(DEMO_CLASSES) + '\n')
    return dict(ann_file=ann_file, class_names=names)


NW_UCLA = find_shared('nw_ucla', 'all_sqe.tar.gz')
# two views of four classes, and the release's two 1-frame clips
NW_UCLA_CLIPS = [f'a{a:02d}_s01_e00_v0{v}' for a in (1, 2, 3, 4)
                 for v in (1, 2, 3)]
NW_UCLA_CLIPS += ['a02_s09_e04_v02', 'a02_s09_e04_v03']


@pytest.fixture(scope='session')
def nw_ucla_clips(tmp_path_factory):
    """A folder holding a handful of real NW-UCLA clips (skips without)."""
    import tarfile
    if NW_UCLA is None:
        pytest.skip('NW-UCLA not found (../shared or NW_UCLA_ROOT)')
    folder = tmp_path_factory.mktemp('nw_ucla') / 'all_sqe'
    folder.mkdir()
    wanted = {f'{name}.json' for name in NW_UCLA_CLIPS}
    if osp.isdir(NW_UCLA):
        for name in wanted:
            with open(osp.join(NW_UCLA, name), 'rb') as f:
                (folder / name).write_bytes(f.read())
    else:
        with tarfile.open(NW_UCLA) as tar:
            for member in tar:
                if osp.basename(member.name) in wanted:
                    (folder / osp.basename(member.name)).write_bytes(
                        tar.extractfile(member).read())
    assert len(list(folder.iterdir())) == len(NW_UCLA_CLIPS)
    return folder


@pytest.fixture(scope='session')
def nw_ucla_pickle(nw_ucla_clips, tmp_path_factory):
    """Those clips converted to a PySKL pickle (read-only for tests)."""
    converter = load_tool('data/nw_ucla_to_pyskl.py')
    ann_file = str(tmp_path_factory.mktemp('nw_ucla_pkl') / 'ucla.pkl')
    converter.convert_nw_ucla(str(nw_ucla_clips), ann_file, progress=False)
    return ann_file


FPHA = find_shared('fpha', 'fpha_hand_pose.tar.xz')
FPHA_ROOT_DIR = 'Hand_pose_annotation_v1'
FPHA_SPLIT = 'data_split_action_recognition.txt'
# three subjects, three actions, train and test sequences of each, and one
# of the three empty files of the release (Subject_2/close_milk/4)
FPHA_SEQUENCES = [
    'Subject_1/open_juice_bottle/1', 'Subject_1/open_juice_bottle/2',
    'Subject_2/pour_milk/1', 'Subject_2/pour_milk/2',
    'Subject_2/close_milk/1', 'Subject_2/close_milk/4',
    'Subject_3/close_milk/1', 'Subject_3/open_juice_bottle/1'
]
FPHA_EMPTY = 'Subject_2/close_milk/4'


@pytest.fixture(scope='session')
def fpha_raw(tmp_path_factory):
    """A folder holding a few real F-PHAB sequences and the split file."""
    if FPHA is None:
        pytest.skip('F-PHAB not found (../shared or FPHA_ROOT)')
    import tarfile
    folder = tmp_path_factory.mktemp('fpha')
    wanted = {f'{FPHA_ROOT_DIR}/{name}/skeleton.txt'
              for name in FPHA_SEQUENCES} | {FPHA_SPLIT}
    found = set()
    if osp.isdir(FPHA):
        for relpath in wanted:
            target = folder / relpath
            target.parent.mkdir(parents=True, exist_ok=True)
            with open(osp.join(FPHA, relpath), 'rb') as f:
                target.write_bytes(f.read())
            found.add(relpath)
    else:
        with tarfile.open(FPHA, mode='r|*') as tar:  # one pass, in order
            for member in tar:
                if member.name in wanted:
                    target = folder / member.name
                    target.parent.mkdir(parents=True, exist_ok=True)
                    target.write_bytes(tar.extractfile(member).read())
                    found.add(member.name)
    assert found == wanted
    return folder


@pytest.fixture(scope='session')
def fpha_pickle(fpha_raw, tmp_path_factory):
    """Those sequences converted to a PySKL pickle (read-only for tests)."""
    converter = load_tool('data/fpha_to_pyskl.py')
    out = str(tmp_path_factory.mktemp('fpha_pkl') / 'fpha.pkl')
    converter.convert_fpha(str(fpha_raw), out, progress=False)
    return out


KGBD = find_shared('kgbd', 'kgbd_walks.tar.xz')
#: The KGBD people the tests take, with their walks as the archive holds
#: them: read once, in order, stopping when they are complete.
KGBD_WALKS = {15: 3, 158: 4, 53: 6, 150: 5, 157: 5, 86: 5}
KGBD_OPEN_TRAIN = 3  # people of the open-set training split


def snapshot(folder):
    """(path, size, mtime, bytes) of every file under ``folder``."""
    files = []
    for root, _, names in os.walk(folder):
        for name in sorted(names):
            path = os.path.join(root, name)
            with open(path, 'rb') as f:
                files.append((path, os.path.getsize(path),
                              os.path.getmtime(path), f.read()))
    return sorted(files)


@pytest.fixture(scope='session')
def kgbd_walks(tmp_path_factory):
    """The raw texts of six KGBD people, and a folder holding them."""
    if KGBD is None:
        pytest.skip('KGBD not found (../shared or KGBD_ROOT)')
    kgbd = load_tool('data/kgbd_to_pyskl.py')
    texts = {}
    wanted = sum(KGBD_WALKS.values())
    for person, walk, path, text in kgbd.iter_walks(KGBD):
        if person in KGBD_WALKS:
            assert path.endswith(f'Person{person:03d}/{walk}.txt'), path
            texts[person, walk] = text
            if len(texts) == wanted:
                break  # the archive's own order: no need to read on
    assert {p: sum(q == p for q, _ in texts) for p in KGBD_WALKS} == KGBD_WALKS
    root = tmp_path_factory.mktemp('kgbd')
    for (person, walk), text in texts.items():
        folder = root / 'Data' / f'Person{person:03d}'
        folder.mkdir(parents=True, exist_ok=True)
        with open(folder / f'{walk}.txt', 'w', newline='') as f:
            f.write(text)  # as is, CRLF included
    return dict(texts=texts, root=str(root))


@pytest.fixture(scope='session')
def kgbd_pickles(kgbd_walks, tmp_path_factory):
    """Both protocols' pickles of the six people (seed 0)."""
    kgbd = load_tool('data/kgbd_to_pyskl.py')
    out_dir = str(tmp_path_factory.mktemp('kgbd_out'))
    before = snapshot(kgbd_walks['root'])
    report = kgbd.convert_kgbd(kgbd_walks['root'], out_dir, progress=False,
                               num_train_people=KGBD_OPEN_TRAIN)
    assert snapshot(kgbd_walks['root']) == before, 'the input was modified'
    data = {}
    for protocol in ('reid', 'open'):
        with open(os.path.join(out_dir, f'kgbd_{protocol}.pkl'), 'rb') as f:
            data[protocol] = pickle.load(f)
    return dict(report=report, data=data, out_dir=out_dir,
                paths={p: os.path.join(out_dir, f'kgbd_{p}.pkl')
                       for p in ('reid', 'open')})


_TINY_RUNS = itertools.count()


def tiny_config(dataset, work_dir, max_epochs=2, start_epoch=1, **options):
    """The demo config shrunk for tests, as an mmengine Config."""
    from mmengine.config import Config
    cfg = Config.fromfile(DEMO_CONFIG)
    cfg.work_dir = str(work_dir)
    # mmengine names a run's logger (and so its log file) after the second
    # it starts: two tiny runs of one process in a second would share one
    cfg.experiment_name = f'tiny{next(_TINY_RUNS)}'
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


def use_topology_input(cfg, base_channels=8):
    """Switch a tiny config (25 joints) to the paper's model: ACLNetGCN
    returning its topology, the head fed by it. Four blocks (the widths and
    strides of the full model's blocks 1, 5, 8 and 10): a third of the
    time, the same kinds of block."""
    cfg.model.backbone = dict(type='ACLNetGCN', graph_cfg=dict(
        layout='nturgb+d'), base_channels=base_channels, out_topology=True,
        num_stages=4, inflate_stages=[2, 3], down_stages=[2, 3])
    cfg.model.cls_head.in_channels = 4 * base_channels
    cfg.model.cls_head.contrast_input = 'topology'
    cfg.model.cls_head.num_joints = 25
    return cfg


def ablation_builds_and_steps(path, num_joints, channels=3):
    """An ablation config changes only the head's or the hooks' arguments
    of a config that trains on real clips (checked beside it): its model
    and hooks build, and one training step on a clip-shaped batch gives
    the three losses, finite, and a gradient."""
    from mmengine.config import Config

    from mmaction.registry import HOOKS, MODELS
    from mmaction.structures import ActionDataSample
    cfg = Config.fromfile(path)
    for hook in cfg.custom_hooks:
        HOOKS.build(dict(hook))
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    model.init_weights()
    model.train()
    num_classes = cfg.model.cls_head.num_classes
    inputs = torch.randn(4, 1, 1, 8, num_joints, channels)
    data = [ActionDataSample().set_gt_label(i % num_classes)
            for i in range(4)]
    losses = model(inputs, data, mode='loss')
    assert {'loss_cls', 'loss_inter', 'loss_intra'} <= set(losses)
    loss, _ = model.parse_losses(losses)
    assert torch.isfinite(loss)
    loss.backward()
    assert any(p.grad is not None and p.grad.abs().sum() > 0
               for p in model.backbone.parameters())


def config_differences(a, b, path=''):
    """{dotted key: (a's value, b's value)} where two config dicts differ."""
    if isinstance(a, dict) and isinstance(b, dict):
        out = {}
        for key in set(a) | set(b):
            out.update(config_differences(a.get(key), b.get(key),
                                          f'{path}.{key}'.lstrip('.')))
        return out
    return {} if a == b else {path: (a, b)}


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
