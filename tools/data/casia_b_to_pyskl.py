"""Convert CASIA-B 2D poses (GaitGraph's CSV files) to a PySKL pickle.

    python tools/data/casia_b_to_pyskl.py casia-b_pose_train_valid.csv \
        casia-b_pose_test.csv --out data/skeleton/casia_b_2d.pkl

Each CSV (plain comma-separated values, no quoting) has the header
``image_name,nose_x,nose_y,nose_conf,...`` over the 17 COCO keypoints in COCO
order (:data:`COLUMNS`), then one row a frame:
``SSS/SSS-CC-NN-VVV/FFFFFF.jpg,x,y,conf,...`` (subject 001-124, condition
``nm``/``bg``/``cl``, sequence number, view 000-180 in degrees, frame number;
pixel coordinates). Rows group into sequences ``SSS-CC-NN-VVV``, frames in
frame-number order (a gap in the numbers closes up and is reported). Every
sequence is one annotation: ``frame_dir='SSS-CC-NN-VVV'``, ``subject``,
``condition``, ``sequence``, ``view``, ``total_frames``, ``keypoint``
(float32, (1, T, 17, 2)), ``keypoint_score`` (float32, (1, T, 17)),
``frame_numbers`` (int32, (T, ), the original frame numbers), ``img_shape``
and ``original_shape`` (240, 320) and ``label``.

The protocol is CASIA-B's usual gait-recognition one: subjects 1-74 train
(``label`` = index among the training subjects present, in subject order),
subjects 75-124 are tested (``label=-1``). Splits: ``train``, ``test``, and
for convenience the test subjects' ``gallery`` (NM 1-4) and ``probe_nm``
(NM 5-6), ``probe_bg`` (BG 1-2), ``probe_cl`` (CL 1-2). A top-level ``meta``
dict records the protocol, the sequences and subjects of every split, the
training subjects in label order, the layout, the units and the rate.

A malformed header or row raises :class:`CasiaBFormatError` naming the file
and the 1-based line; no row is ever dropped (blank lines are skipped).
"""
import argparse
import itertools
import os
import os.path as osp
import pickle
import re
import sys
from typing import Dict, Iterable, List, Sequence, Tuple

import numpy as np

#: The 17 COCO keypoints, in COCO order.
COCO_JOINTS = ('nose', 'left_eye', 'right_eye', 'left_ear', 'right_ear',
               'left_shoulder', 'right_shoulder', 'left_elbow',
               'right_elbow', 'left_wrist', 'right_wrist', 'left_hip',
               'right_hip', 'left_knee', 'right_knee', 'left_ankle',
               'right_ankle')
#: The header of GaitGraph's CSV files.
COLUMNS = ('image_name', ) + tuple(f'{joint}_{field}' for joint in COCO_JOINTS
                                   for field in ('x', 'y', 'conf'))
NUM_JOINTS = len(COCO_JOINTS)
LAYOUT = 'coco'
FPS = 25
IMG_SHAPE = (240, 320)
NUM_SUBJECTS = 124
TRAIN_SUBJECTS = range(1, 75)
#: The test subjects' gallery and probe sets: condition -> sequences.
GALLERY = ('nm', (1, 2, 3, 4))
PROBES = dict(probe_nm=('nm', (5, 6)), probe_bg=('bg', (1, 2)),
              probe_cl=('cl', (1, 2)))
CHUNK_LINES = 50_000
_IMAGE = re.compile(r'(\d{3})/((\d{3})-(nm|bg|cl)-(\d{2})-(\d{3}))/'
                    r'(\d+)\.(?:jpg|png)')


class CasiaBFormatError(ValueError):
    """A CASIA-B pose CSV that cannot be read as frames of sequences."""


def _format_error(path: str, line: int, what: str) -> CasiaBFormatError:
    return CasiaBFormatError(f'{path}, line {line}: {what}')


def check_header(path: str, line: str) -> None:
    """Raise unless ``line`` is GaitGraph's header (:data:`COLUMNS`)."""
    names = [name.strip() for name in line.lstrip('\ufeff').split(',')]
    if tuple(names) == COLUMNS:
        return
    differs = [
        f'column {i + 1} is {got!r}, expected {want!r}'
        for i, (got, want) in enumerate(zip(names, COLUMNS)) if got != want
    ]
    if len(names) != len(COLUMNS):
        differs.append(f'{len(names)} columns, expected {len(COLUMNS)}')
    raise _format_error(
        path, 1, 'header is not image_name + x, y, conf of the 17 COCO '
        f'keypoints: {differs[0]}')


def sequence_fields(path: str, line: int, match: re.Match) -> Dict:
    """``frame_dir``, ``subject``, ``condition``, ``sequence`` and ``view``
    of the sequence an image name belongs to, checked against CASIA-B."""
    name = match[0]
    subject, sequence, view = int(match[3]), int(match[5]), int(match[6])
    if not 1 <= subject <= NUM_SUBJECTS:
        raise _format_error(path, line, f'image name {name!r}: subject '
                            f'{subject} is outside 001-{NUM_SUBJECTS}')
    if sequence < 1:
        raise _format_error(path, line, f'image name {name!r}: sequence '
                            'number 00')
    if view > 180:
        raise _format_error(path, line, f'image name {name!r}: view {view} '
                            'is outside 000-180')
    return dict(frame_dir=match[2], subject=subject, condition=match[4],
                sequence=sequence, view=view)


def _bad_value(path: str, first_line: int,
               lines: Sequence[Tuple[int, str]]) -> CasiaBFormatError:
    """The first value of ``lines`` that is not a number, as an error."""
    for line_no, line in lines:
        values = line.rstrip('\r\n').split(',')[1:]
        for column, value in zip(COLUMNS[1:], values):
            try:
                float(value)
            except ValueError:
                what = 'missing' if not value.strip() else \
                    f'{value!r} is not a number'
                return _format_error(path, line_no, f'{column} {what}')
    return CasiaBFormatError(  # numpy refused what Python reads: rare
        f'{path}, lines {first_line}-{lines[-1][0]}: values numpy cannot '
        'read as numbers')


def _parse_chunk(path: str, first_line: int, lines: Sequence[str],
                 sequences: Dict[str, int], fields: List[Dict]
                 ) -> Tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Rows of one chunk as (sequence ids, frame numbers, line numbers,
    values (n, 51)); new sequences are added to ``sequences``/``fields``."""
    rows: List[Tuple[int, str]] = []
    codes, frames = [], []
    for line_no, line in enumerate(lines, first_line):
        if not line.strip():
            continue
        if line.count(',') != len(COLUMNS) - 1:
            raise _format_error(
                path, line_no, f'{line.count(",") + 1} values, expected '
                f'{len(COLUMNS)} (image_name, x, y, conf of 17 keypoints)')
        name = line[:line.find(',')].strip()
        match = _IMAGE.fullmatch(name)
        if match is None:
            raise _format_error(
                path, line_no, f'image name {name!r} is not of the form '
                'SSS/SSS-CC-NN-VVV/FFFFFF.jpg')
        if match[1] != match[3]:
            raise _format_error(path, line_no, f'image name {name!r}: '
                                f'folder {match[1]} is not its sequence\'s '
                                'subject')
        code = sequences.get(match[2])
        if code is None:
            fields.append(sequence_fields(path, line_no, match))
            code = sequences[match[2]] = len(fields) - 1
        rows.append((line_no, line))
        codes.append(code)
        frames.append(int(match[7]))
    if not rows:
        empty = np.zeros(0, np.int64)
        return empty, empty, empty, np.zeros((0, len(COLUMNS) - 1),
                                             np.float32)
    try:
        values = np.loadtxt([line for _, line in rows], delimiter=',',
                            usecols=range(1, len(COLUMNS)), comments=None,
                            dtype=np.float32, ndmin=2)
    except ValueError:
        raise _bad_value(path, first_line, rows) from None
    bad = np.flatnonzero(~np.isfinite(values).all(axis=1))
    if bad.size:
        line_no = rows[bad[0]][0]
        column = COLUMNS[1 + np.flatnonzero(~np.isfinite(values[bad[0]]))[0]]
        raise _format_error(path, line_no, f'{column} is not finite '
                            '(as float32)')
    return (np.asarray(codes, np.int64), np.asarray(frames, np.int64),
            np.asarray([line_no for line_no, _ in rows], np.int64), values)


def _count_lines(path: str) -> int:
    count, last = 0, b'\n'
    with open(path, 'rb') as f:
        for block in iter(lambda: f.read(1 << 20), b''):
            count += block.count(b'\n')
            last = block[-1:]
    return count + (last != b'\n')


def _chunks(f: Iterable[str]) -> Iterable[List[str]]:
    return iter(lambda: list(itertools.islice(f, CHUNK_LINES)), [])


def group_sequences(path: str, fields: List[Dict], codes: np.ndarray,
                    frames: np.ndarray, line_nos: np.ndarray,
                    values: np.ndarray) -> Dict[str, Dict]:
    """Rows grouped into sequences, each in frame-number order.

    Args:
        path (str): The CSV, for error messages.
        fields (list[dict]): The fields of sequence ``i``.
        codes (np.ndarray): The sequence of every row, (n, ).
        frames (np.ndarray): The frame number of every row, (n, ).
        line_nos (np.ndarray): The line of every row, (n, ).
        values (np.ndarray): x, y, conf of every keypoint, (n, 51).

    Returns:
        dict[str, dict]: Sequence name -> its annotation fields.
    """
    order = np.lexsort((frames, codes))  # stable: repeats keep file order
    codes, frames, line_nos = codes[order], frames[order], line_nos[order]
    repeat = np.flatnonzero((codes[1:] == codes[:-1])
                            & (frames[1:] == frames[:-1]))
    if repeat.size:
        i = repeat[np.argmin(line_nos[repeat + 1])]
        raise _format_error(
            path, int(line_nos[i + 1]), f'frame {frames[i]} of sequence '
            f'{fields[codes[i]]["frame_dir"]} repeats line {line_nos[i]}')
    joints = values.reshape(-1, NUM_JOINTS, 3)
    keypoint = np.ascontiguousarray(joints[order, :, :2])
    score = np.ascontiguousarray(joints[order, :, 2])
    bounds = np.flatnonzero(codes[1:] != codes[:-1]) + 1
    sequences = {}
    for start, end in zip(np.r_[0, bounds], np.r_[bounds, codes.size]):
        seq = dict(fields[codes[start]])
        seq.update(
            total_frames=int(end - start),
            keypoint=keypoint[start:end][None],  # (M=1, T, V, 2)
            keypoint_score=score[start:end][None],
            frame_numbers=frames[start:end].astype(np.int32))
        sequences[seq['frame_dir']] = seq
    return sequences


def parse_csv(path: str, progress: bool = True) -> Dict[str, Dict]:
    """Read one GaitGraph CASIA-B pose CSV, streaming it in chunks.

    Args:
        path (str): The CSV file.
        progress (bool): Show a progress bar. Defaults to True.

    Returns:
        dict[str, dict]: Sequence name (``'SSS-CC-NN-VVV'``) -> its fields:
        ``frame_dir``, ``subject``, ``condition``, ``sequence``, ``view``,
        ``total_frames``, ``keypoint`` (float32, (1, T, 17, 2)),
        ``keypoint_score`` (float32, (1, T, 17)), ``frame_numbers``
        (int32, (T, )), frames sorted by number.

    Raises:
        CasiaBFormatError: Naming the file and the 1-based line: a header
            that differs, a row with the wrong number of values, a value
            that is not a finite number, an image name not of the form
            ``SSS/SSS-CC-NN-VVV/FFFFFF.jpg``, a frame repeated in a sequence.
    """
    sequences: Dict[str, int] = {}
    fields: List[Dict] = []
    parts = []
    with open(path, newline=None) as f:
        header = f.readline()
        if not header.strip():
            raise CasiaBFormatError(f'{path}: empty file (no header)')
        check_header(path, header.rstrip('\n'))
        chunks = _chunks(f)
        if progress:
            from mmengine.utils import track_iter_progress
            num_chunks = -(-max(_count_lines(path) - 1, 0) // CHUNK_LINES)
            chunks = track_iter_progress((chunks, num_chunks))
        first_line = 2
        for lines in chunks:
            parts.append(
                _parse_chunk(path, first_line, lines, sequences, fields))
            first_line += len(lines)
    if not fields:
        raise CasiaBFormatError(f'{path}: no rows after the header')
    codes, frames, line_nos, values = (np.concatenate(column)
                                       for column in zip(*parts))
    del parts
    return group_sequences(path, fields, codes, frames, line_nos, values)


def split_sequences(annotations: Sequence[Dict]) -> Dict[str, List[str]]:
    """The protocol's splits of sequence names (train/test by subject)."""

    def names(keep):
        return [a['frame_dir'] for a in annotations if keep(a)]

    def is_test(a):
        return a['subject'] not in TRAIN_SUBJECTS

    def role(condition, numbers):
        return lambda a: (is_test(a) and a['condition'] == condition
                          and a['sequence'] in numbers)

    split = dict(train=names(lambda a: not is_test(a)), test=names(is_test),
                 gallery=names(role(*GALLERY)))
    split.update({k: names(role(*v)) for k, v in PROBES.items()})
    return split


def write_pickle(content: Dict, out_file: str) -> None:
    """Write ``content`` to ``out_file`` whole or not at all."""
    os.makedirs(osp.dirname(osp.abspath(out_file)), exist_ok=True)
    tmp_file = out_file + '.tmp'
    try:
        with open(tmp_file, 'wb') as f:
            pickle.dump(content, f, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp_file, out_file)
    finally:
        if osp.exists(tmp_file):
            os.remove(tmp_file)


def convert_casia_b(csv_files: Sequence[str],
                    out_file: str,
                    overwrite: bool = False,
                    progress: bool = True,
                    img_shape: Tuple[int, int] = IMG_SHAPE) -> Dict:
    """Convert GaitGraph's CASIA-B pose CSVs to one PySKL pickle.

    Args:
        csv_files (list[str]): The CSV files; a sequence must lie wholly in
            one of them.
        out_file (str): The pickle to write.
        overwrite (bool): Replace an existing ``out_file``. Defaults to False.
        progress (bool): Show a progress bar. Defaults to True.
        img_shape (tuple[int, int]): ``(h, w)`` of the frames.
            Defaults to (240, 320).

    Returns:
        dict: A report: ``out_file``, ``num_sequences``, ``num_frames``,
        ``num_subjects``, ``split`` (split -> sequences), ``gaps``
        (sequence -> frame numbers missing between its first and last).
    """
    if osp.exists(out_file) and not overwrite:
        raise FileExistsError(f'{out_file} exists; pass overwrite=True '
                              '(--overwrite) to replace it')
    if isinstance(csv_files, str):
        csv_files = [csv_files]
    if not csv_files:
        raise FileNotFoundError('no CSV files given')
    for path in csv_files:
        if not osp.isfile(path):
            raise FileNotFoundError(f'{path}: no such CSV file')
    found: Dict[str, Dict] = {}
    source: Dict[str, str] = {}
    for path in csv_files:
        for name, seq in parse_csv(path, progress).items():
            if name in found:
                raise CasiaBFormatError(f'sequence {name} is in both '
                                        f'{source[name]} and {path}')
            found[name], source[name] = seq, path
    annotations = [found[name] for name in sorted(found)]
    train_subjects = sorted({a['subject'] for a in annotations
                             if a['subject'] in TRAIN_SUBJECTS})
    label = {subject: i for i, subject in enumerate(train_subjects)}
    for ann in annotations:
        ann.update(label=label.get(ann['subject'], -1),
                   img_shape=tuple(img_shape),
                   original_shape=tuple(img_shape))
    split = split_sequences(annotations)
    by_name = {a['frame_dir']: a for a in annotations}
    meta = dict(
        dataset='CASIA-B',
        protocol='gait',
        description=(
            'gait recognition: subjects 1-74 train (labels index the '
            'training subjects present), 75-124 test (label -1); gallery '
            'NM 1-4, probes NM 5-6, BG 1-2, CL 1-2 of the test subjects'),
        seed=None,  # no random choice
        num_sequences={k: len(v) for k, v in split.items()},
        num_subjects={k: len({by_name[n]['subject'] for n in v})
                      for k, v in split.items()},
        train_subjects=train_subjects,  # label i is train_subjects[i]
        layout=LAYOUT,
        units='px',
        fps=FPS,
        img_shape=tuple(img_shape),
        sources=[osp.basename(p) for p in csv_files])
    write_pickle(dict(split=split, annotations=annotations, meta=meta),
                 out_file)
    gaps = {}
    for ann in annotations:
        numbers = ann['frame_numbers']
        missing = int(numbers[-1] - numbers[0] + 1 - numbers.size)
        if missing:
            gaps[ann['frame_dir']] = missing
    return dict(
        out_file=out_file,
        num_sequences=len(annotations),
        num_frames=sum(a['total_frames'] for a in annotations),
        num_subjects=len({a['subject'] for a in annotations}),
        split=meta['num_sequences'],
        gaps=gaps)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('csv_files', nargs='+', metavar='CSV',
                        help="GaitGraph's CASIA-B pose CSV file(s)")
    parser.add_argument('--out', default='data/skeleton/casia_b_2d.pkl')
    parser.add_argument('--img-shape', type=int, nargs=2, default=IMG_SHAPE,
                        metavar=('H', 'W'), help='frame size (240 320)')
    parser.add_argument('--overwrite', action='store_true')
    parser.add_argument('--no-progress', action='store_true')
    args = parser.parse_args(argv)
    try:
        report = convert_casia_b(
            args.csv_files, args.out, overwrite=args.overwrite,
            progress=not args.no_progress, img_shape=tuple(args.img_shape))
    except (ValueError, FileNotFoundError, FileExistsError) as error:
        print(f'error: {error}', file=sys.stderr)
        return 1
    print(f'\nwrote {report["out_file"]}: {report["num_sequences"]} '
          f'sequences of {report["num_subjects"]} subjects, '
          f'{report["num_frames"]} frames')
    print('  ' + ', '.join(f'{k} {v}' for k, v in report['split'].items()))
    gaps = report['gaps']
    if gaps:
        shown = ', '.join(f'{k} ({v})' for k, v in list(gaps.items())[:5])
        print(f'  {len(gaps)} sequence(s) with gaps in their frame numbers, '
              f'{sum(gaps.values())} frame(s) missing in all: {shown}'
              f'{", ..." if len(gaps) > 5 else ""}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
