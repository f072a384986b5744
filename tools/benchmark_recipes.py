"""The head's loss step in both recipes, against the public code's losses.

Times, interleaved in one process, the loss step (classifier scores,
cross-entropy, both contrastive losses, backward) of
:class:`AffinityContrastHead` fed by the topology, in the equations recipe and
in the authors' recipe, and, given a checkout of the authors' public code
(firework8/ACLNet), the same step through that code's two loss modules
(``Inter_Affinitive_Contrastive_Loss``, ``Intra_Affinitive_Contrastive_Loss``,
weights 0.1 each, with the same projections). All three run mid-training:
confusion counted every step, families in force, the memory full. Sizes are
NTU-60's by default (60 classes, a 625-value topology, memory 512)::

    git clone https://github.com/firework8/ACLNet /tmp/ACLNet
    python tools/benchmark_recipes.py --public-code /tmp/ACLNet
    python tools/benchmark_recipes.py --public-code /tmp/ACLNet --device cuda

Family recomputations (once an epoch in every recipe) are not timed. The
public code is only read from the given folder; nothing of it is in this
project.
"""
import argparse
import importlib.util
import json
import os.path as osp
import platform
import statistics
import time

import torch
import torch.nn.functional as F

import aclnet_plugin  # noqa: F401
from aclnet_plugin.models import AffinityContrastHead
from aclnet_plugin.utils import cpu_model
from mmaction.structures import ActionDataSample
from mmaction.utils import register_all_modules

LOSSES = 'aclnet/models/losses'


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--public-code', metavar='DIR',
                        help='a checkout of firework8/ACLNet (without it, '
                        'only the two recipes are timed)')
    parser.add_argument('--batch-sizes', type=int, nargs='+',
                        default=[16, 64])
    parser.add_argument('--num-classes', type=int, default=60)
    parser.add_argument('--num-joints', type=int, default=25)
    parser.add_argument('--memory', type=int, default=512)
    parser.add_argument('--channels', type=int, default=384,
                        help='backbone feature channels (the classifier\'s '
                        'input)')
    parser.add_argument('--embed-dim', type=int, default=256)
    parser.add_argument('--repeats', type=int, default=30)
    parser.add_argument('--warmup', type=int, default=3)
    parser.add_argument('--device', default='cpu')
    parser.add_argument('--out', help='write the results as JSON here')
    return parser.parse_args(argv)


def load_public_code(folder):
    """The two loss classes of the public code, imported from its files."""
    classes = []
    for name in ('Inter_Affinitive_Contrastive_Loss',
                 'Intra_Affinitive_Contrastive_Loss'):
        path = osp.join(folder, LOSSES, f'{name}.py')
        if not osp.isfile(path):
            raise FileNotFoundError(
                f'{path} not found: --public-code takes a checkout of '
                'firework8/ACLNet (the folder holding aclnet/)')
        spec = importlib.util.spec_from_file_location(f'public_{name}', path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        classes.append(getattr(module, name))
    return classes


class Setting:
    """Weights, state and inputs shared by the three steps."""

    def __init__(self, args, batch_size, device):
        generator = torch.Generator().manual_seed(batch_size)
        self.args, self.batch_size, self.device = args, batch_size, device
        C, V2 = args.num_classes, args.num_joints**2
        self.topology_dim = V2
        self.fc = torch.nn.Linear(args.channels, C)
        self.projectors = [torch.nn.Linear(V2, args.embed_dim)
                           for _ in range(2)]
        self.feat = torch.randn(batch_size, 1, args.channels, 1, 1,
                                generator=generator)
        # a topology of the size the paper's model learns (rms ~0.1)
        self.topology = 0.1 * torch.randn(batch_size, V2,
                                          generator=generator)
        self.labels = torch.randint(0, C, (batch_size, ),
                                    generator=generator)
        self.confusion = torch.poisson(
            torch.rand(C, C, generator=generator) * 3, generator=generator)
        self.confusion.fill_diagonal_(0)
        self.queue = F.normalize(torch.randn(
            args.memory, args.embed_dim, generator=generator), dim=1)
        self.queue_labels = torch.randint(0, C, (args.memory, ),
                                          generator=generator)

    def inputs(self):
        return (self.feat.to(self.device),
                self.topology.to(self.device).requires_grad_())


def head_step(setting, recipe):
    """One of this project's heads mid-training, and its step."""
    args = setting.args
    head = AffinityContrastHead(
        args.num_classes, args.channels, embed_dim=args.embed_dim,
        contrast_input='topology', num_joints=args.num_joints,
        memory_size=args.memory, recipe=recipe)
    with torch.no_grad():
        head.fc.load_state_dict(setting.fc.state_dict())
        head.inter_projector.load_state_dict(
            setting.projectors[0].state_dict())
        head.intra_projector.load_state_dict(
            setting.projectors[1].state_dict())
        head.confusion.copy_(setting.confusion)
        head.update_families()
        head.prototypes.normal_()
        head.prototype_seen.fill_(1)
        head.queue_embeddings.copy_(setting.queue)
        head.queue_labels.copy_(setting.queue_labels)
    head.set_confusion_collection(True)
    head = head.to(setting.device).train()
    data = [ActionDataSample().set_gt_label(int(y)).to(setting.device)
            for y in setting.labels]

    def step():
        feat, topology = setting.inputs()
        losses = head.loss((feat, topology), data)
        sum(v for k, v in losses.items() if k.startswith('loss')).backward()

    return step


def public_step(setting, classes):
    """The public code's two modules mid-training (counting, families in
    force, the memory full), and the same step through them."""
    args, device = setting.args, setting.device
    inter_class, intra_class = classes
    dim = setting.topology_dim
    inter = inter_class(args.num_classes, n_channel=dim,
                        h_channel=args.embed_dim)
    intra = intra_class(args.num_classes, args.memory, n_channel=dim,
                        h_channel=args.embed_dim)
    with torch.no_grad():
        inter.cl_fc.load_state_dict(setting.projectors[0].state_dict())
        intra.cl_fc.load_state_dict(setting.projectors[1].state_dict())
    fc = torch.nn.Linear(args.channels, args.num_classes)
    fc.load_state_dict(setting.fc.state_dict())
    inter, intra, fc = (m.to(device).train() for m in (inter, intra, fc))
    # counting from the start epoch on, families computed at the next step
    counts = setting.confusion.long().tolist()
    inter.Neighborhood_Bank = [dict(enumerate(row)) for row in counts]
    inter.start_epoch, inter.current_epoch = 1, 2
    inter.state, inter.epoch_state = 'Affinitive', True
    labels = setting.labels.to(device)

    def step():
        feat, topology = setting.inputs()
        logits = fc(feat.mean(dim=(1, 3, 4)))
        loss = (F.cross_entropy(logits, labels) +
                0.1 * inter(topology, labels, logits).mean() +
                0.1 * intra(topology, labels).mean())
        loss.backward()

    # one step computes the families; the memory fills
    for _ in range(args.memory // setting.batch_size + 1):
        step()
    return step


def synchronize(device):
    if device.type == 'cuda':
        torch.cuda.synchronize(device)


def time_interleaved(steps, args, device):
    """Median seconds a step; the order rotates every round."""
    times = {name: [] for name in steps}
    names = list(steps)
    for repeat in range(args.warmup + args.repeats):
        shift = repeat % len(names)
        for name in names[shift:] + names[:shift]:
            synchronize(device)
            start = time.perf_counter()
            steps[name]()
            synchronize(device)
            if repeat >= args.warmup:
                times[name].append(time.perf_counter() - start)
    return {name: statistics.median(ts) for name, ts in times.items()}


def run(args):
    register_all_modules(init_default_scope=True)
    device = torch.device(args.device)
    classes = load_public_code(args.public_code) if args.public_code \
        else None
    result = dict(
        device=(torch.cuda.get_device_name(device) if device.type == 'cuda'
                else f'{cpu_model()}, {torch.get_num_threads()} threads, '
                f'{torch.backends.cpu.get_cpu_capability()} kernels'),
        torch=torch.__version__, python=platform.python_version(),
        setup=dict(num_classes=args.num_classes,
                   topology_dim=args.num_joints**2, memory=args.memory,
                   embed_dim=args.embed_dim, repeats=args.repeats,
                   warmup=args.warmup),
        batches={})
    for batch_size in args.batch_sizes:
        setting = Setting(args, batch_size, device)
        steps = {recipe: head_step(setting, recipe)
                 for recipe in ('equations', 'authors')}
        if classes is not None:
            steps['public code'] = public_step(setting, classes)
        seconds = time_interleaved(steps, args, device)
        entry = dict(seconds=seconds)
        if classes is not None:
            entry['public_over'] = {
                recipe: seconds['public code'] / seconds[recipe]
                for recipe in ('equations', 'authors')}
        result['batches'][batch_size] = entry
    return result


def print_table(result):
    setup = result['setup']
    print(f'{result["device"]}, torch {result["torch"]}; '
          f'{setup["num_classes"]} classes, topology {setup["topology_dim"]}'
          f', memory {setup["memory"]}; median of {setup["repeats"]} '
          'interleaved steps\n')
    names = list(next(iter(result['batches'].values()))['seconds'])
    header = ' | '.join(f'{n} (ms)' for n in names)
    ratios = 'public' in ' '.join(names)
    print(f'| batch | {header} |' + (
        ' public code / equations | public code / authors |'
        if ratios else ''))
    print('| --- ' * (len(names) + 1 + 2 * ratios) + '|')
    for batch_size, entry in result['batches'].items():
        cells = ' | '.join(f'{1e3 * entry["seconds"][n]:.2f}' for n in names)
        extra = (f' {entry["public_over"]["equations"]:.1f}x | '
                 f'{entry["public_over"]["authors"]:.1f}x |'
                 if ratios else '')
        print(f'| {batch_size} | {cells} |{extra}')


def main(argv=None):
    args = parse_args(argv)
    result = run(args)
    print_table(result)
    if args.out:
        with open(args.out, 'w') as f:
            json.dump(result, f, indent=1)
    return result


if __name__ == '__main__':
    main()
