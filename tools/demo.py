"""Train ACLNet on the embedded demo dataset, test it, show its Motion Families.

Run from the repository root (``make demo`` does)::

    python tools/demo.py [--work-dir work_dirs/aclnet_demo] [--retrain]

Steps: generate the procedural demo pickle when it is missing, train with
``mim train mmaction <demo config>``, test the last checkpoint, print top-1 /
mean-class accuracy and the families the MotionFamilyHook wrote.
"""
import argparse
import json
import os
import os.path as osp
import subprocess
import sys

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
CONFIG = osp.join('configs', 'aclnet',
                  'aclnet_stgcnpp_1xb16-joint-u32-24e_demo-keypoint-3d.py')


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--config', default=CONFIG)
    parser.add_argument('--work-dir', default='work_dirs/aclnet_demo')
    parser.add_argument('--retrain', action='store_true',
                        help='train again even if a finished run exists')
    return parser.parse_args()


def ensure_data(cfg):
    sys.path.insert(0, osp.join(REPO, 'tools', 'data'))
    from generate_demo_data import write_demo_dataset
    ann_file = cfg.train_dataloader.dataset.ann_file
    if osp.exists(ann_file):
        print(f'Demo data: {ann_file} (exists)')
    else:
        write_demo_dataset(ann_file)
        print(f'Demo data: wrote {ann_file}')


def train(config, work_dir, max_epochs, retrain):
    final = osp.join(work_dir, f'epoch_{max_epochs}.pth')
    if osp.exists(final) and not retrain:
        print(f'Found a finished run ({final}); --retrain to train again.')
        return final
    mim = osp.join(osp.dirname(sys.executable), 'mim')
    cmd = [mim, 'train', 'mmaction', config, '--work-dir', work_dir]
    print('$', ' '.join(cmd), flush=True)
    subprocess.run(cmd, check=True)
    return final


def test(cfg, checkpoint, work_dir):
    from mmengine.runner import Runner
    cfg = cfg.copy()
    cfg.load_from = checkpoint
    cfg.work_dir = osp.join(work_dir, 'test')
    cfg.custom_hooks = []
    return Runner.from_cfg(cfg).test()


def show_families(work_dir):
    path = osp.join(work_dir, 'motion_families', 'latest.json')
    with open(path) as f:
        record = json.load(f)
    print(f'\nMotion Families after epoch {record["epoch"]} '
          f'(K={record["num_neighbors"]}, n_a={record["overlap_threshold"]}; '
          f'{path}):')
    for entry in record['classes']:
        name = entry.get('name', str(entry['index']))
        members = entry.get('member_names', entry['members'])
        family = ', '.join(map(str, members)) or '-'
        print(f'  {name:>20s} (tau={entry["temperature"]:g}): {family}')


def main():
    args = parse_args()
    os.chdir(REPO)
    import aclnet_plugin  # noqa: F401
    from mmengine.config import Config
    cfg = Config.fromfile(args.config)
    ensure_data(cfg)
    checkpoint = train(args.config, args.work_dir, cfg.train_cfg.max_epochs,
                       args.retrain)
    metrics = test(cfg, checkpoint, args.work_dir)
    print(f'\nTest accuracy of {checkpoint}: top-1 '
          f'{100 * metrics["acc/top1"]:.1f}%, mean class '
          f'{100 * metrics["acc/mean1"]:.1f}%')
    show_families(args.work_dir)


if __name__ == '__main__':
    main()
