"""Writes the procedural demo skeleton dataset (PySKL pickle format).

Example:
    python tools/data/generate_demo_data.py --out data/demo/aclnet_demo.pkl
"""
import argparse
import os.path as osp
import time

from aclnet_plugin.datasets import DEMO_CLASSES, write_demo_dataset


def parse_args():
    parser = argparse.ArgumentParser(
        description='Generate the ACLNet demo skeleton dataset.')
    parser.add_argument(
        '--out',
        default='data/demo/aclnet_demo.pkl',
        help='output pickle file')
    parser.add_argument('--seed', type=int, default=0, help='random seed')
    parser.add_argument(
        '--overwrite',
        action='store_true',
        help='replace the output file if it exists')
    return parser.parse_args()


def main():
    args = parse_args()
    if osp.exists(args.out) and not args.overwrite:
        print(f'{args.out} already exists, nothing to do '
              '(use --overwrite to regenerate it).')
        return
    start = time.perf_counter()
    data = write_demo_dataset(args.out, seed=args.seed, overwrite=True)
    sizes = {name: len(dirs) for name, dirs in data['split'].items()}
    print(f'Wrote {len(data["annotations"])} clips of {len(DEMO_CLASSES)} '
          f'classes {sizes} to {args.out} '
          f'in {time.perf_counter() - start:.1f} s.')


if __name__ == '__main__':
    main()
