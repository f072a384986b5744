"""Draw the Motion Families of a training run (the paper's Fig. 3) from the
files MotionFamilyHook writes (WORK_DIR/motion_families/epoch_*.json).

Writes to --out-dir:

- family_<index>.png: the Motion Family of one class (--class, a name or
  an index; default: the class with the largest family) as a graph, the
  class in the centre and its members around it, at the epoch of
  --checkpoint (or --epoch, else the last recompute); the family's
  temperature in the title. With --checkpoint, edges are drawn by the
  affinity w[class, member] (eq. 3-5), computed from the confusion counts
  the checkpoint holds (cls_head.confusion) with the run's K; without, all
  edges are alike.
- confusion.png, affinity.png (with --checkpoint): the training confusion
  counts H (row i: how often class i was predicted as each other class) and
  the affinity w, as heatmaps.
- churn.png and churn.md: how the families changed from one recompute to
  the next: total members (pairs class -> member), classes with a family,
  and the members gained and lost per recompute. The churn table is also
  printed.

The families the checkpoint's confusion gives are compared with the file of
its epoch; a difference is reported (e.g. a run with
symmetric_confusion=True: pass --symmetric-confusion).

Example::

    python tools/analysis/families.py work_dirs/benchmark_accuracy/fpha/aclnet_seed0 \\
        --checkpoint work_dirs/benchmark_accuracy/fpha/aclnet_seed0/epoch_40.pth \\
        --class open_juice_bottle --out-dir work_dirs/families_fpha
"""
import argparse
import os
import os.path as osp
import sys
from typing import Dict, List, Optional

import numpy as np
import torch

from aclnet_plugin.analysis import (checkpoint_epoch, family_churn,
                                    load_checkpoint_state, load_family_records,
                                    resolve_class)
from aclnet_plugin.analysis.plots import (class_labels, heatmap, save_figure,
                                          wrap_label)
from aclnet_plugin.models import affinity_similarity, motion_families

CONFUSION = 'cls_head.confusion'
#: The largest affinity: a direct neighbour (1/2) sharing every neighbour (1).
MAX_AFFINITY = 1.5


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        prog='families.py',
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('work_dir', help='a training work dir (or its '
                        'motion_families folder)')
    parser.add_argument('--class', dest='cls', metavar='NAME_OR_INDEX',
                        help='the class whose family to draw (default: the '
                        'one with the largest family)')
    parser.add_argument('--checkpoint', help='a checkpoint of the run: '
                        'affinity edges and the confusion and affinity '
                        'heatmaps')
    parser.add_argument('--epoch', type=int, help='draw the family of this '
                        'recompute (default: the checkpoint\'s epoch, else '
                        'the last)')
    parser.add_argument('--symmetric-confusion', action='store_true',
                        help='the run used symmetric_confusion=True '
                        '(affinity from H + H^T)')
    parser.add_argument('--out-dir', required=True,
                        help='where the PNGs and churn.md go')
    return parser.parse_args(argv)


def class_names(record: Dict) -> List[str]:
    """The names the hook saved, else 'class i'."""
    entries = record['classes']
    if all('name' in c for c in entries):
        return [str(c['name']) for c in entries]
    return class_labels(None, len(entries))


def choose_class(token: Optional[str], names: List[str],
                 record: Dict) -> int:
    """A class index from --class, or the class with the largest family."""
    if token is None:
        sizes = [len(c['members']) for c in record['classes']]
        return int(np.argmax(sizes))
    return resolve_class(token, names, '--class')


def checkpoint_affinity(path: str, record: Dict, symmetric: bool) -> Dict:
    """Confusion counts of a checkpoint and the affinity they give."""
    state, meta = load_checkpoint_state(path)
    if CONFUSION not in state:
        raise ValueError(f'{path}: no {CONFUSION!r}; is it a checkpoint of '
                         'a run with an AffinityContrastHead?')
    confusion = state[CONFUSION].to(torch.float64)
    num = record['num_classes']
    if tuple(confusion.shape) != (num, num):
        raise ValueError(
            f'{path} holds a confusion of shape {tuple(confusion.shape)}, '
            f'the family files are for {num} classes: a checkpoint of '
            'another run?')
    counts = confusion + confusion.T if symmetric else confusion
    affinity = affinity_similarity(counts, int(record['num_neighbors']))
    return dict(confusion=confusion.numpy(), affinity=affinity.numpy(),
                families=motion_families(affinity,
                                         int(record['overlap_threshold']),
                                         int(record['num_neighbors'])),
                epoch=checkpoint_epoch(meta))


def draw_family(record: Dict, index: int, names: List[str],
                affinity: Optional[np.ndarray], path: str) -> str:
    """The class in the centre, its family around it (networkx)."""
    import networkx as nx
    from matplotlib import colormaps
    from matplotlib.cm import ScalarMappable
    from matplotlib.colors import Normalize
    from matplotlib.figure import Figure
    entry = record['classes'][index]
    members = list(entry['members'])
    if affinity is not None:  # strongest first, clockwise from the top
        members.sort(key=lambda m: (-affinity[index, m], m))
    count = len(members)
    side = 7.0 + 0.12 * max(0, count - 8)
    fig = Figure(figsize=(side + (1.2 if affinity is not None else 0), side),
                 layout='constrained')
    ax = fig.add_subplot()
    graph = nx.Graph()
    graph.add_node(index)
    positions = {index: np.zeros(2)}
    for k, member in enumerate(members):
        angle = np.pi / 2 - 2 * np.pi * k / max(count, 1)
        positions[member] = np.array([np.cos(angle), np.sin(angle)])
        graph.add_edge(index, member)
    # members have w above the threshold n_a / K_eff, at most 1.5
    threshold = (record['overlap_threshold'] /
                 max(1, min(record['num_neighbors'], len(names) - 1)))
    norm = Normalize(threshold, MAX_AFFINITY)
    cmap = colormaps['viridis']
    member_edges = [(index, m) for m in members]
    if members:
        if affinity is not None:
            weights = [affinity[index, m] for m in members]
            edges = dict(width=[1.5 + 5 * norm(w) for w in weights],
                         edge_color=[cmap(norm(w)) for w in weights])
        else:
            edges = dict(width=2.0, edge_color='#7a8793')
        nx.draw_networkx_edges(graph, positions, edgelist=member_edges,
                               ax=ax, node_size=3600, **edges)
        if affinity is not None:
            nx.draw_networkx_edge_labels(
                graph, positions, ax=ax, font_size=8, label_pos=0.62,
                edge_labels={e: f'{affinity[e]:.2f}' for e in member_edges},
                bbox=dict(boxstyle='round,pad=0.15', facecolor='white',
                          edgecolor='none', alpha=0.85))
    nx.draw_networkx_nodes(graph, positions, nodelist=members, ax=ax,
                           node_color='#dce9f5', edgecolors='#4a6f8f',
                           node_size=3600)
    nx.draw_networkx_nodes(graph, positions, nodelist=[index], ax=ax,
                           node_color='#f4a259', edgecolors='#9a5a1e',
                           node_size=4600)
    size = 9 if count <= 12 else 8
    nx.draw_networkx_labels(
        graph, positions, ax=ax, font_size=size,
        labels={n: wrap_label(names[n], 12) for n in graph.nodes})
    ax.set_xlim(-1.35, 1.35)
    ax.set_ylim(-1.3, 1.3)
    ax.set_aspect('equal')
    ax.axis('off')
    if affinity is not None and members:
        colorbar = fig.colorbar(ScalarMappable(norm, cmap), ax=ax,
                                shrink=0.6)
        colorbar.set_label(f'affinity w[class, member] (eq. 3-5), from the '
                           f'threshold {threshold:.2f} to {MAX_AFFINITY}')
    tau = entry.get('temperature')
    tau = f', temperature {tau:g}' if tau is not None else ''
    title = (f'Motion Family of {names[index]!r} at epoch {record["epoch"]}: '
             f'{count} member{"s" if count != 1 else ""}{tau}')
    if not members:
        title = (f'{names[index]!r} has no Motion Family at epoch '
                 f'{record["epoch"]}{tau}')
    note = (f'K = {record["num_neighbors"]}, n_a = '
            f'{record["overlap_threshold"]}; ' +
            ('edges: affinity w' if affinity is not None
             else 'edge weights need --checkpoint'))
    ax.set_title(f'{title}\n{note}', fontsize=11)
    return save_figure(fig, path)


def draw_churn(rows: List[Dict], title: str, path: str) -> str:
    """Members and classes with a family over epochs; gained and lost."""
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator
    epochs = [r['epoch'] for r in rows]
    fig = Figure(figsize=(max(7.0, 0.18 * len(rows) + 5), 6.5),
                 layout='constrained')
    top, bottom = fig.subplots(2, 1, sharex=True,
                               gridspec_kw=dict(height_ratios=(3, 2)))
    top.plot(epochs, [r['members'] for r in rows], marker='o', markersize=4,
             color='#1f5f99', label='members (all families)')
    top.plot(epochs, [r['classes_with_family'] for r in rows], marker='s',
             markersize=4, color='#e07b39', label='classes with a family')
    top.set_ylabel('count')
    top.set_ylim(bottom=0)
    top.grid(alpha=0.3)
    top.legend(loc='best', fontsize=9)
    top.set_title(f'How the Motion Families of {title} changed across '
                  'recomputes', fontsize=11)
    later = [r for r in rows if r['gained'] is not None]
    if later:
        x = [r['epoch'] for r in later]
        width = 0.7 * min(np.diff(epochs))
        bottom.bar(x, [r['gained'] for r in later], width=width,
                   color='#2a9d4b', label='gained')
        bottom.bar(x, [-r['lost'] for r in later], width=width,
                   color='#c8433a', label='lost')
        bottom.legend(loc='best', fontsize=9)
    else:
        bottom.text(0.5, 0.5, 'one recompute only: no change to show',
                    ha='center', va='center', transform=bottom.transAxes)
    bottom.axhline(0, color='black', linewidth=0.8)
    bottom.set_ylabel('members gained (+)\n/ lost (-)')
    bottom.set_xlabel('epoch of the recompute')
    bottom.set_xlim(epochs[0] - 0.6, epochs[-1] + 0.6)
    bottom.xaxis.set_major_locator(MaxNLocator(integer=True))
    bottom.grid(alpha=0.3)
    return save_figure(fig, path)


def churn_table(rows: List[Dict]) -> str:
    """The churn as markdown."""
    lines = ['| epoch | classes with a family | members | gained | lost | '
             'classes changed |', '|---|---|---|---|---|---|']
    for r in rows:
        cells = [r['epoch'], r['classes_with_family'], r['members'],
                 r['gained'], r['lost'], r['changed_classes']]
        lines.append('| ' + ' | '.join('-' if c is None else str(c)
                                       for c in cells) + ' |')
    return '\n'.join(lines) + '\n'


def run(args) -> Dict:
    records = load_family_records(args.work_dir)
    by_epoch = {r['epoch']: r for r in records}
    last = records[-1]
    names = class_names(last)
    checkpoint = None
    if args.checkpoint:
        checkpoint = checkpoint_affinity(args.checkpoint, last,
                                         args.symmetric_confusion)
    epoch = args.epoch
    if epoch is None and checkpoint is not None and \
            checkpoint['epoch'] in by_epoch:
        epoch = checkpoint['epoch']
    if epoch is not None and epoch not in by_epoch:
        raise ValueError(f'no recompute at epoch {epoch} in {args.work_dir} '
                         f'(epochs {sorted(by_epoch)})')
    record = by_epoch[epoch] if epoch is not None else last
    index = choose_class(args.cls, names, record)
    os.makedirs(args.out_dir, exist_ok=True)
    outputs = {}
    notes = []
    affinity = None
    if checkpoint is not None:
        affinity = checkpoint['affinity']
        if checkpoint['epoch'] != record['epoch']:
            notes.append(
                f'note: the checkpoint is of epoch {checkpoint["epoch"]}, the '
                f'family drawn of epoch {record["epoch"]}: the edge weights '
                'are the checkpoint\'s affinity')
        else:
            saved = np.zeros((len(names), len(names)), dtype=bool)
            for entry in record['classes']:
                saved[entry['index'], entry['members']] = True
            differ = int((checkpoint['families'].numpy() != saved).sum())
            if differ:
                notes.append(
                    f'warning: the checkpoint\'s confusion gives families '
                    f'that differ from the file of epoch {record["epoch"]} '
                    f'in {differ} pairs; was the run trained with '
                    'symmetric_confusion=True (--symmetric-confusion)?')
        size = len(names)
        outputs['confusion'] = heatmap(
            checkpoint['confusion'], names,
            f'Training confusion counts H up to epoch {checkpoint["epoch"]} '
            f'({int(checkpoint["confusion"].sum())} confusions, {size} '
            'classes)', 'training samples of the true class predicted as '
            'the column', osp.join(args.out_dir, 'confusion.png'),
            cmap='magma', fmt='{:.0f}')
        outputs['affinity'] = heatmap(
            affinity, names,
            f'Class affinity w at epoch {checkpoint["epoch"]} (eq. 3-5, '
            f'K = {last["num_neighbors"]}); members: w > '
            f'{last["overlap_threshold"]}/K', 'affinity w[i, j]',
            osp.join(args.out_dir, 'affinity.png'), cmap='viridis',
            vmax=MAX_AFFINITY, xlabel='class j', ylabel='class i',
            fmt='{:.2f}')
    outputs['family'] = draw_family(
        record, index, names, affinity,
        osp.join(args.out_dir, f'family_{index}.png'))
    rows = family_churn(records)
    run_name = osp.basename(osp.normpath(args.work_dir))
    if run_name == 'motion_families':
        run_name = osp.basename(osp.dirname(osp.normpath(args.work_dir)))
    outputs['churn'] = draw_churn(
        rows, f'{run_name!r} ({len(names)} classes)',
        osp.join(args.out_dir, 'churn.png'))
    table = churn_table(rows)
    outputs['churn_table'] = osp.join(args.out_dir, 'churn.md')
    with open(outputs['churn_table'], 'w') as f:
        f.write('Motion Family changes per recompute (members: pairs class '
                '-> family member; gained / lost: since the previous '
                'recompute)\n\n' + table)
    members = record['classes'][index]['members']
    print(f'class {index} ({names[index]}) at epoch {record["epoch"]}: '
          f'{len(members)} members: ' +
          (', '.join(names[m] for m in members) or 'none'))
    for note in notes:
        print(note)
    print(table)
    print('written: ' + ', '.join(outputs.values()))
    return dict(index=index, epoch=record['epoch'], churn=rows,
                outputs=outputs)


def main(argv=None):
    """Run the CLI; errors in the inputs end it with SystemExit(message)."""
    args = parse_args(argv)
    try:
        return run(args)
    except (ValueError, OSError) as error:
        raise SystemExit(f'families.py: error: {error}')


if __name__ == '__main__':
    main(sys.argv[1:])
