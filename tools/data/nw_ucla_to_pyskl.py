"""Convert raw NW-UCLA (folder or all_sqe.tar.gz) to a PySKL-format pickle.

    python tools/data/nw_ucla_to_pyskl.py ../shared/datasets/nw_ucla/all_sqe.tar.gz \
        --out data/skeleton/nw_ucla_3d.pkl

Cross-view split: ``xview_train`` (views 1-2), ``xview_val`` (view 3); every
annotation keeps ``subject``, ``view``, ``repetition`` and ``action``.
"""
import argparse
import os.path as osp
import sys

from aclnet_plugin.datasets.nw_ucla import NWUCLAFormatError, convert_nw_ucla


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('source', help='all_sqe folder or all_sqe.tar.gz')
    parser.add_argument('--out', default='data/skeleton/nw_ucla_3d.pkl')
    parser.add_argument('--min-frames', type=int, default=1,
                        help='drop clips shorter than this (default: keep)')
    parser.add_argument('--overwrite', action='store_true')
    parser.add_argument('--no-progress', action='store_true')
    args = parser.parse_args(argv)
    if osp.exists(args.out) and not args.overwrite:
        print(f'{args.out} exists; --overwrite to convert again')
        return 0
    try:
        report = convert_nw_ucla(args.source, args.out, args.min_frames,
                                 overwrite=args.overwrite,
                                 progress=not args.no_progress)
    except (NWUCLAFormatError, FileNotFoundError) as error:
        print(f'error: {error}', file=sys.stderr)
        return 1
    print(f'\nwrote {args.out}: {report["num_clips"]} clips, '
          f'{report["split"]}')
    for name, frames in report['short_clips']:
        kept = 'dropped' if name in report['dropped'] else 'kept'
        print(f'  degenerate clip {name}: {frames} frame(s), {kept}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
