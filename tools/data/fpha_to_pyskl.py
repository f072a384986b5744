"""Convert F-PHAB hand poses (folder or .tar.xz) to a PySKL-format pickle.

    python tools/data/fpha_to_pyskl.py \
        ../shared/datasets/fpha/fpha_hand_pose.tar.xz \
        --out data/skeleton/fpha_3d.pkl

The source is ``fpha_hand_pose.tar.xz`` or the folder it unpacks to: the
files ``Hand_pose_annotation_v1/Subject_S/<action>/<repetition>/skeleton.txt``
(one line a frame: the frame index, then 21 joints x (x, y, z) in
millimetres) and ``data_split_action_recognition.txt`` (the official 1:1
split with its labels 0..44).

The pickle holds one annotation per non-empty sequence (``frame_dir``
``'Subject_S/<action>/<repetition>'``, ``label``, ``total_frames``,
``keypoint`` (1, T, 21, 3) float32 in metres, ``subject``, ``action``,
``repetition``), the splits ``train`` / ``test`` (the official 1:1 split, in
the split file's order) and ``loso{S}_train`` / ``loso{S}_test`` (leave
subject S out), and a ``meta`` dict: the class names in label order, the
units, the layout name (``'fpha-hand'`` of
:mod:`aclnet_plugin.datasets.layouts`) and the source.
"""
import argparse
import os
import os.path as osp
import pickle
import re
import sys
import tarfile
import time
from typing import Dict, Iterator, List, Sequence, Tuple

import numpy as np

NUM_JOINTS = 21
#: Values a line: the frame index, then 21 joints x (x, y, z).
NUM_VALUES = 1 + NUM_JOINTS * 3
JOINT_NAMES = ('Wrist', 'TMCP', 'IMCP', 'MMCP', 'RMCP', 'PMCP', 'TPIP',
               'TDIP', 'TTIP', 'IPIP', 'IDIP', 'ITIP', 'MPIP', 'MDIP', 'MTIP',
               'RPIP', 'RDIP', 'RTIP', 'PPIP', 'PDIP', 'PTIP')
SPLIT_FILE = 'data_split_action_recognition.txt'
SPLIT_SECTIONS = ('Training', 'Test')
LAYOUT = 'fpha-hand'
_SKELETON = re.compile(r'(?:^|/)(Subject_(\d+)/([^/]+)/(\d+))/skeleton\.txt$')
_FRAME_DIR = re.compile(r'^Subject_(\d+)/([^/\s]+)/(\d+)$')
_HEADER = re.compile(r'^(\w+)\s+(\d+)$')
#: ``(frame_dir, label)``: one line of the split file.
SplitEntry = Tuple[str, int]


class FPHABFormatError(ValueError):
    """A raw F-PHAB file that cannot be read as a sequence or a split."""


def parse_frame_dir(frame_dir: str) -> Tuple[int, str, int]:
    """Split ``'Subject_S/<action>/<repetition>'`` into its parts.

    Args:
        frame_dir (str): A sequence name, as in the split file.

    Returns:
        tuple[int, str, int]: ``(subject, action, repetition)``.
    """
    match = _FRAME_DIR.match(frame_dir)
    if match is None:
        raise ValueError(f'{frame_dir!r} is not of the form '
                         'Subject_S/<action>/<repetition>')
    subject, action, repetition = match.groups()
    return int(subject), action, int(repetition)


def _content_lines(text: str) -> List[str]:
    """The lines of ``text``, trailing blank lines dropped."""
    lines = text.splitlines()
    while lines and not lines[-1].strip():
        lines.pop()
    return lines


def parse_skeleton(path: str, text: str) -> np.ndarray:
    """Read one ``skeleton.txt``: the hand's joints in metres.

    Every line is a frame: its index (0, 1, 2, ... in order), then 21 joints
    x (x, y, z) in millimetres. Trailing blank lines are ignored.

    Args:
        path (str): The file, for error messages.
        text (str): Its content.

    Returns:
        np.ndarray: (T, 21, 3) float32 joints in metres; T = 0 for an empty
        file.
    """
    lines = _content_lines(text)
    frames = np.empty((len(lines), NUM_VALUES - 1), dtype=np.float64)
    for number, line in enumerate(lines, 1):
        values = line.split()
        where = f'{path}: line {number}'
        if len(values) != NUM_VALUES:
            raise FPHABFormatError(
                f'{where}: {len(values)} values, expected {NUM_VALUES} (a '
                f'frame index and {NUM_JOINTS} joints x (x, y, z))')
        try:
            index = int(values[0])
        except ValueError:
            raise FPHABFormatError(f'{where}: frame index {values[0]!r} is '
                                   'not an integer') from None
        if index != number - 1:
            raise FPHABFormatError(
                f'{where}: frame index {index}, expected {number - 1} '
                '(frames out of order, repeated or missing)')
        try:
            frames[number - 1] = np.array(values[1:], dtype=np.float64)
        except ValueError:
            bad = next(i for i, v in enumerate(values[1:])
                       if not _is_number(v))
            raise FPHABFormatError(
                f'{where}: {_coordinate(bad)} = {values[1 + bad]!r} is not a '
                'number') from None
        finite = np.isfinite(frames[number - 1])
        if not finite.all():
            bad = int(np.flatnonzero(~finite)[0])
            raise FPHABFormatError(
                f'{where}: {_coordinate(bad)} = {values[1 + bad]!r} is not '
                'finite')
    return (frames / 1000.).astype(np.float32).reshape(-1, NUM_JOINTS, 3)


def _is_number(value: str) -> bool:
    try:
        float(value)
    except ValueError:
        return False
    return True


def _coordinate(i: int) -> str:
    """The name of the i-th coordinate of a line (after the frame index)."""
    joint = i // 3
    return f'joint {joint} ({JOINT_NAMES[joint]}) {"xyz"[i % 3]}'


def read_split(path: str,
               text: str) -> Tuple[List[SplitEntry], List[SplitEntry]]:
    """Read ``data_split_action_recognition.txt``, the official 1:1 split.

    The file is a line ``Training N``, N lines ``Subject_S/<action>/<rep>
    <label>``, a line ``Test M`` and M such lines. Checked: the counts, no
    sequence twice, every action with one label, every label with one action
    and the labels 0..K-1 all used.

    Args:
        path (str): The file, for error messages.
        text (str): Its content.

    Returns:
        tuple[list, list]: ``(train, test)``, each a list of
        ``(frame_dir, label)`` in the file's order.
    """
    sections: Dict[str, List[SplitEntry]] = {}
    declared: Dict[str, Tuple[int, int]] = {}  # section -> (count, line)
    seen: Dict[str, int] = {}  # frame_dir -> line
    label_of: Dict[str, Tuple[int, int]] = {}  # action -> (label, line)
    action_of: Dict[int, Tuple[str, int]] = {}  # label -> (action, line)
    current = None
    for number, line in enumerate(_content_lines(text), 1):
        where = f'{path}: line {number}'
        header = _HEADER.match(line.strip())
        if header and header.group(1) in SPLIT_SECTIONS:
            name = header.group(1)
            expected = SPLIT_SECTIONS[len(sections)] \
                if len(sections) < len(SPLIT_SECTIONS) else None
            if name != expected:
                raise FPHABFormatError(
                    f'{where}: section {name!r} out of place (expected '
                    f'{" then ".join(SPLIT_SECTIONS)}, once each)')
            current = sections[name] = []
            declared[name] = (int(header.group(2)), number)
            continue
        values = line.split()
        if current is None:
            raise FPHABFormatError(f'{where}: expected a header line '
                                   f'"{SPLIT_SECTIONS[0]} <count>"')
        if len(values) != 2 or _FRAME_DIR.match(values[0]) is None \
                or not values[1].isdigit():
            raise FPHABFormatError(
                f'{where}: {line.strip()!r} is not '
                '"Subject_S/<action>/<repetition> <label>"')
        frame_dir, label = values[0], int(values[1])
        if frame_dir in seen:
            raise FPHABFormatError(f'{where}: {frame_dir} is already listed '
                                   f'at line {seen[frame_dir]}')
        seen[frame_dir] = number
        action = parse_frame_dir(frame_dir)[1]
        first_label, first_line = label_of.setdefault(action, (label, number))
        if first_label != label:
            raise FPHABFormatError(
                f'{where}: {frame_dir} has label {label}, but action '
                f'{action!r} has label {first_label} at line {first_line}')
        first_action, first_line = action_of.setdefault(label,
                                                        (action, number))
        if first_action != action:
            raise FPHABFormatError(
                f'{where}: label {label} of {frame_dir} is already the label '
                f'of action {first_action!r} at line {first_line}')
        current.append((frame_dir, label))
    missing = [name for name in SPLIT_SECTIONS if name not in sections]
    if missing:
        raise FPHABFormatError(f'{path}: no section {missing[0]!r}')
    for name, (count, number) in declared.items():
        if len(sections[name]) != count:
            raise FPHABFormatError(
                f'{path}: line {number}: section {name!r} announces {count} '
                f'sequences but lists {len(sections[name])}')
    unused = sorted(set(range(max(action_of, default=-1) + 1))
                    - set(action_of))
    if unused:
        raise FPHABFormatError(
            f'{path}: labels must be 0..K-1 with every one used, but '
            f'{unused} are not used')
    return sections[SPLIT_SECTIONS[0]], sections[SPLIT_SECTIONS[1]]


def class_names(entries: Sequence[SplitEntry]) -> List[str]:
    """The action names in label order.

    Args:
        entries (Sequence[tuple[str, int]]): ``(frame_dir, label)`` pairs, as
            :func:`read_split` returns them (already checked: one label an
            action, labels 0..K-1).

    Returns:
        list[str]: ``names[label]`` is the action folder name.
    """
    names = {label: parse_frame_dir(frame_dir)[1]
             for frame_dir, label in entries}
    return [names[label] for label in range(len(names))]


def loso_splits(annotations: Sequence[Dict]) -> Dict[str, List[str]]:
    """Leave-one-subject-out folds.

    Args:
        annotations (Sequence[dict]): Annotations with ``frame_dir`` and
            ``subject``.

    Returns:
        dict[str, list[str]]: ``loso{S}_train`` (every other subject) and
        ``loso{S}_test`` (subject S) for every subject S, in the
        annotations' order.
    """
    splits = {}
    for subject in sorted({a['subject'] for a in annotations}):
        splits[f'loso{subject}_train'] = [
            a['frame_dir'] for a in annotations if a['subject'] != subject]
        splits[f'loso{subject}_test'] = [
            a['frame_dir'] for a in annotations if a['subject'] == subject]
    return splits


def _decode(path: str, raw: bytes) -> str:
    try:
        return raw.decode('utf-8')
    except UnicodeDecodeError as error:
        raise FPHABFormatError(f'{path}: not a text file ({error})') from None


def _iter_source(source: str) -> Iterator[Tuple[str, str, str]]:
    """``(path for messages, relative path, text)`` of the skeleton files and
    the split file of a folder or a tar archive, the archive in its order."""

    def wanted(relpath):
        return (osp.basename(relpath) == SPLIT_FILE
                or _SKELETON.search(relpath) is not None)

    if osp.isdir(source):
        for root, dirs, files in os.walk(source):
            dirs.sort()
            for name in sorted(files):
                path = osp.join(root, name)
                relpath = osp.relpath(path, source).replace(os.sep, '/')
                if wanted(relpath):
                    with open(path, 'rb') as f:
                        yield path, relpath, _decode(path, f.read())
    elif osp.isfile(source) and tarfile.is_tarfile(source):
        # stream mode: members strictly in archive order (reading an .xz
        # archive out of order decompresses it again)
        with tarfile.open(source, mode='r|*') as tar:
            for member in tar:
                if member.isfile() and wanted(member.name):
                    path = f'{source}:{member.name}'
                    yield path, member.name, _decode(
                        path, tar.extractfile(member).read())
    else:
        raise FileNotFoundError(
            f'{source}: neither a folder of F-PHAB hand poses nor a tar '
            'archive of them')


def _annotation(frame_dir: str, label: int, keypoint: np.ndarray) -> Dict:
    subject, action, repetition = parse_frame_dir(frame_dir)
    return dict(
        frame_dir=frame_dir,
        label=label,
        total_frames=keypoint.shape[0],
        keypoint=keypoint[None],  # (M=1, T, V, C)
        subject=subject,
        action=action,
        repetition=repetition)


def convert_fpha(source: str,
                 out_file: str,
                 overwrite: bool = False,
                 progress: bool = True) -> Dict:
    """Convert the F-PHAB hand poses to one PySKL pickle.

    Annotations come in the split file's order (train, then test), then
    any non-empty sequence that the split does not list, by subject, action
    and repetition.

    Args:
        source (str): ``fpha_hand_pose.tar.xz`` or the folder it unpacks to.
        out_file (str): The pickle to write.
        overwrite (bool): Replace an existing ``out_file``. Defaults to False.
        progress (bool): Show a progress bar. Defaults to True.

    Returns:
        dict: A report: ``num_sequences``, ``num_frames``, ``num_classes``,
        ``split`` (sizes), ``empty`` (empty files, skipped),
        ``not_in_split`` (non-empty sequences the official split does not
        list), ``missing`` (split entries without a file) and
        ``empty_in_split`` (split entries whose file is empty).
    """
    if osp.exists(out_file) and not overwrite:
        raise FileExistsError(f'{out_file} exists; pass overwrite=True '
                              '(--overwrite) to replace it')
    texts: Dict[str, Tuple[str, str]] = {}  # frame_dir -> (path, text)
    split_file = None
    for path, relpath, text in _iter_source(source):
        if osp.basename(relpath) == SPLIT_FILE:
            if split_file is not None:
                raise FPHABFormatError(f'{source}: two split files, '
                                       f'{split_file[0]} and {path}')
            split_file = (path, text)
            continue
        frame_dir = _SKELETON.search(relpath).group(1)
        if frame_dir in texts:
            raise FPHABFormatError(f'{path}: sequence {frame_dir} is also at '
                                   f'{texts[frame_dir][0]}')
        texts[frame_dir] = (path, text)
    if split_file is None:
        raise FileNotFoundError(f'{source}: no {SPLIT_FILE}')
    if not texts:
        raise FileNotFoundError(f'{source}: no Subject_S/<action>/'
                                '<repetition>/skeleton.txt files')
    train, test = read_split(*split_file)
    names = class_names(train + test)
    label_of = {name: label for label, name in enumerate(names)}
    for frame_dir, (path, _) in texts.items():
        action = parse_frame_dir(frame_dir)[1]
        if action not in label_of:
            raise FPHABFormatError(
                f'{path}: action folder {action!r} has no label in '
                f'{split_file[0]}')

    items = list(texts.items())
    if progress:
        from mmengine.utils import track_iter_progress
        items = track_iter_progress(items)
    keypoints: Dict[str, np.ndarray] = {}
    empty = []
    for frame_dir, (path, text) in items:
        keypoint = parse_skeleton(path, text)
        if keypoint.shape[0] == 0:
            empty.append(frame_dir)
        else:
            keypoints[frame_dir] = keypoint

    official = [frame_dir for frame_dir, _ in train + test]
    listed = set(official)
    not_in_split = sorted((fd for fd in keypoints if fd not in listed),
                          key=parse_frame_dir)
    order = [fd for fd in official if fd in keypoints] + not_in_split
    annotations = [
        _annotation(fd, label_of[parse_frame_dir(fd)[1]], keypoints[fd])
        for fd in order
    ]
    split = dict(
        train=[fd for fd, _ in train if fd in keypoints],
        test=[fd for fd, _ in test if fd in keypoints])
    split.update(loso_splits(annotations))
    meta = dict(
        dataset='F-PHAB (First-Person Hand Action Benchmark), hand pose',
        source=osp.basename(osp.normpath(source)),
        classes=names,
        units='m',
        layout=LAYOUT)

    os.makedirs(osp.dirname(osp.abspath(out_file)), exist_ok=True)
    tmp_file = out_file + '.tmp'
    with open(tmp_file, 'wb') as f:
        pickle.dump(dict(split=split, annotations=annotations, meta=meta), f,
                    protocol=pickle.HIGHEST_PROTOCOL)
    os.replace(tmp_file, out_file)  # never a half-written pickle
    return dict(
        num_sequences=len(annotations),
        num_frames=sum(a['total_frames'] for a in annotations),
        num_classes=len(names),
        split={name: len(frame_dirs) for name, frame_dirs in split.items()},
        empty=sorted(empty, key=parse_frame_dir),
        not_in_split=not_in_split,
        missing=[fd for fd in official if fd not in texts],
        empty_in_split=[fd for fd in official if fd in empty])


def _listing(frame_dirs: Sequence[str], limit: int = 5) -> str:
    shown = ', '.join(frame_dirs[:limit])
    more = len(frame_dirs) - limit
    return f'{shown}, ... ({more} more)' if more > 0 else shown


def format_report(report: Dict) -> List[str]:
    """The lines printed after a conversion.

    Args:
        report (dict): What :func:`convert_fpha` returned.

    Returns:
        list[str]: Human-readable lines.
    """
    lines = [
        f'{report["num_sequences"]} sequences, {report["num_frames"]} '
        f'frames, {report["num_classes"]} classes',
        f'empty files skipped: {len(report["empty"])}'
        + (f' ({_listing(report["empty"])})' if report['empty'] else ''),
        f'non-empty sequences not in the official split: '
        f'{len(report["not_in_split"])}'
        + (f' ({_listing(report["not_in_split"])})'
           if report['not_in_split'] else ''),
    ]
    for key, what in (('missing', 'split entries without a file'),
                      ('empty_in_split', 'split entries with an empty file')):
        lines.append(f'{what}: {len(report[key])}'
                     + (f' ({_listing(report[key])})' if report[key] else ''))
    lines.append('split sizes: ' + ', '.join(
        f'{name} {size}' for name, size in report['split'].items()))
    return lines


def main(argv=None) -> int:
    """The command line; returns the exit status."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('source',
                        help='fpha_hand_pose.tar.xz or its unpacked folder')
    parser.add_argument('--out', default='data/skeleton/fpha_3d.pkl')
    parser.add_argument('--overwrite', action='store_true')
    parser.add_argument('--no-progress', action='store_true')
    args = parser.parse_args(argv)
    start = time.perf_counter()
    try:
        report = convert_fpha(args.source, args.out,
                              overwrite=args.overwrite,
                              progress=not args.no_progress)
    except FileExistsError as error:
        print(f'{error}; nothing done')
        return 0
    except (FPHABFormatError, FileNotFoundError) as error:
        print(f'error: {error}', file=sys.stderr)
        return 1
    print(f'\nwrote {args.out} in {time.perf_counter() - start:.1f} s')
    for line in format_report(report):
        print(f'  {line}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
