"""Training-step overhead of ACLNet over the stock GCNHead, and family update cost.

Times, interleaved in one run with warm-up, the full training step (forward,
backward, SGD step) of one backbone with the stock ``GCNHead`` and with
``AffinityContrastHead`` (Motion Families active; memory queue off and on),
and reports medians and ratios. Also times the family recomputation
(affinity, families, temperatures) for several class counts, and the extra
memory of the head.

    python tools/benchmark.py                     # NTU-60 ST-GCN++, batch 16, CPU
    python tools/benchmark.py --device cuda --batch-size 64
    python tools/benchmark.py --quick             # seconds; what the tests run
    python tools/benchmark.py --device cuda --batch-size 64 --sync-debug [--amp]

``--amp`` runs the steps as mmengine's ``AmpOptimWrapper`` does on a GPU
(float16 autocast, dynamic loss scale on CUDA). ``--sync-debug``
(CUDA) runs the ACLNet steps under ``torch.cuda.set_sync_debug_mode('error')``:
a host-device synchronisation in forward, loss, backward or the optimiser
step raises instead of being timed. The loss scaler's own check for
infinite gradients (a synchronisation inside torch's ``GradScaler.step``) is
outside the guard. Whether the stock head's step synchronises is reported.

Pipeline mode: the data pipeline of a config instead of the training step.
For its train and test pipelines, the time per sample of every transform and
of the whole, and samples per second per loader worker, with the plugin's
transforms and, taking turns sample by sample, with mmaction's stock ones in
their place (``FastPreNormalize3D`` -> ``PreNormalize3D``,
``FastUniformSampleFrames`` -> ``UniformSampleFrames``, ``SkeletonFeat`` ->
``GenSkeFeat`` where it has the stream), as ratios. On real clips when
``--ann-file`` is given, else on generated clips of ``--clip-shape``::

    python tools/benchmark.py --pipeline CONFIG [--ann-file PKL] \
        [--clip-shape 2 300 25 3] [--samples 200]
"""
import argparse
import contextlib
import copy
import json
import platform
import statistics
import time

import torch

import aclnet_plugin  # noqa: F401
from aclnet_plugin.models import affinity_similarity, motion_families
from aclnet_plugin.models.family_temperature import FamilyAwareTemperature
from mmaction.registry import MODELS
from mmaction.structures import ActionDataSample
from mmaction.utils import register_all_modules

BACKBONE = dict(  # ST-GCN++ of mmaction2's NTU-60 configs
    type='STGCN',
    gcn_adaptive='init',
    gcn_with_res=True,
    tcn_type='mstcn',
    graph_cfg=dict(layout='nturgb+d', mode='spatial'))


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--device', default='cpu')
    parser.add_argument('--batch-size', type=int, default=16)
    parser.add_argument('--num-classes', type=int, default=60)
    parser.add_argument('--clip-len', type=int, default=100)
    parser.add_argument('--base-channels', type=int, default=64)
    parser.add_argument('--queue-size', type=int, default=512)
    parser.add_argument('--repeats', type=int, default=15)
    parser.add_argument('--warmup', type=int, default=3)
    parser.add_argument('--family-classes', type=int, nargs='+',
                        default=[60, 120, 400, 1000])
    parser.add_argument('--amp', action='store_true',
                        help='mixed precision, as mmengine\'s AmpOptimWrapper')
    parser.add_argument('--sync-debug', action='store_true',
                        help="CUDA: ACLNet steps under sync debug mode 'error'")
    parser.add_argument('--quick', action='store_true',
                        help='tiny sizes, a few repeats (for tests)')
    parser.add_argument('--no-peak-memory', action='store_true',
                        help='skip the peak memory of a step (on CPU '
                        "torch's MemTracker sees every operation: slow)")
    parser.add_argument('--out', help='write the results as JSON here')
    parser.add_argument('--pipeline', metavar='CONFIG',
                        help='time the data pipelines of this config instead')
    parser.add_argument('--ann-file', help='pipeline mode: real clips from '
                        "this pickle (the config's splits)")
    parser.add_argument('--clip-shape', type=int, nargs=4,
                        default=[2, 300, 25, 3], metavar=('M', 'T', 'V', 'C'),
                        help='pipeline mode without --ann-file: generated '
                        'clips of this shape (default: NTU, 2 x 300 x 25 x 3)')
    parser.add_argument('--samples', type=int, default=200,
                        help='pipeline mode: clips timed per pipeline')
    args = parser.parse_args(argv)
    if args.sync_debug and not args.device.startswith('cuda'):
        parser.error('--sync-debug needs a CUDA --device')
    if args.quick and args.pipeline:
        args.samples = min(args.samples, 6)
        args.clip_shape = [2, 40, 25, 3]
    elif args.quick:
        args.batch_size, args.clip_len, args.base_channels = 4, 16, 8
        args.queue_size, args.repeats, args.warmup = 32, 3, 1
        args.family_classes = [60, 400]
    # the quick mode's backbone: 4 blocks (the widths and strides of the
    # full one's blocks 1, 5, 8 and 10), a third of the operations
    args.stages = (dict(num_stages=4, inflate_stages=[2, 3],
                        down_stages=[2, 3]) if args.quick and
                   not args.pipeline else {})
    return args


def synchronize(device):
    if device.type == 'cuda':
        torch.cuda.synchronize(device)


def build_models(args, device):
    """Stock, ACL and ACL + queue recognizers with identical weights."""
    in_channels = args.base_channels * 4
    head = dict(num_classes=args.num_classes, in_channels=in_channels)
    backbone = dict(BACKBONE, base_channels=args.base_channels,
                    **args.stages)
    stock = MODELS.build(dict(type='RecognizerGCN', backbone=backbone,
                              cls_head=dict(type='GCNHead', **head)))
    stock.init_weights()
    models = {'stock GCNHead': stock}
    for name, queue in (('ACL', 0), ('ACL + queue', args.queue_size)):
        model = MODELS.build(dict(
            type='RecognizerGCN', backbone=backbone,
            cls_head=dict(type='AffinityContrastHead', memory_size=queue,
                          **head)))
        model.load_state_dict(stock.state_dict(), strict=False)
        activate_families(model.cls_head)
        models[name] = model
    return {name: model.to(device).train() for name, model in models.items()}


def activate_families(head):
    """Families, prototypes and (if any) a full queue, as mid-training."""
    generator = torch.Generator().manual_seed(0)
    C = head.num_classes
    head.set_confusion_collection(True)
    head.confusion.copy_(torch.poisson(torch.rand(C, C, generator=generator)
                                       * 3, generator=generator))
    head.update_families()
    head.prototypes.copy_(torch.randn(C, head.embed_dim, generator=generator))
    head.prototype_seen.fill_(1)
    if head.memory_size:
        head.queue_labels.copy_(
            torch.randint(0, C, (head.memory_size, ), generator=generator))
        head.queue_embeddings.copy_(torch.nn.functional.normalize(
            torch.randn(head.memory_size, head.embed_dim,
                        generator=generator), dim=1))


def make_batch(args, device):
    generator = torch.Generator().manual_seed(1)
    inputs = torch.randn(args.batch_size, 1, 2, args.clip_len, 25, 3,
                         generator=generator).to(device)
    data = [ActionDataSample().set_gt_label(i % args.num_classes).to(device)
            for i in range(args.batch_size)]
    return inputs, data


class StepRunner:
    """One training step (forward, loss, backward, SGD step) of a model, in
    full or mixed precision, optionally under sync debug mode 'error'."""

    def __init__(self, model, device, amp=False, sync_debug=False):
        self.model = model
        self.device = device
        self.optimizer = torch.optim.SGD(model.parameters(), lr=0.01,
                                         momentum=0.9, nesterov=True)
        self.amp = amp
        # float16 on CPU too: the stock head's top-k accuracy goes through
        # numpy, which has no bfloat16
        self.dtype = torch.float16
        # the dynamic loss scale of AmpOptimWrapper (float16 only)
        self.scaler = (torch.amp.GradScaler('cuda')
                       if amp and device.type == 'cuda' else None)
        self.sync_debug = sync_debug

    @contextlib.contextmanager
    def _guard(self):
        if not self.sync_debug:
            yield
            return
        previous = torch.cuda.get_sync_debug_mode()
        torch.cuda.set_sync_debug_mode('error')
        try:
            yield
        finally:
            torch.cuda.set_sync_debug_mode(previous)

    def __call__(self, inputs, data):
        with self._guard():
            self.optimizer.zero_grad(set_to_none=True)
            with torch.autocast(self.device.type, dtype=self.dtype,
                                enabled=self.amp):
                losses = self.model(inputs, data, mode='loss')
            loss = sum(v for k, v in losses.items() if 'loss' in k)
            if self.scaler is None:
                loss.backward()
                self.optimizer.step()
                return
            self.scaler.scale(loss).backward()
        self.scaler.step(self.optimizer)  # syncs: torch's inf check
        self.scaler.update()


def step_syncs(model, args, device):
    """None if a CUDA training step of ``model`` makes no host-device
    synchronisation, else the first line of the error that one raised."""
    runner = StepRunner(copy.deepcopy(model), device, amp=args.amp,
                        sync_debug=True)
    try:
        runner(*make_batch(args, device))
    except RuntimeError as error:
        return str(error).splitlines()[0]
    return None


def time_steps(models, args, device, guarded=()):
    inputs, data = make_batch(args, device)
    runners = {
        name: StepRunner(model, device, amp=args.amp,
                         sync_debug=name in guarded)
        for name, model in models.items()
    }
    times = {name: [] for name in models}
    names = list(models)
    for repeat in range(args.warmup + args.repeats):
        # interleaved, and the order rotates so that no head always runs
        # first (or last) in a round
        shift = repeat % len(names)
        for name in names[shift:] + names[:shift]:
            synchronize(device)
            start = time.perf_counter()
            runners[name](inputs, data)
            synchronize(device)
            if repeat >= args.warmup:
                times[name].append(time.perf_counter() - start)
    medians = {name: statistics.median(ts) for name, ts in times.items()}
    # ratio of each round to the stock step of the same round, then the
    # median: pairing cancels the machine's slow drifts
    stock = times[names[0]]
    paired = {name: statistics.median(t / s for t, s in zip(ts, stock))
              for name, ts in times.items()}
    return medians, paired


def time_head_steps(models, args, device):
    """Median seconds of the head alone: loss forward + backward.

    On fixed backbone features, so that the head's own cost is measured
    without the backbone's run-to-run noise.
    """
    generator = torch.Generator().manual_seed(2)
    channels = args.base_channels * 4
    feats = torch.randn(args.batch_size, 2, channels, args.clip_len // 4, 25,
                        generator=generator).to(device)
    data = make_batch(args, device)[1]
    times = {name: [] for name in models}
    names = list(models)
    for repeat in range(5 * (args.warmup + args.repeats)):
        shift = repeat % len(names)
        for name in names[shift:] + names[:shift]:
            head = models[name].cls_head
            x = feats.clone().requires_grad_()
            synchronize(device)
            start = time.perf_counter()
            with torch.autocast(device.type, enabled=args.amp,
                                dtype=torch.float16):
                losses = head.loss(x, data)
            sum(v for k, v in losses.items() if 'loss' in k).backward()
            synchronize(device)
            if repeat >= 5 * args.warmup:
                times[name].append(time.perf_counter() - start)
    return {name: statistics.median(ts) for name, ts in times.items()}


def peak_step_memory(model, args, device):
    """Peak bytes held during one training step (params, grads, activations).

    CUDA: the allocator's peak. CPU: torch's MemTracker (a private torch
    tool; None where it is missing).
    """
    inputs, data = make_batch(args, device)
    step = StepRunner(model, device, amp=args.amp)
    step(inputs, data)  # optimizer state exists
    if device.type == 'cuda':
        synchronize(device)
        torch.cuda.reset_peak_memory_stats(device)
        step(inputs, data)
        return torch.cuda.max_memory_allocated(device)
    try:
        from torch.distributed._tools.mem_tracker import MemTracker
    except ImportError:
        return None
    tracker = MemTracker()
    tracker.track_external(model, step.optimizer)
    with tracker:
        step(inputs, data)
    return tracker.get_tracker_snapshot('peak')[device]['Total']


def time_family_updates(class_counts, device, repeats):
    temperature = FamilyAwareTemperature()
    results = {}
    for C in class_counts:
        generator = torch.Generator().manual_seed(C)
        confusion = torch.poisson(
            torch.rand(C, C, generator=generator) * 3,
            generator=generator).to(device)
        times = []
        for repeat in range(repeats + 2):
            synchronize(device)
            start = time.perf_counter()
            families = motion_families(affinity_similarity(confusion))
            temperature(families.sum(dim=1))
            synchronize(device)
            if repeat >= 2:
                times.append(time.perf_counter() - start)
        results[C] = statistics.median(times)
    return results


def buffer_bytes(module):
    return sum(b.numel() * b.element_size() for b in module.buffers())


def param_count(module):
    return sum(p.numel() for p in module.parameters())


def run(args):
    register_all_modules(init_default_scope=True)
    device = torch.device(args.device)
    models = build_models(args, device)
    syncs, guarded = {}, ()
    if args.sync_debug:
        # a head whose step synchronises is reported and timed unguarded
        syncs = {name: step_syncs(model, args, device)
                 for name, model in models.items()}
        guarded = [name for name, sync in syncs.items() if sync is None]
    steps, paired = time_steps(models, args, device, guarded)
    heads = time_head_steps(models, args, device)
    stock = steps['stock GCNHead']
    result = dict(
        device=(torch.cuda.get_device_name(device) if device.type == 'cuda'
                else f'CPU ({platform.processor() or platform.machine()}, '
                f'{torch.get_num_threads()} threads)'),
        torch=torch.__version__,
        setup=dict(batch_size=args.batch_size, num_classes=args.num_classes,
                   clip_len=args.clip_len, base_channels=args.base_channels,
                   blocks=args.stages.get('num_stages', 10),
                   queue_size=args.queue_size, repeats=args.repeats,
                   warmup=args.warmup, amp=args.amp,
                   sync_debug=args.sync_debug),
        # per head: None, or how its step synchronised (--sync-debug)
        step_syncs=syncs,
        sync_debug_guarded=list(guarded),
        step_seconds=steps,
        step_ratio={name: t / stock for name, t in steps.items()},
        paired_step_ratio=paired,
        head_step_seconds=heads,
        # the step ratio implied by the head's own extra cost: less noisy
        # than the full-step ratio on a busy CPU
        head_overhead_ratio={
            name: 1 + (t - heads['stock GCNHead']) / stock
            for name, t in heads.items()},
        family_update_seconds=time_family_updates(
            args.family_classes, device, args.repeats),
        head_buffer_bytes={name: buffer_bytes(m.cls_head)
                           for name, m in models.items()},
        head_parameters={name: param_count(m.cls_head)
                         for name, m in models.items()},
        peak_step_bytes={
            name: (None if args.no_peak_memory else
                   peak_step_memory(m, args, device))
            for name, m in models.items()})
    return result


def print_table(result):
    print(f'Device: {result["device"]}, torch {result["torch"]}')
    setup = result['setup']
    print(f'ST-GCN++ ({setup.get("blocks", 10)} blocks, base '
          f'{setup["base_channels"]}), batch '
          f'{setup["batch_size"]}, {setup["clip_len"]} frames, '
          f'{setup["num_classes"]} classes; median of {setup["repeats"]} '
          f'interleaved steps after {setup["warmup"]} warm-up'
          + ('; mixed precision' if setup['amp'] else ''))
    for name in result['sync_debug_guarded']:
        print(f'{name}: every timed step under sync debug mode "error"')
    for name, sync in result['step_syncs'].items():
        if sync:
            print(f'{name}: its step synchronises ({sync}); timed unguarded')
    print()
    print('| head | step (ms) | step ratio | paired step ratio | head alone '
          '(ms) | ratio from head cost | head buffers (KiB) | head params '
          '| peak step memory (MiB) |')
    print('| --- | --- | --- | --- | --- | --- | --- | --- | --- |')
    for name, seconds in result['step_seconds'].items():
        peak = result['peak_step_bytes'][name]
        peak = '-' if peak is None else f'{peak / 2**20:.1f}'
        print(f'| {name} | {1e3 * seconds:.1f} | '
              f'{result["step_ratio"][name]:.3f} | '
              f'{result["paired_step_ratio"][name]:.3f} | '
              f'{1e3 * result["head_step_seconds"][name]:.2f} | '
              f'{result["head_overhead_ratio"][name]:.4f} | '
              f'{result["head_buffer_bytes"][name] / 1024:.1f} | '
              f'{result["head_parameters"][name]} | {peak} |')
    print('\n| classes | family update (ms) |')
    print('| --- | --- |')
    for C, seconds in result['family_update_seconds'].items():
        print(f'| {C} | {1e3 * seconds:.2f} |')


# ---------------------------------------------------------------------------
# Pipeline mode
# ---------------------------------------------------------------------------
def _dataset_cfg(cfg, loader):
    dataset = cfg[loader]['dataset']
    while 'pipeline' not in dataset and 'dataset' in dataset:
        dataset = dataset['dataset']
    return dataset


def stock_equivalent(step):
    """mmaction's own transform(s) for a plugin transform, or None."""
    step = dict(step)
    kind = step.pop('type')
    if kind == 'FastPreNormalize3D':
        center = step.pop('center_joint', None)
        stock = [dict(type='PreNormalize3D', **step)]
        if center is not None:
            stock.append(dict(type='CenterOnJoint', joint=center))
        return stock
    if kind == 'FastUniformSampleFrames':
        return [dict(type='UniformSampleFrames', **step)]
    if kind == 'SkeletonFeat':
        feats = step.get('feats', ['j'])
        layout = step.get('layout', 'nturgb+d')
        if list(feats) == ['j']:  # the joint stream ignores the layout
            layout = 'nturgb+d'
        if layout in ('nturgb+d', 'coco') and set(feats) <= {
                'j', 'b', 'jm', 'bm'}:
            return [dict(type='GenSkeFeat', dataset=layout, feats=feats,
                         axis=step.get('axis', -1))]
        return None
    return [dict(type=kind, **step)]


def pipeline_samples(dataset_cfg, args):
    """Result dicts to feed the pipeline: real clips of the config's split,
    or generated ones."""
    import numpy as np
    if args.ann_file:
        import pickle
        with open(args.ann_file, 'rb') as f:
            data = pickle.load(f)
        names = set(data['split'][dataset_cfg['split']])
        clips = [a for a in data['annotations'] if a['frame_dir'] in names]
        rng = np.random.default_rng(0)
        order = rng.permutation(len(clips))[:args.samples]
        clips = [clips[i] for i in order]
    else:
        M, T, V, C = args.clip_shape
        rng = np.random.default_rng(0)
        clips = []
        for i in range(args.samples):
            keypoint = rng.normal(size=(M, T, V, C)).astype(np.float32)
            keypoint[:, :, :, 2 % C] += 3  # away from the camera
            clips.append(dict(frame_dir=f'clip{i}', label=0,
                              total_frames=T, keypoint=keypoint))
    return [dict(clip, start_index=0, modality='Pose') for clip in clips]


def time_pipelines(pipelines, samples):
    """Seconds per sample of every transform (median) and of the whole, for
    each pipeline; the pipelines take turns on every sample, so a change in
    the machine's load hits them alike."""
    import copy
    import numpy as np
    from mmaction.registry import TRANSFORMS
    built = [[TRANSFORMS.build(step) for step in steps]
             for steps in pipelines]
    per_step = [[[] for _ in transforms] for transforms in built]
    totals = [[] for _ in built]
    for index, sample in enumerate(samples):
        for which, transforms in enumerate(built):
            np.random.seed(index)  # the same draws for every pipeline
            results = copy.deepcopy(sample)
            total = 0.
            for i, transform in enumerate(transforms):
                start = time.perf_counter()
                results = transform(results)
                elapsed = time.perf_counter() - start
                per_step[which][i].append(elapsed)
                total += elapsed
            totals[which].append(total)
    return [([statistics.median(t) for t in steps], statistics.median(tot))
            for steps, tot in zip(per_step, totals)]


def run_pipeline(args):
    """Both pipelines of the config, ours and stock, taking turns."""
    from mmengine.config import Config
    register_all_modules(init_default_scope=True)
    torch.set_num_threads(1)  # as one loader worker
    cfg = Config.fromfile(args.pipeline)
    report = dict(config=args.pipeline, ann_file=args.ann_file,
                  clip_shape=None if args.ann_file else args.clip_shape,
                  samples=args.samples, pipelines={})
    for name, loader in (('train', 'train_dataloader'),
                         ('test', 'test_dataloader')):
        dataset_cfg = _dataset_cfg(cfg, loader)
        ours = [dict(step) for step in dataset_cfg['pipeline']]
        stock = []
        for step in ours:
            equivalent = stock_equivalent(step)
            stock = None if equivalent is None or stock is None else \
                stock + equivalent
        samples = pipeline_samples(dataset_cfg, args)
        timed = time_pipelines([ours] + ([stock] if stock else []), samples)
        (ours_steps, ours_total) = timed[0]
        entry = dict(steps=[s['type'] for s in ours],
                     step_seconds=ours_steps, total_seconds=ours_total)
        if stock is not None:
            stock_steps, stock_total = timed[1]
            entry.update(stock_steps=[s['type'] for s in stock],
                         stock_step_seconds=stock_steps,
                         stock_total_seconds=stock_total,
                         speedup=stock_total / ours_total)
        report['pipelines'][name] = entry
    return report


def print_pipeline(report):
    source = (f'real clips of {report["ann_file"]}' if report['ann_file']
              else f'generated clips {tuple(report["clip_shape"])}')
    print(f'{report["config"]}: {report["samples"]} {source}, one thread '
          '(one loader worker); medians per sample\n')
    for name, entry in report['pipelines'].items():
        print(f'{name} pipeline:\n')
        print('| transform | ms |')
        print('| --- | --- |')
        for step, seconds in zip(entry['steps'], entry['step_seconds']):
            print(f'| {step} | {1e3 * seconds:.3f} |')
        total = entry['total_seconds']
        print(f'| **whole** | **{1e3 * total:.3f}** |\n')
        print(f'{1 / total:.0f} samples/s per worker with the plugin\'s '
              'transforms', end='')
        if 'stock_total_seconds' in entry:
            stock = entry['stock_total_seconds']
            slowest = max(zip(entry['stock_step_seconds'],
                              entry['stock_steps']))
            print(f'; {1 / stock:.0f} with the stock ones (whole pipeline '
                  f'{1e3 * stock:.3f} ms, of which {slowest[1]} '
                  f'{1e3 * slowest[0]:.3f} ms): {entry["speedup"]:.1f}x')
        else:
            print(' (no stock equivalent of every transform)')
        print()


def main(argv=None):
    args = parse_args(argv)
    if args.pipeline:
        result = run_pipeline(args)
        print_pipeline(result)
        if args.out:
            with open(args.out, 'w') as f:
                json.dump(result, f, indent=1)
        return result
    result = run(args)
    print_table(result)
    if args.out:
        with open(args.out, 'w') as f:
            json.dump(result, f, indent=1)
        print(f'\nwrote {args.out}')
    return result


if __name__ == '__main__':
    main()
