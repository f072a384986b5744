"""Measure the demo's band: test top-1 over seeds and CPU kernel paths.

    python tools/misc/demo_band.py --seeds 0 1 2 3 4 \
        --kernels avx512 avx2 default --jobs 2

torch picks its CPU kernels (AVX-512, AVX2 or plain code) at run time, and
results move with them; ``ATEN_CPU_CAPABILITY`` makes torch use a lower
path than the CPU allows, so one machine can measure them all. Every
(kernel, seed) run is ``python tools/demo.py --retrain --seed S`` with that
variable set, on ``--threads`` threads (results can move with the thread
count too), in ``{work_dir}/{kernel}_{threads}t_seed{S}/``; a run that
finished is reused, and runs of other thread counts already in
``work_dir`` join the table and the band. The table (top-1 and mean-class accuracy per run, training time,
classes left without a Motion Family) and the band (mean, min-max) are
printed and written to ``{work_dir}/results.md`` and ``results.json``, with
the ``MEASURED_BAND`` literal of ``tools/demo.py``.
"""
import argparse
import json
import os
import os.path as osp
import statistics
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
if REPO not in sys.path:
    sys.path.insert(0, REPO)
KERNELS = ('avx512', 'avx2', 'default')


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--seeds', type=int, nargs='+', default=[0, 1, 2, 3,
                                                                  4])
    parser.add_argument('--kernels', nargs='+', default=list(KERNELS),
                        choices=KERNELS,
                        help='values of ATEN_CPU_CAPABILITY to run under '
                        '(a path above what the CPU has falls back to the '
                        'best it has: the table names what ran)')
    parser.add_argument('--config', help="the demo config (default: "
                        "tools/demo.py's)")
    parser.add_argument('--work-dir', default='work_dirs/demo_band')
    parser.add_argument('--jobs', type=int, default=1,
                        help='runs at once (CPU threads are shared out)')
    parser.add_argument('--threads', type=int,
                        help='CPU threads a run (default: the cores shared '
                        'out among the jobs)')
    return parser.parse_args(argv)


def run_folder(args, kernel, seed, threads):
    return osp.join(args.work_dir, f'{kernel}_{threads}t_seed{seed}')


def run_one(kernel, seed, args, threads):
    folder = run_folder(args, kernel, seed, threads)
    out = osp.join(folder, 'result.json')
    if osp.exists(out):
        with open(out) as f:
            return dict(json.load(f), kernel_asked=kernel)
    os.makedirs(folder, exist_ok=True)
    cmd = [sys.executable, osp.join(REPO, 'tools', 'demo.py'), '--retrain',
           '--seed', str(seed), '--work-dir', folder, '--json-out', out]
    if args.config:
        cmd += ['--config', args.config]
    env = dict(os.environ, ATEN_CPU_CAPABILITY=kernel,
               OMP_NUM_THREADS=str(threads), MKL_NUM_THREADS=str(threads))
    with open(osp.join(folder, 'demo.log'), 'w') as log:
        subprocess.run(cmd, check=True, env=env, cwd=REPO, stdout=log,
                       stderr=subprocess.STDOUT)
    with open(out) as f:
        return dict(json.load(f), kernel_asked=kernel)


def band(results):
    """Mean, min and max top-1 of the runs, with what they were."""
    from aclnet_plugin.utils import cpu_model
    top1 = [r['top1'] for r in results]
    return dict(
        mean=round(statistics.mean(top1), 2), low=round(min(top1), 2),
        high=round(max(top1), 2), runs=len(results),
        seeds=tuple(sorted({r['seed'] for r in results})),
        kernels=tuple(sorted({r['kernels'] for r in results})),
        cpu=cpu_model())




def table(results):
    lines = ['| kernels | seed | top-1 (%) | mean class (%) | training (s) | '
             'threads | classes without a family |',
             '| --- | --- | --- | --- | --- | --- | --- |']
    for r in sorted(results, key=lambda r: (r['kernels'], r['seed'],
                                            r.get('threads') or 0)):
        lonely = [i for i, members in enumerate(r['families'])
                  if not members]
        seconds = r.get('train_seconds')
        lines.append(
            f'| {r["kernels"]} | {r["seed"]} | {r["top1"]:.1f} | '
            f'{r["mean1"]:.1f} | '
            f'{"-" if seconds is None else f"{seconds:.0f}"} | '
            f'{r.get("threads") or "-"} | {lonely or "none"} |')
    by_kernel = {}
    for r in results:
        by_kernel.setdefault(r['kernels'], []).append(r['top1'])
    lines.append('')
    for kernels, top1 in sorted(by_kernel.items()):
        lines.append(f'- {kernels}: mean {statistics.mean(top1):.2f} %, '
                     f'{min(top1):.1f}-{max(top1):.1f} over {len(top1)} '
                     'runs')
    b = band(results)
    lines.append(f'- all: mean {b["mean"]:.2f} %, {b["low"]:.1f}-'
                 f'{b["high"]:.1f} ({b["low"] - b["mean"]:+.1f} / '
                 f'{b["high"] - b["mean"]:+.1f} around the mean) over '
                 f'{b["runs"]} runs; CPU: {b["cpu"]}')
    return '\n'.join(lines)


def prepare_data(config=None):
    """Write the demo data once, before the runs (each would write it when
    missing, all at once)."""
    import importlib.util
    spec = importlib.util.spec_from_file_location(
        'demo', osp.join(REPO, 'tools', 'demo.py'))
    demo = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(demo)
    import aclnet_plugin  # noqa: F401  (the config's custom_imports)
    from mmengine.config import Config
    config = osp.abspath(config) if config else None
    cwd = os.getcwd()
    os.chdir(REPO)  # the demo config's data path is relative to it
    try:
        demo.ensure_data(Config.fromfile(config or demo.CONFIG))
    finally:
        os.chdir(cwd)


def main(argv=None):
    args = parse_args(argv)
    os.makedirs(args.work_dir, exist_ok=True)
    threads = args.threads or max(1, (os.cpu_count() or 1) // args.jobs)
    jobs = [(k, s) for s in args.seeds for k in args.kernels]
    done = {run_folder(args, k, s, threads) for k, s in jobs}
    if not all(osp.exists(osp.join(f, 'result.json')) for f in done):
        prepare_data(args.config)
    with ThreadPoolExecutor(args.jobs) as pool:
        results = list(pool.map(
            lambda job: run_one(*job, args, threads), jobs))
    # and the runs of other settings made before in work_dir
    for folder in sorted(os.listdir(args.work_dir)):
        path = osp.join(args.work_dir, folder)
        if path not in done and osp.exists(osp.join(path, 'result.json')):
            with open(osp.join(path, 'result.json')) as f:
                results.append(json.load(f))
    text = table(results)
    literal = 'MEASURED_BAND = dict(' + ', '.join(
        f'{k}={v!r}' for k, v in band(results).items()) + ')'
    print(text + '\n\n' + literal)
    with open(osp.join(args.work_dir, 'results.md'), 'w') as f:
        f.write(text + '\n\n' + literal + '\n')
    with open(osp.join(args.work_dir, 'results.json'), 'w') as f:
        json.dump(dict(runs=results, band=band(results)), f, indent=1)


if __name__ == '__main__':
    main()
