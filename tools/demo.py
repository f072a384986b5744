"""Train ACLNet on the embedded demo dataset, test it, show its Motion Families.

Run from the repository root (``make demo`` does)::

    python tools/demo.py [--work-dir work_dirs/aclnet_demo] [--retrain]
                         [--seed S] [--json-out FILE]

Steps: generate the procedural demo pickle when it is missing, train with
``mim train mmaction <demo config>``, test the last checkpoint, print top-1 /
mean-class accuracy beside the band this project measured for the demo
(``MEASURED_BAND``), and the families the MotionFamilyHook wrote.
"""
import argparse
import json
import os
import os.path as osp
import subprocess
import sys
import time

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
CONFIG = osp.join(
    'configs', 'aclnet',
    'aclnet_stgcnpp-tiny_1xb16-joint-motion-u24-28e_demo-keypoint-3d.py')

#: Test top-1 (%) of the demo config over seeds, CPU kernel paths and thread
#: counts, as measured by ``python tools/misc/demo_band.py`` (the README
#: gives the commands and the table).
MEASURED_BAND = dict(
    mean=99.19, low=98.06, high=100.0, runs=23, seeds=(0, 1, 2, 3, 4),
    kernels=('AVX2', 'AVX512', 'DEFAULT'),
    cpu='Intel(R) Xeon(R) Processor (2 cores), 1 and 2 threads')


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--config', default=CONFIG)
    parser.add_argument('--work-dir', default='work_dirs/aclnet_demo')
    parser.add_argument('--retrain', action='store_true',
                        help='train again even if a finished run exists')
    parser.add_argument('--seed', type=int,
                        help="training seed (default: the config's)")
    parser.add_argument('--json-out',
                        help='also write the result (accuracy, training '
                        'time, families, CPU kernels) to this JSON file')
    return parser.parse_args(argv)


def ensure_data(cfg):
    sys.path.insert(0, osp.join(REPO, 'tools', 'data'))
    from generate_demo_data import write_demo_dataset
    ann_file = cfg.train_dataloader.dataset.ann_file
    if osp.exists(ann_file):
        print(f'Demo data: {ann_file} (exists)')
    else:
        write_demo_dataset(ann_file)
        print(f'Demo data: wrote {ann_file}')


def train(config, work_dir, max_epochs, retrain, seed=None):
    """Train unless a finished run is there; returns the last checkpoint
    and the training time in seconds (None when nothing was trained)."""
    final = osp.join(work_dir, f'epoch_{max_epochs}.pth')
    if osp.exists(final) and not retrain:
        print(f'Found a finished run ({final}); --retrain to train again.')
        return final, None
    mim = osp.join(osp.dirname(sys.executable), 'mim')
    cmd = [mim, 'train', 'mmaction', config, '--work-dir', work_dir]
    if seed is not None:
        cmd += ['--cfg-options', f'randomness.seed={seed}']
    print('$', ' '.join(cmd), flush=True)
    start = time.perf_counter()
    subprocess.run(cmd, check=True)
    return final, time.perf_counter() - start


def test(cfg, checkpoint, work_dir):
    from mmengine.runner import Runner
    cfg = cfg.copy()
    cfg.load_from = checkpoint
    cfg.work_dir = osp.join(work_dir, 'test')
    cfg.custom_hooks = []
    return Runner.from_cfg(cfg).test()


def read_families(work_dir):
    path = osp.join(work_dir, 'motion_families', 'latest.json')
    with open(path) as f:
        return path, json.load(f)


def show_families(path, record, groups=None):
    """Print every class's family; with the demo's ``groups`` of similar
    classes, say which class has none although its group says it has
    confusable neighbours."""
    print(f'\nMotion Families after epoch {record["epoch"]} '
          f'(K={record["num_neighbors"]}, n_a={record["overlap_threshold"]}; '
          f'{path}):')
    for entry in record['classes']:
        name = entry.get('name', str(entry['index']))
        members = entry.get('member_names', entry['members'])
        family = ', '.join(map(str, members)) or '-'
        print(f'  {name:>20s} (tau={entry["temperature"]:g}): {family}')
    if groups:
        lonely = [entry.get('name', str(entry['index']))
                  for entry in record['classes'] if not entry['members']
                  and any(entry['index'] in g and len(g) > 1
                          for g in groups)]
        if lonely:
            print(f'  No family for {", ".join(lonely)}: these classes were '
                  'never confused with two others after the families '
                  'started (a family needs neighbours that share a '
                  'neighbour).')


def judge(top1, band=MEASURED_BAND):
    """One line: the result against the measured band."""
    if not band['runs']:
        return 'No band measured yet for this demo.'
    where = (f'{band["runs"]} runs: seeds {", ".join(map(str, band["seeds"]))}'
             f' on {" / ".join(band["kernels"])} kernels, {band["cpu"]}')
    text = (f'The band measured for this demo: mean {band["mean"]:.1f} %, '
            f'{band["low"]:.1f}-{band["high"]:.1f} % ({where}). ')
    if band['low'] <= top1 <= band['high']:
        return text + 'This result is inside it.'
    return text + (
        f'This result ({top1:.1f} %) is OUTSIDE it: another CPU, torch '
        'build or changed code moves the figures; if nothing changed, please '
        'report it with the output of `python -m torch.utils.collect_env`.')


def cpu_kernels():
    import torch
    return torch.backends.cpu.get_cpu_capability()


def main(argv=None):
    args = parse_args(argv)
    os.chdir(REPO)
    import aclnet_plugin  # noqa: F401
    from mmengine.config import Config
    cfg = Config.fromfile(args.config)
    if args.seed is not None:
        cfg.randomness.seed = args.seed
    ensure_data(cfg)
    checkpoint, seconds = train(args.config, args.work_dir,
                                cfg.train_cfg.max_epochs, args.retrain,
                                args.seed)
    metrics = test(cfg, checkpoint, args.work_dir)
    top1, mean1 = 100 * metrics['acc/top1'], 100 * metrics['acc/mean1']
    took = '' if seconds is None else f' (training took {seconds:.0f} s)'
    print(f'\nTest accuracy of {checkpoint}{took}: top-1 {top1:.1f}%, mean '
          f'class {mean1:.1f}%')
    print(judge(top1))
    sys.path.insert(0, osp.join(REPO, 'tools', 'data'))
    from generate_demo_data import DEMO_GROUPS
    path, record = read_families(args.work_dir)
    show_families(path, record, DEMO_GROUPS)
    if args.json_out:
        result = dict(
            seed=cfg.randomness.seed, top1=top1, mean1=mean1,
            train_seconds=seconds, kernels=cpu_kernels(),
            threads=int(os.environ.get('OMP_NUM_THREADS', 0)) or None,
            families=[entry['members'] for entry in record['classes']])
        with open(args.json_out, 'w') as f:
            json.dump(result, f, indent=1)


if __name__ == '__main__':
    main()
