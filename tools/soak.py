"""A long distributed run of the demo config: memory stays flat, ranks agree.

    python tools/soak.py [--epochs 60] [--work-dir work_dirs/soak]

Trains the demo config (``configs/aclnet/...demo...``, its data generated
when missing) for many epochs with 2 processes on the gloo backend
(``torchrun``), families from epoch 2. After every epoch each rank records
its resident memory and its head's state (before mmengine's SyncBuffersHook
could average a difference away). At the end the script checks that every
rank held the identical method state after every epoch, and that memory is
flat: the median resident memory of the last quarter of the epochs is less
than ``--max-growth-mib`` above that of the second quarter (the first
quarter is warm-up). Medians, because single epochs spike by tens of MiB
(the allocator, the garbage collector) and a process may step up once
early on, neither of which is a leak; a leak raises the level epoch after
epoch and shows between the quarters. It prints the figures and exits 1
when a check fails. Not part of the test suite (it runs for many minutes);
its check is tested.
"""
import argparse
import glob
import json
import os
import os.path as osp
import statistics
import subprocess
import sys

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
DEMO = osp.join(
    REPO, 'configs', 'aclnet',
    'aclnet_stgcnpp-tiny_1xb16-joint-motion-u24-28e_demo-keypoint-3d.py')
STATE_KEYS = ('confusion', 'prototypes', 'prototype_seen', 'family_mask',
              'temperatures', 'queue_embeddings', 'queue_labels', 'queue_ptr')

try:  # the hook, imported by the training processes (custom_imports)
    import torch
    from mmengine.dist import get_rank
    from mmengine.hooks import Hook

    from aclnet_plugin.engine.hooks import MotionFamilyHook
    from mmaction.registry import HOOKS

    @HOOKS.register_module(force=True)
    class SoakRecordHook(Hook):
        """Every rank's memory and head state after every epoch, between
        MotionFamilyHook (40) and SyncBuffersHook (50)."""

        priority = 45

        def after_train_epoch(self, runner) -> None:
            head = MotionFamilyHook.find_head(runner)
            out = osp.join(runner.work_dir, 'soak')
            os.makedirs(out, exist_ok=True)
            rank, epoch = get_rank(), runner.epoch + 1
            torch.save({k: getattr(head, k).detach().cpu().clone()
                        for k in STATE_KEYS},
                       osp.join(out, f'state_rank{rank}_epoch{epoch}.pt'))
            with open(osp.join(out, f'memory_rank{rank}.jsonl'), 'a') as f:
                f.write(json.dumps(dict(epoch=epoch, rss_mib=rss_mib())) +
                        '\n')
except ImportError:  # pragma: no cover - only the CLI's own imports fail
    pass


def rss_mib() -> float:
    """This process's resident memory (Linux /proc), in MiB."""
    with open('/proc/self/status') as f:
        for line in f:
            if line.startswith('VmRSS:'):
                return int(line.split()[1]) / 1024
    return float('nan')


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--epochs', type=int, default=60)
    parser.add_argument('--work-dir', default='work_dirs/soak')
    parser.add_argument('--max-growth-mib', type=float, default=50.0,
                        help="largest growth of a rank's median memory from "
                        'the second to the last quarter of the epochs')
    parser.add_argument('--port', type=int, default=29751)
    return parser.parse_args(argv)


def write_config(args) -> str:
    from mmengine.config import Config
    sys.path.insert(0, osp.join(REPO, 'tools', 'data'))
    from generate_demo_data import write_demo_dataset
    cfg = Config.fromfile(DEMO)
    ann_file = osp.join(REPO, cfg.train_dataloader.dataset.ann_file)
    if not osp.exists(ann_file):
        write_demo_dataset(ann_file)
    cfg.work_dir = osp.abspath(args.work_dir)
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        cfg[loader].dataset.ann_file = ann_file
    cfg.train_cfg.max_epochs = args.epochs
    cfg.train_cfg.val_interval = args.epochs
    cfg.param_scheduler[0].T_max = args.epochs
    cfg.custom_hooks[0].start_epoch = 2
    cfg.custom_hooks.append(dict(type='SoakRecordHook'))
    cfg.custom_imports.imports = ['aclnet_plugin', 'soak']
    cfg.env_cfg.dist_cfg = dict(backend='gloo')
    cfg.default_hooks.checkpoint = dict(type='CheckpointHook',
                                        interval=args.epochs)
    os.makedirs(cfg.work_dir, exist_ok=True)
    path = osp.join(cfg.work_dir, 'soak_config.py')
    cfg.dump(path)
    return path


def check(work_dir, epochs, max_growth):
    import torch
    out = osp.join(work_dir, 'soak')
    differences = []
    for epoch in range(1, epochs + 1):
        states = [torch.load(osp.join(out, f'state_rank{r}_epoch{epoch}.pt'))
                  for r in (0, 1)]
        differences += [(epoch, k) for k in STATE_KEYS
                        if not torch.equal(states[0][k], states[1][k])]
    memory = {}
    for rank in (0, 1):
        with open(osp.join(out, f'memory_rank{rank}.jsonl')) as f:
            memory[rank] = [json.loads(line)['rss_mib'] for line in f]
    quarter = max(1, epochs // 4)
    second = {r: statistics.median(m[quarter:2 * quarter])
              for r, m in memory.items()}
    last = {r: statistics.median(m[-quarter:]) for r, m in memory.items()}
    growth = {r: last[r] - second[r] for r in memory}
    print(f'{epochs} epochs, 2 processes (gloo); families from epoch 2')
    print('| rank | RSS after epoch 1 (MiB) | median, epochs '
          f'{quarter + 1}-{2 * quarter} | median, epochs '
          f'{epochs - quarter + 1}-{epochs} | growth | largest |')
    print('| --- | --- | --- | --- | --- | --- |')
    for rank, m in memory.items():
        print(f'| {rank} | {m[0]:.1f} | {second[rank]:.1f} | '
              f'{last[rank]:.1f} | {growth[rank]:+.1f} | {max(m):.1f} |')
    print(f'method state identical on both ranks after every epoch: '
          f'{not differences}' + (f' (differs: {differences[:5]})'
                                  if differences else ''))
    ok = not differences and all(g < max_growth for g in growth.values())
    print('PASS' if ok else 'FAIL')
    return ok


def main(argv=None) -> int:
    args = parse_args(argv)
    config = write_config(args)
    import mmaction
    train_py = osp.join(osp.dirname(mmaction.__file__), '.mim', 'tools',
                        'train.py')
    torchrun = osp.join(osp.dirname(sys.executable), 'torchrun')
    env = dict(os.environ, OMP_NUM_THREADS='1',
               PYTHONPATH=os.pathsep.join(
                   [osp.join(REPO, 'tools'), os.environ.get('PYTHONPATH',
                                                             '')]))
    for stale in glob.glob(osp.join(args.work_dir, 'soak', '*')):
        os.remove(stale)
    subprocess.run([torchrun, '--nproc_per_node', '2', '--master_port',
                    str(args.port), train_py, config, '--launcher',
                    'pytorch'], check=True, env=env, cwd=REPO)
    return 0 if check(args.work_dir, args.epochs, args.max_growth_mib) \
        else 1


if __name__ == '__main__':
    sys.exit(main())
