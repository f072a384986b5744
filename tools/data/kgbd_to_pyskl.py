"""Convert KGBD (Kinect Gait Biometry Dataset) walks to PySKL pickles.

    python tools/data/kgbd_to_pyskl.py \
        ../shared/datasets/kgbd/kgbd_walks.tar.xz --out-dir data/skeleton \
        [--protocol reid|open|both] [--seed 0] [--open-train-people 100]

The source is ``kgbd_walks.tar.xz`` or the folder it unpacks to
(``Data/PersonNNN/K.txt``; ``GenderBMIData`` is ignored). A walk file holds
one joint a line, ``Name;x;y;z`` in metres, a frame being the 20 joints from a
``Head`` line on. Joints are read by name and stored in the Kinect v1 SDK
order, the plugin's ``'nw-ucla'`` layout (:data:`JOINT_NAMES`): every walk is
one annotation with ``frame_dir='PersonNNN_K'``, ``subject=NNN``,
``sequence=K``, ``total_frames`` and ``keypoint`` (float32, (1, T, 20, 3)).

Two protocols, each written to its own pickle (``kgbd_reid.pkl``,
``kgbd_open.pkl``) because ``label`` is the index of the walk's person among
that protocol's training people (in increasing subject order), -1 for a
person who is not one of them:

- ``reid``, closed-set re-identification (the protocol of the skeleton re-id
  literature, see the dataset's README): for every person, in subject order,
  a permutation of its walks drawn from ``numpy.random.default_rng(seed)``
  makes the first walk the probe, the next two the gallery and the rest the
  training walks (a person with 3 walks: one of each). Labels 0..163.
- ``open``, open-set identification (our choice, as CASIA-B's gait protocol
  trains and tests on disjoint people): a permutation of the people drawn
  from ``default_rng(seed)``; its first 100 people train on all their walks
  (labels 0..99 in subject order); each of the other 64, in subject order,
  has one walk drawn from the same generator as its probe and all its other
  walks as its gallery (label -1).

Both pickles have the splits ``train``, ``probe``, ``gallery`` and ``test``
(probe walks, then gallery walks), and a top-level ``meta`` dict recording
the protocol, its description, the seed, the people and walks of every split,
the training subjects in label order, the layout, the units and the rate.
"""
import argparse
import os
import os.path as osp
import pickle
import re
import sys
import tarfile
from typing import Dict, Iterator, List, Sequence, Tuple

import numpy as np

#: KGBD joint names in the stored order: Kinect v1 SDK (the ``'nw-ucla'``
#: layout). 0 hip centre, 1 spine, 2 shoulder centre, 3 head, 4-7 left arm,
#: 8-11 right arm, 12-15 left leg, 16-19 right leg.
JOINT_NAMES = (
    'Hip-centro', 'Spine', 'Shoulder-Center', 'Head',
    'Shoulder-Left', 'Elbow-Left', 'Wrist-Left', 'Hand-Left',
    'Shoulder-Right', 'Elbow-Right', 'Wrist-Right', 'Hand-Right',
    'Hip-Left', 'Knee-Left', 'Ankle-Left', 'Foot-Left',
    'Hip-Right', 'Knee-Right', 'Ankle-Right', 'Foot-Right')
JOINT_INDEX = {name: i for i, name in enumerate(JOINT_NAMES)}
NUM_JOINTS = len(JOINT_NAMES)
FRAME_START = JOINT_INDEX['Head']
LAYOUT = 'nw-ucla'
FPS = 30
PROTOCOLS = ('reid', 'open')
#: People who train in the open-set protocol; the others are tested.
OPEN_TRAIN_PEOPLE = 100
_WALK_PATH = re.compile(r'(?:^|/)Person(\d+)/(\d+)\.txt$')

Walk = Tuple[int, int]  # (person, walk number)


class KGBDFormatError(ValueError):
    """A KGBD walk file that cannot be read as whole 20-joint frames."""


def _format_error(path: str, line: int, what: str) -> KGBDFormatError:
    return KGBDFormatError(f'{path}, line {line}: {what}')


def _decode(path: str, raw: bytes) -> str:
    """The text of a walk file; an error naming the line of a bad byte."""
    try:
        return raw.decode('utf-8')
    except UnicodeDecodeError as error:
        line = raw.count(b'\n', 0, error.start) + 1
        raise _format_error(path, line, 'not text (undecodable byte '
                            f'{raw[error.start:error.start + 1]!r})') from None


def _read_lines(path: str,
                lines: Sequence[str]) -> Tuple[np.ndarray, np.ndarray]:
    """Joint ids (n,) and coordinates (n, 3) of ``Name;x;y;z`` lines."""
    fields = [line.split(';') for line in lines]
    counts = np.fromiter(map(len, fields), dtype=np.int64, count=len(fields))
    bad = np.flatnonzero(counts != 4)
    if bad.size:
        i = int(bad[0])
        raise _format_error(
            path, i + 1, f'{counts[i]} field(s), expected 4 (Name;x;y;z): '
            f'{lines[i][:80]!r}')
    joints = np.fromiter((JOINT_INDEX.get(f[0].strip(), -1) for f in fields),
                         dtype=np.int64, count=len(fields))
    bad = np.flatnonzero(joints < 0)
    if bad.size:
        i = int(bad[0])
        raise _format_error(path, i + 1,
                            f'unknown joint name {fields[i][0]!r}')
    try:
        coords = [(float(x), float(y), float(z)) for _, x, y, z in fields]
    except ValueError:
        for i, (_, *values) in enumerate(fields):
            for axis, value in zip('xyz', values):
                try:
                    float(value)
                except ValueError:
                    raise _format_error(
                        path, i + 1, f'{axis} = {value!r} is not a number'
                    ) from None
        raise  # not reached: one of the values above failed
    coords = np.asarray(coords, dtype=np.float32).reshape(-1, 3)
    bad = np.flatnonzero(~np.isfinite(coords).all(axis=1))
    if bad.size:
        i = int(bad[0])
        raise _format_error(
            path, i + 1, f'non-finite coordinate (as float32) in '
            f'{lines[i][:80]!r}')
    return joints, coords


def _frame_error(path: str, joints: np.ndarray, start: int,
                 end: int, frame: int) -> KGBDFormatError:
    """Why lines ``start:end`` (0-based) are not one whole frame."""
    seen: Dict[int, int] = {}
    for i in range(start, end):
        joint = int(joints[i])
        if joint in seen:
            return _format_error(
                path, i + 1, f'joint {JOINT_NAMES[joint]!r} repeated in '
                f'frame {frame} (first at line {seen[joint] + 1})')
        seen[joint] = i
    missing = [name for j, name in enumerate(JOINT_NAMES) if j not in seen]
    return _format_error(
        path, start + 1, f'frame {frame} (lines {start + 1}-{end}) lacks '
        f'joint(s) {", ".join(missing)}')


def _frame_slots(path: str, joints: np.ndarray) -> np.ndarray:
    """The line (0-based) of every joint of every frame, (T, 20).

    A frame is the lines from a ``Head`` line to the next one (or the end of
    the file) and must hold every joint exactly once.
    """
    starts = np.flatnonzero(joints == FRAME_START)
    if starts.size == 0 or starts[0] != 0:
        raise _format_error(
            path, 1, f'a frame must start with {JOINT_NAMES[FRAME_START]!r},'
            f' got {JOINT_NAMES[joints[0]]!r}')
    ends = np.append(starts[1:], joints.size)
    ok = ends - starts == NUM_JOINTS
    if ok.all():
        frames = joints.reshape(-1, NUM_JOINTS)
        ok = (np.sort(frames, axis=1) == np.arange(NUM_JOINTS)).all(axis=1)
    if not ok.all():
        t = int(np.flatnonzero(~ok)[0])
        raise _frame_error(path, joints, int(starts[t]), int(ends[t]), t)
    slots = np.empty_like(frames)
    rows = np.arange(frames.shape[0])[:, None]
    slots[rows, frames] = np.arange(joints.size).reshape(frames.shape)
    return slots


def parse_walk(path: str, text: str) -> np.ndarray:
    """One KGBD walk file as joint coordinates in the ``'nw-ucla'`` order.

    Args:
        path (str): The file's name, for error messages.
        text (str): Its content: ``Name;x;y;z`` lines, 20 a frame, each
            frame starting with ``Head``. Trailing blank lines are ignored.

    Returns:
        np.ndarray: float32 coordinates (T, 20, 3) in metres, joints in
        :data:`JOINT_NAMES` order.

    Raises:
        KGBDFormatError: Naming the file and the 1-based line: a line that
            does not parse (field count, joint name, number), a non-finite
            value, a frame lacking or repeating a joint; or an empty file.
    """
    lines = text.splitlines()
    while lines and not lines[-1].strip():
        lines.pop()
    if not lines:
        raise KGBDFormatError(f'{path}: empty walk file (no frames)')
    joints, coords = _read_lines(path, lines)
    return coords[_frame_slots(path, joints)]


def _folder_walks(source: str) -> List[Tuple[int, int, str]]:
    """(person, walk, path) of every walk file under a folder, sorted."""
    found = []
    for root, _, names in os.walk(source):
        for name in names:
            path = osp.join(root, name)
            rel = osp.relpath(path, source).replace(os.sep, '/')
            match = _WALK_PATH.search(rel)
            if match:
                found.append((int(match[1]), int(match[2]), path))
    return sorted(found)


def _count_walks(source: str) -> int:
    """Walk files in a folder; 0 (unknown) for an archive."""
    return len(_folder_walks(source)) if osp.isdir(source) else 0


def iter_walks(source: str) -> Iterator[Tuple[int, int, str, str]]:
    """Every walk file of a KGBD folder or archive.

    Args:
        source (str): ``kgbd_walks.tar.xz`` (read once, in archive order) or
            a folder holding ``PersonNNN/K.txt`` files (e.g. under ``Data``;
            read in person, walk order).

    Yields:
        tuple[int, int, str, str]: ``(person, walk, path, text)``, ``path``
        naming the file for messages (``archive:member`` in an archive).
    """
    if osp.isdir(source):
        for person, walk, path in _folder_walks(source):
            with open(path, 'rb') as f:
                yield person, walk, path, _decode(path, f.read())
    elif osp.isfile(source) and tarfile.is_tarfile(source):
        with tarfile.open(source) as tar:
            # archive order: seeking back in an xz stream decompresses again
            for member in tar:
                match = _WALK_PATH.search(member.name)
                if not (member.isfile() and match):
                    continue
                path = f'{source}:{member.name}'
                raw = tar.extractfile(member).read()
                yield int(match[1]), int(match[2]), path, _decode(path, raw)
    else:
        raise FileNotFoundError(
            f'{source}: neither a KGBD folder (Data/PersonNNN/K.txt) nor a '
            'tar archive of one')


def split_reid(walks: Dict[int, List[int]],
               seed: int = 0) -> Dict[str, List[Walk]]:
    """The closed-set re-id split: per person 1 probe, 2 gallery, rest train.

    Args:
        walks (dict[int, list[int]]): The walk numbers of every person.
        seed (int): Seed of ``numpy.random.default_rng``. Defaults to 0.

    Returns:
        dict[str, list[tuple[int, int]]]: ``(person, walk)`` pairs, sorted,
        of ``train``, ``probe`` and ``gallery``. A person with 3 walks gets
        one of each.
    """
    rng = np.random.default_rng(seed)
    split: Dict[str, List[Walk]] = dict(train=[], probe=[], gallery=[])
    for person in sorted(walks):
        own = sorted(walks[person])
        if len(own) < 3:
            raise ValueError(
                f'Person{person:03d} has {len(own)} walk(s); the re-id '
                'protocol needs 3 (probe, gallery, train)')
        order = [own[i] for i in rng.permutation(len(own))]
        num_gallery = min(2, len(own) - 2)
        split['probe'].append((person, order[0]))
        split['gallery'] += [(person, w) for w in order[1:1 + num_gallery]]
        split['train'] += [(person, w) for w in order[1 + num_gallery:]]
    return {name: sorted(pairs) for name, pairs in split.items()}


def split_open(walks: Dict[int, List[int]],
               seed: int = 0,
               num_train_people: int = OPEN_TRAIN_PEOPLE
               ) -> Dict[str, List[Walk]]:
    """The open-set split: some people train, the others are probe/gallery.

    Args:
        walks (dict[int, list[int]]): The walk numbers of every person.
        seed (int): Seed of ``numpy.random.default_rng``. Defaults to 0.
        num_train_people (int): People drawn to train on all their walks.
            Defaults to 100.

    Returns:
        dict[str, list[tuple[int, int]]]: ``(person, walk)`` pairs, sorted,
        of ``train``, ``probe`` (one drawn walk of every other person) and
        ``gallery`` (their other walks).
    """
    people = sorted(walks)
    if not 0 < num_train_people < len(people):
        raise ValueError(
            f'the open-set protocol trains on {num_train_people} of '
            f'{len(people)} people; it needs 1 to {len(people) - 1}')
    rng = np.random.default_rng(seed)
    drawn = [people[i] for i in rng.permutation(len(people))]
    train_people = set(drawn[:num_train_people])
    split: Dict[str, List[Walk]] = dict(train=[], probe=[], gallery=[])
    for person in people:
        own = sorted(walks[person])
        if person in train_people:
            split['train'] += [(person, w) for w in own]
            continue
        if len(own) < 2:
            raise ValueError(
                f'Person{person:03d} has {len(own)} walk(s); an open-set '
                'test person needs 2 (probe, gallery)')
        probe = own[int(rng.integers(len(own)))]
        split['probe'].append((person, probe))
        split['gallery'] += [(person, w) for w in own if w != probe]
    return {name: sorted(pairs) for name, pairs in split.items()}


def _describe(protocol: str, num_train_people: int) -> str:
    if protocol == 'reid':
        return ('closed-set re-identification: per person, a seeded '
                'permutation of its walks gives 1 probe, 2 gallery (1 for a '
                'person with 3 walks) and the rest training walks; labels '
                'index all people')
    return (f'open-set identification: a seeded permutation of the people; '
            f'the first {num_train_people} train on all their walks, every '
            'other person has 1 seeded probe walk and its other walks as '
            'gallery; labels index the training people, -1 for the others')


def _name(walk: Walk) -> str:
    return f'Person{walk[0]:03d}_{walk[1]}'


def build_protocol(keypoints: Dict[Walk, np.ndarray], protocol: str,
                   seed: int = 0,
                   num_train_people: int = OPEN_TRAIN_PEOPLE) -> Dict:
    """The PySKL content (``split``, ``annotations``, ``meta``) of a protocol.

    Args:
        keypoints (dict[tuple[int, int], np.ndarray]): (T, 20, 3) of every
            ``(person, walk)``.
        protocol (str): ``'reid'`` or ``'open'``.
        seed (int): The split's seed. Defaults to 0.
        num_train_people (int): Training people of ``'open'``.
            Defaults to 100.

    Returns:
        dict: What the pickle holds.
    """
    walks: Dict[int, List[int]] = {}
    for person, walk in keypoints:
        walks.setdefault(person, []).append(walk)
    if protocol == 'reid':
        pairs = split_reid(walks, seed)
    elif protocol == 'open':
        pairs = split_open(walks, seed, num_train_people)
    else:
        raise ValueError(f'protocol must be one of {PROTOCOLS}, got '
                         f'{protocol!r}')
    train_people = sorted({person for person, _ in pairs['train']})
    label = {person: i for i, person in enumerate(train_people)}
    pairs['test'] = pairs['probe'] + pairs['gallery']
    annotations = []
    for person, walk in sorted(keypoints):
        kp = keypoints[person, walk]
        annotations.append(
            dict(
                frame_dir=_name((person, walk)),
                label=label.get(person, -1),
                total_frames=kp.shape[0],
                keypoint=kp[None],  # (M=1, T, V, C)
                subject=person,
                sequence=walk))
    meta = dict(
        dataset='KGBD',
        protocol=protocol,
        description=_describe(protocol, num_train_people),
        seed=seed,
        num_people={k: len({p for p, _ in v}) for k, v in pairs.items()},
        num_walks={k: len(v) for k, v in pairs.items()},
        train_subjects=train_people,  # label i is train_subjects[i]
        layout=LAYOUT,
        units='m',
        fps=FPS)
    split = {k: [_name(w) for w in v] for k, v in pairs.items()}
    return dict(split=split, annotations=annotations, meta=meta)


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


def read_kgbd(source: str, progress: bool = True) -> Dict[Walk, np.ndarray]:
    """Parse every walk of a KGBD folder or archive.

    Args:
        source (str): See :func:`iter_walks`.
        progress (bool): Show a progress bar. Defaults to True.

    Returns:
        dict[tuple[int, int], np.ndarray]: (T, 20, 3) of every
        ``(person, walk)``.
    """
    items = iter_walks(source)
    if progress:
        from mmengine.utils import track_iter_progress
        items = track_iter_progress((items, _count_walks(source)))
    keypoints: Dict[Walk, np.ndarray] = {}
    paths: Dict[Walk, str] = {}
    for person, walk, path, text in items:
        if (person, walk) in keypoints:
            raise KGBDFormatError(
                f'{path}: walk {_name((person, walk))} also read from '
                f'{paths[person, walk]}')
        keypoints[person, walk] = parse_walk(path, text)
        paths[person, walk] = path
    if not keypoints:
        raise FileNotFoundError(f'{source}: no PersonNNN/K.txt walk files')
    return keypoints


def convert_kgbd(source: str,
                 out_dir: str,
                 protocol: str = 'both',
                 seed: int = 0,
                 overwrite: bool = False,
                 progress: bool = True,
                 num_train_people: int = OPEN_TRAIN_PEOPLE) -> Dict:
    """Convert KGBD to one PySKL pickle per protocol.

    Args:
        source (str): ``kgbd_walks.tar.xz`` or its unpacked folder.
        out_dir (str): Where ``kgbd_reid.pkl`` / ``kgbd_open.pkl`` go.
        protocol (str): ``'reid'``, ``'open'`` or ``'both'``.
            Defaults to ``'both'``.
        seed (int): The seed of the splits. Defaults to 0.
        overwrite (bool): Replace existing pickles. Defaults to False.
        progress (bool): Show a progress bar. Defaults to True.
        num_train_people (int): Training people of the open-set protocol.
            Defaults to 100.

    Returns:
        dict: A report: ``num_people``, ``num_walks``, ``num_frames``,
        ``outputs`` (protocol -> path), ``walks`` and ``people``
        (protocol -> split -> count).
    """
    if protocol not in PROTOCOLS + ('both', ):
        raise ValueError(f'protocol must be one of {PROTOCOLS + ("both", )},'
                         f' got {protocol!r}')
    protocols = PROTOCOLS if protocol == 'both' else (protocol, )
    outputs = {p: osp.join(out_dir, f'kgbd_{p}.pkl') for p in protocols}
    for out_file in outputs.values():
        if osp.exists(out_file) and not overwrite:
            raise FileExistsError(f'{out_file} exists; pass overwrite=True '
                                  '(--overwrite) to replace it')
    keypoints = read_kgbd(source, progress)
    report = dict(
        num_people=len({person for person, _ in keypoints}),
        num_walks=len(keypoints),
        num_frames=sum(kp.shape[0] for kp in keypoints.values()),
        outputs=outputs, walks={}, people={})
    for name in protocols:
        content = build_protocol(keypoints, name, seed, num_train_people)
        write_pickle(content, outputs[name])
        report['walks'][name] = content['meta']['num_walks']
        report['people'][name] = content['meta']['num_people']
    return report


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('source', help='kgbd_walks.tar.xz or its folder')
    parser.add_argument('--out-dir', default='data/skeleton')
    parser.add_argument('--protocol', choices=PROTOCOLS + ('both', ),
                        default='both')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--open-train-people', type=int,
                        default=OPEN_TRAIN_PEOPLE,
                        help='people who train in the open-set protocol')
    parser.add_argument('--overwrite', action='store_true')
    parser.add_argument('--no-progress', action='store_true')
    args = parser.parse_args(argv)
    try:
        report = convert_kgbd(
            args.source, args.out_dir, args.protocol, args.seed,
            overwrite=args.overwrite, progress=not args.no_progress,
            num_train_people=args.open_train_people)
    except (ValueError, FileNotFoundError, FileExistsError) as error:
        print(f'error: {error}', file=sys.stderr)
        return 1
    print(f'\nKGBD: {report["num_people"]} people, {report["num_walks"]} '
          f'walks, {report["num_frames"]} frames')
    for name, out_file in report['outputs'].items():
        counts = ', '.join(
            f'{split} {walks} walks / {report["people"][name][split]} people'
            for split, walks in report['walks'][name].items())
        print(f'{name} (seed {args.seed}): {out_file}\n  {counts}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
