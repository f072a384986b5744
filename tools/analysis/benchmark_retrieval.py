"""Speed and memory of ``retrieval_scores`` on random embeddings.

Times rank-1, rank-5 and mAP together (one call of
:func:`aclnet_plugin.evaluation.retrieval.retrieval_scores`) on random
L2-normalised embeddings with random identities against the matrix product
of the similarities alone (``probe @ gallery.T``, the floor of any exact
method), taking turns: after one warm-up of each, ``--runs`` rounds of a
product then a call, with torch using ``--threads`` threads (default: the
machine's cores). Reported: the medians, their ratio (metric / product),
the same for the process's CPU time (which leaves out the time the process
waits for a core: with ``--threads 1`` a steadier ratio on a machine busy
with other work), and the CPU and the kernels torch runs (its CPU
capability, set by ``ATEN_CPU_CAPABILITY``).

The peak memory growth of one call is measured in a fresh process per
size, after the embeddings exist: the peak resident set size after the
call less the resident set size before it. On Linux the peak is VmHWM,
reset before the call (``/proc/self/clear_refs``) so that the imports'
peak does not hide the call's; ``resource.getrusage``'s
maxrss cannot be used there, as a child process's starts at its parent's
RSS. Elsewhere, maxrss's growth over the earlier peak, a lower bound.
(psutil has no peak RSS on Linux.)

Example::

    python tools/analysis/benchmark_retrieval.py            # 10k x 10k
    python tools/analysis/benchmark_retrieval.py --large 0  # skip 20k x 20k
    ATEN_CPU_CAPABILITY=avx2 python tools/analysis/benchmark_retrieval.py
"""
import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from typing import Dict, List, Optional

import torch
import torch.nn.functional as F

REPO = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
if REPO not in sys.path:
    sys.path.insert(0, REPO)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--probes', type=int, default=10_000)
    parser.add_argument('--gallery', type=int, default=10_000)
    parser.add_argument('--dim', type=int, default=256)
    parser.add_argument('--ids', type=int, default=500,
                        help='number of identities')
    parser.add_argument('--runs', type=int, default=5,
                        help='timed rounds (product, call) after the warm-up '
                        '(medians)')
    parser.add_argument('--threads', type=int, default=os.cpu_count(),
                        help='torch threads (default: the cores)')
    parser.add_argument('--chunk-size', type=int, default=None)
    parser.add_argument('--large', type=int, default=20_000,
                        help='also measure the peak of an N x N run (0: no)')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--out', help='also write the result as JSON here')
    parser.add_argument('--peak-only', action='store_true',
                        help=argparse.SUPPRESS)  # the child process's mode
    return parser.parse_args(argv)


def random_set(num: int, dim: int, num_ids: int, generator: torch.Generator):
    embeddings = F.normalize(torch.randn(num, dim, generator=generator),
                             dim=1)
    return embeddings, torch.randint(0, num_ids, (num, ),
                                     generator=generator)


def _status_mb(field: str) -> Optional[float]:
    """A memory field of /proc/self/status (Linux) in MB, else None."""
    try:
        with open('/proc/self/status') as f:
            for line in f:
                if line.startswith(field + ':'):
                    return int(line.split()[1]) / 2**10
    except OSError:
        pass
    return None


def _peak_mb() -> float:
    """The process's peak resident set size so far, in MB.

    Linux's VmHWM, which /proc/self/clear_refs resets; elsewhere maxrss
    (which on Linux also holds the RSS of the parent that forked us).
    """
    peak = _status_mb('VmHWM')
    if peak is not None:
        return peak
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 2**20 if sys.platform == 'darwin' else peak / 2**10


def _reset_peak() -> Optional[float]:
    """Reset the peak RSS to the current RSS (Linux); that RSS in MB, or
    None where the peak cannot be reset."""
    try:
        with open('/proc/self/clear_refs', 'w') as f:
            f.write('5')  # resets VmHWM
    except OSError:
        return None
    return _status_mb('VmRSS')


def _inputs(args, num_probes: int, num_gallery: int):
    generator = torch.Generator().manual_seed(args.seed)
    probe, probe_ids = random_set(num_probes, args.dim, args.ids, generator)
    gallery, gallery_ids = random_set(num_gallery, args.dim, args.ids,
                                      generator)
    return probe, probe_ids, gallery, gallery_ids


def peak_growth_here(args) -> float:
    """MB the peak RSS grows by during one call, in this process."""
    from aclnet_plugin.evaluation.retrieval import retrieval_scores
    inputs = _inputs(args, args.probes, args.gallery)
    # the imports' peak would hide the call's: reset it where possible,
    # else the growth is only what exceeds the earlier peak (a lower bound)
    before = _reset_peak()
    if before is None:
        before = _peak_mb()
    retrieval_scores(*inputs, ranks=(1, 5), chunk_size=args.chunk_size)
    return _peak_mb() - before


def peak_growth(args, num_probes: int, num_gallery: int) -> Optional[float]:
    """Peak RSS growth (MB) of one call, in a fresh process."""
    command = [
        sys.executable, os.path.abspath(__file__), '--peak-only',
        '--probes', str(num_probes), '--gallery', str(num_gallery),
        '--dim', str(args.dim), '--ids', str(args.ids), '--threads',
        str(args.threads), '--seed', str(args.seed)
    ]
    if args.chunk_size:
        command += ['--chunk-size', str(args.chunk_size)]
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode:
        print(f'peak measurement failed:\n{done.stderr}', file=sys.stderr)
        return None
    return float(done.stdout.strip().splitlines()[-1])


def main(argv: Optional[List[str]] = None) -> Dict:
    args = parse_args(argv)
    torch.set_num_threads(max(1, args.threads))
    if args.peak_only:
        print(peak_growth_here(args))
        return {}
    from aclnet_plugin.evaluation.retrieval import retrieval_scores
    from aclnet_plugin.utils import cpu_model

    inputs = _inputs(args, args.probes, args.gallery)
    probe, _, gallery, _ = inputs

    def metric():
        return retrieval_scores(*inputs, ranks=(1, 5),
                                chunk_size=args.chunk_size)

    def product():
        probe @ gallery.T  # dropped (freed) within the timing, as it was made

    def timed(call):
        """The result of call(), its wall-clock and its CPU seconds."""
        start, start_cpu = time.perf_counter(), time.process_time()
        out = call()
        return out, time.perf_counter() - start, \
            time.process_time() - start_cpu

    # taking turns, so that a change in the machine's load hits both alike
    wall, cpu = dict(metric=[], product=[]), dict(metric=[], product=[])
    metric(), product()  # warm-up
    for _ in range(max(1, args.runs)):
        for name, call in (('product', product), ('metric', metric)):
            out, elapsed, elapsed_cpu = timed(call)
            wall[name].append(elapsed)
            cpu[name].append(elapsed_cpu)
    scores = out
    seconds = {k: statistics.median(v) for k, v in wall.items()}
    cpu_seconds = {k: statistics.median(v) for k, v in cpu.items()}
    result = dict(
        setup=dict(probes=args.probes, gallery=args.gallery, dim=args.dim,
                   ids=args.ids, threads=torch.get_num_threads(),
                   runs=len(wall['metric']), chunk_size=args.chunk_size,
                   cpu=cpu_model(),
                   kernels=torch.backends.cpu.get_cpu_capability(),
                   torch=torch.__version__),
        seconds=seconds['metric'], all_seconds=wall['metric'],
        matmul_seconds=seconds['product'],
        all_matmul_seconds=wall['product'],
        ratio=seconds['metric'] / seconds['product'],
        cpu_seconds=cpu_seconds['metric'],
        matmul_cpu_seconds=cpu_seconds['product'],
        cpu_ratio=cpu_seconds['metric'] / cpu_seconds['product'],
        scores={k: scores[k] for k in ('rank1', 'rank5', 'mAP')},
        peak_rss_growth_mb=peak_growth(args, args.probes, args.gallery))
    setup = result['setup']
    print(f'retrieval_scores {args.probes} x {args.gallery}, D={args.dim}, '
          f'{args.ids} ids, {setup["threads"]} threads, {setup["cpu"]}, '
          f'torch {setup["torch"]} {setup["kernels"]} kernels: '
          f'{result["seconds"]:.3f} s, the matrix product alone '
          f'{result["matmul_seconds"]:.3f} s: {result["ratio"]:.2f}x '
          f'(medians of {len(wall["metric"])}, taking turns; CPU time '
          f'{result["cpu_seconds"]:.3f} s / {result["matmul_cpu_seconds"]:.3f}'
          f' s: {result["cpu_ratio"]:.2f}x), peak RSS growth '
          f'{_mb(result["peak_rss_growth_mb"])}')
    if args.large:
        result['large'] = dict(size=args.large,
                               peak_rss_growth_mb=peak_growth(
                                   args, args.large, args.large))
        print(f'{args.large} x {args.large}: peak RSS growth '
              f'{_mb(result["large"]["peak_rss_growth_mb"])}')
    if args.out:
        with open(args.out, 'w') as f:
            json.dump(result, f, indent=2)
    return result


def _mb(value: Optional[float]) -> str:
    return 'not measured' if value is None else f'{value:.0f} MB'


if __name__ == '__main__':
    main()
