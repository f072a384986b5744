"""The Motion Family files of :class:`MotionFamilyHook`, their churn and
their reach."""
import glob
import json
import os.path as osp
import re
from typing import Dict, List, Sequence

import numpy as np

__all__ = ['family_folder', 'load_family_records', 'family_churn',
           'family_coverage']

EPOCH_FILE = re.compile(r'^epoch_(\d+)\.json$')
FIELDS = ('epoch', 'num_classes', 'num_neighbors', 'overlap_threshold',
          'classes')


def family_folder(path: str) -> str:
    """The folder of the hook's files: ``path/motion_families`` or ``path``.

    Args:
        path (str): A training work dir, or its ``motion_families`` folder.

    Returns:
        str: The folder holding ``epoch_*.json``.
    """
    if not osp.isdir(path):
        raise FileNotFoundError(f'{path}: no such folder')
    inner = osp.join(path, 'motion_families')
    if osp.isdir(inner):
        return inner
    if glob.glob(osp.join(path, 'epoch_*.json')):
        return path
    raise ValueError(
        f'{path}: no motion_families/epoch_*.json in it; was '
        'MotionFamilyHook in the config, and did training reach its '
        'start_epoch?')


def _check_record(record, path: str) -> Dict:
    if not isinstance(record, dict) or any(f not in record for f in FIELDS):
        raise ValueError(f'{path}: not a MotionFamilyHook file (it needs '
                         f'the fields {list(FIELDS)})')
    num = record['num_classes']
    classes = record['classes']
    if not isinstance(classes, list) or len(classes) != num:
        raise ValueError(f'{path}: {num} classes announced, '
                         f'{len(classes) if isinstance(classes, list) else 0}'
                         ' listed')
    # the authors' recipe can list a class in its own family
    own_allowed = record.get('recipe') == 'authors'
    for position, entry in enumerate(classes):
        if entry.get('index') != position:
            raise ValueError(f'{path}: class entry {position} has index '
                             f'{entry.get("index")!r}')
        bad = [m for m in entry.get('members', [])
               if not (isinstance(m, int) and 0 <= m < num and (
                   m != position or own_allowed))]
        if bad or 'members' not in entry:
            raise ValueError(f'{path}: class {position} has invalid '
                             f'members {entry.get("members")!r}')
    return record


def load_family_records(path: str) -> List[Dict]:
    """Every ``epoch_*.json`` of a work dir, checked, in epoch order.

    Args:
        path (str): A training work dir or its ``motion_families`` folder.

    Returns:
        list[dict]: The files' contents, one per recompute, by epoch.
    """
    folder = family_folder(path)
    records = []
    for file in glob.glob(osp.join(folder, 'epoch_*.json')):
        if not EPOCH_FILE.match(osp.basename(file)):
            continue
        with open(file) as f:
            try:
                record = json.load(f)
            except json.JSONDecodeError as error:
                raise ValueError(f'{file}: not JSON ({error})')
        records.append(_check_record(record, file))
    if not records:
        raise ValueError(f'{folder}: no epoch_*.json files')
    records.sort(key=lambda r: r['epoch'])
    counts = {r['num_classes'] for r in records}
    if len(counts) != 1:
        raise ValueError(f'{folder}: the files disagree on num_classes '
                         f'({sorted(counts)}); are two runs mixed?')
    return records


def _pairs(record: Dict) -> set:
    return {(c['index'], m) for c in record['classes'] for m in c['members']}


def family_churn(records: List[Dict]) -> List[Dict]:
    """How the families changed from one recompute to the next.

    A member is a pair (class i, class j in the family of i).

    Args:
        records (list[dict]): Hook files in epoch order
            (:func:`load_family_records`).

    Returns:
        list[dict]: Per record: ``epoch``, ``classes_with_family``,
        ``members`` (total over classes), ``gained`` and ``lost`` (pairs
        new since, and gone since, the previous recompute; None for the
        first) and ``changed_classes`` (classes whose family differs from
        the previous one; None for the first).
    """
    rows, previous = [], None
    for record in records:
        pairs = _pairs(record)
        row = dict(
            epoch=int(record['epoch']),
            classes_with_family=sum(bool(c['members'])
                                    for c in record['classes']),
            members=len(pairs), gained=None, lost=None,
            changed_classes=None)
        if previous is not None:
            row['gained'] = len(pairs - previous)
            row['lost'] = len(previous - pairs)
            row['changed_classes'] = len(
                {i for i, _ in pairs ^ previous})
        rows.append(row)
        previous = pairs
    return rows


def family_coverage(record: Dict, class_counts: Sequence[int]) -> Dict:
    """How far a recompute's families reach.

    Args:
        record (dict): A hook file (:func:`load_family_records`).
        class_counts (Sequence[int]): Training samples of each class.

    Returns:
        dict: ``mean_size``, the mean family size over the classes, and
        ``sample_share``, the share of training samples whose class has a
        family (those that get an inter-class loss while it is in force).
    """
    sizes = np.array([len(c['members']) for c in record['classes']])
    counts = np.asarray(class_counts, dtype=float)
    if len(counts) != len(sizes):
        raise ValueError(f'{len(counts)} class counts for '
                         f'{len(sizes)} classes')
    return dict(mean_size=float(sizes.mean()),
                sample_share=float(counts[sizes > 0].sum() /
                                   max(counts.sum(), 1)))
