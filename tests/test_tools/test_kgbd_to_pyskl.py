"""tools/data/kgbd_to_pyskl.py on real KGBD walks from ../shared.

Six people are taken from the archive (read once, in order, stopping when
they are complete): Person015 (3 walks), Person158 (4), Person053 (6) and
three with 5. Skipped cleanly when the archive is absent (set KGBD_ROOT to
use another copy).
"""
import os
import pickle
import tarfile

import numpy as np
import pytest
from mmaction.datasets import PoseDataset

from aclnet_plugin.datasets import get_layout
from conftest import (KGBD as ARCHIVE, KGBD_OPEN_TRAIN as OPEN_TRAIN,
                      KGBD_WALKS as WALKS, load_tool, snapshot)

kgbd = load_tool('data/kgbd_to_pyskl.py')
needs_data = pytest.mark.skipif(
    ARCHIVE is None, reason='KGBD not found (../shared or KGBD_ROOT)')
#: The 'nw-ucla' (Kinect v1 SDK) order, written out from the SDK's list.
KINECT_V1 = ('Hip-centro', 'Spine', 'Shoulder-Center', 'Head',
             'Shoulder-Left', 'Elbow-Left', 'Wrist-Left', 'Hand-Left',
             'Shoulder-Right', 'Elbow-Right', 'Wrist-Right', 'Hand-Right',
             'Hip-Left', 'Knee-Left', 'Ankle-Left', 'Foot-Left',
             'Hip-Right', 'Knee-Right', 'Ankle-Right', 'Foot-Right')


def by_name(text):
    """The frames of a walk as dicts joint name -> (x, y, z), read plainly."""
    frames = []
    for line in text.splitlines():
        name, *xyz = line.split(';')
        if name == 'Head':
            frames.append({})
        frames[-1][name] = np.array(xyz, dtype=np.float32)
    return frames


@pytest.fixture(scope='module')
def walks(kgbd_walks):
    return kgbd_walks


@pytest.fixture(scope='module')
def converted(kgbd_pickles):
    return kgbd_pickles


@pytest.fixture(scope='module')
def small_root(walks, tmp_path_factory):
    """A KGBD folder of Person015 and Person158 only (7 walks)."""
    root = tmp_path_factory.mktemp('kgbd_small')
    for (person, walk), text in walks['texts'].items():
        if person in (15, 158):
            folder = root / 'Data' / f'Person{person:03d}'
            folder.mkdir(parents=True, exist_ok=True)
            with open(folder / f'{walk}.txt', 'w', newline='') as f:
                f.write(text)
    return str(root)


def annotations(content):
    return {a['frame_dir']: a for a in content['annotations']}


@needs_data
def test_joints_stored_by_name_in_kinect_v1_order(walks, converted):
    anns = annotations(converted['data']['reid'])
    assert len(anns) == len(walks['texts'])
    for (person, walk), text in walks['texts'].items():
        ann = anns[f'Person{person:03d}_{walk}']
        frames = by_name(text)
        assert ann['total_frames'] == len(text.splitlines()) // 20
        assert ann['total_frames'] == len(frames)
        assert ann['keypoint'].shape == (1, len(frames), 20, 3)
        assert ann['keypoint'].dtype == np.float32
        assert ann['subject'] == person and ann['sequence'] == walk
        expected = np.stack(
            [np.stack([frame[name] for name in KINECT_V1])
             for frame in frames])
        np.testing.assert_array_equal(ann['keypoint'][0], expected)
    # one value checked by hand: Person015 walk 1, frame 0
    head, hip = by_name(walks['texts'][15, 1])[0]['Head'], \
        by_name(walks['texts'][15, 1])[0]['Hip-centro']
    first = anns['Person015_1']['keypoint'][0, 0]
    np.testing.assert_array_equal(first[3], head)
    np.testing.assert_array_equal(first[0], hip)


@needs_data
def test_bones_are_steady_and_joints_stacked_head_to_foot(converted):
    layout = get_layout('nw-ucla')
    limbs = [(5, 4), (6, 5), (9, 8), (10, 9),  # upper arms, forearms
             (13, 12), (14, 13), (17, 16), (18, 17)]  # thighs, shanks
    assert set(limbs) <= set(layout.bones)
    spread = {bone: [] for bone in limbs}
    for ann in converted['data']['reid']['annotations']:
        kp = ann['keypoint'][0]
        for child, parent in limbs:
            length = np.linalg.norm(kp[:, child] - kp[:, parent], axis=-1)
            spread[child, parent].append(length.std() / length.mean())
        # y is up: head over shoulders over spine over hips over knees ...
        height = kp[..., 1].mean(axis=0)
        for upper, lower in [(3, 2), (2, 1), (1, 0), (12, 13), (13, 14),
                             (16, 17), (17, 18)]:
            assert height[upper] > height[lower], (ann['frame_dir'], upper)
    for bone, ratios in spread.items():
        assert np.median(ratios) < 0.15, (bone, np.median(ratios))


def check_disjoint(split):
    train, probe, gallery = (set(split[k]) for k in
                             ('train', 'probe', 'gallery'))
    assert not train & probe and not train & gallery and not probe & gallery
    assert split['test'] == split['probe'] + split['gallery']
    return train, probe, gallery


def person_of(name):
    return int(name[len('Person'):name.index('_')])


@needs_data
def test_reid_protocol(converted, walks):
    content = converted['data']['reid']
    split, anns = content['split'], annotations(content)
    train, probe, gallery = check_disjoint(split)
    assert train | probe | gallery == set(anns)
    for person, count in WALKS.items():
        def own(names):
            return [n for n in names if person_of(n) == person]
        assert len(own(probe)) == 1
        assert len(own(gallery)) == (1 if count == 3 else 2)
        assert len(own(train)) == count - 1 - len(own(gallery)) >= 1
    # Person015 (3 walks): one of each
    assert [len([n for n in s if n.startswith('Person015_')])
            for s in (train, probe, gallery)] == [1, 1, 1]
    # every person trains; labels index them in subject order
    people = sorted(WALKS)
    for name, ann in anns.items():
        assert ann['label'] == people.index(person_of(name))


@needs_data
def test_open_protocol(converted):
    content = converted['data']['open']
    split, anns = content['split'], annotations(content)
    train, probe, gallery = check_disjoint(split)
    assert train | probe | gallery == set(anns)
    train_people = sorted({person_of(n) for n in train})
    test_people = sorted({person_of(n) for n in probe | gallery})
    assert len(train_people) == OPEN_TRAIN
    assert not set(train_people) & set(test_people)
    assert sorted(train_people + test_people) == sorted(WALKS)
    for person in train_people:  # all their walks train
        assert sum(person_of(n) == person for n in train) == WALKS[person]
    for person in test_people:  # one probe, the rest gallery
        assert sum(person_of(n) == person for n in probe) == 1
        assert sum(person_of(n) == person for n in gallery) == \
            WALKS[person] - 1
    for name, ann in anns.items():
        person = person_of(name)
        expected = train_people.index(person) \
            if person in train_people else -1
        assert ann['label'] == expected, name
    assert sorted({a['label'] for a in anns.values()}) == \
        [-1] + list(range(OPEN_TRAIN))


@needs_data
def test_meta_and_report(converted):
    for protocol, content in converted['data'].items():
        meta = content['meta']
        assert meta['protocol'] == protocol and meta['seed'] == 0
        assert meta['layout'] == 'nw-ucla' and meta['units'] == 'm'
        assert meta['fps'] == 30 and meta['description']
        for name, names in content['split'].items():
            assert meta['num_walks'][name] == len(names)
            assert meta['num_people'][name] == len(
                {person_of(n) for n in names})
        labelled = {a['subject']: a['label'] for a in content['annotations']
                    if a['label'] >= 0}
        assert meta['train_subjects'] == sorted(labelled)
        assert [labelled[s] for s in meta['train_subjects']] == \
            list(range(len(labelled)))
    report = converted['report']
    assert report['num_people'] == 6 and report['num_walks'] == 28
    assert report['num_frames'] == sum(
        a['total_frames'] for a in converted['data']['reid']['annotations'])
    assert report['walks']['reid']['probe'] == 6
    assert set(report['outputs']) == {'reid', 'open'}


def test_seed_fixes_the_splits():
    people = {p: list(range(1, n + 1)) for p, n in WALKS.items()}
    for split in (kgbd.split_reid,
                  lambda w, s: kgbd.split_open(w, s, OPEN_TRAIN)):
        assert split(people, 0) == split(people, 0)
        assert split(people, 0) != split(people, 1)


@needs_data
def test_split_in_pickle_matches_pure_split(converted):
    people = {p: list(range(1, n + 1)) for p, n in WALKS.items()}
    for protocol, pairs in (('reid', kgbd.split_reid(people, 0)),
                            ('open', kgbd.split_open(people, 0, OPEN_TRAIN))):
        split = converted['data'][protocol]['split']
        for name in ('train', 'probe', 'gallery'):
            assert split[name] == [f'Person{p:03d}_{w}' for p, w in
                                   pairs[name]]


@needs_data
def test_pose_dataset_loads_the_pickles(converted):
    for protocol, name in (('reid', 'train'), ('open', 'test')):
        ann_file = os.path.join(converted['out_dir'], f'kgbd_{protocol}.pkl')
        dataset = PoseDataset(ann_file=ann_file, split=name, pipeline=[])
        split = converted['data'][protocol]['split'][name]
        assert len(dataset) == len(split)
        item = dataset[0]
        assert item['frame_dir'] in split
        assert item['keypoint'].shape[2:] == (20, 3)


@needs_data
def test_no_overwrite_without_the_flag(small_root, tmp_path, capsys):
    out_dir = str(tmp_path)
    argv = [small_root, '--out-dir', out_dir, '--protocol', 'reid',
            '--no-progress']
    assert kgbd.main(argv) == 0
    out_file = os.path.join(out_dir, 'kgbd_reid.pkl')
    assert not os.path.exists(os.path.join(out_dir, 'kgbd_open.pkl'))
    with open(out_file, 'rb') as f:
        first = pickle.load(f)
    assert first['meta']['seed'] == 0
    out = capsys.readouterr().out
    assert 'KGBD: 2 people, 7 walks' in out and out_file in out
    stamp = os.path.getmtime(out_file)
    assert kgbd.main(argv) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith('error: ') and 'exists' in err
    assert len(err.splitlines()) == 1
    assert os.path.getmtime(out_file) == stamp
    with pytest.raises(FileExistsError):
        kgbd.convert_kgbd(small_root, out_dir, protocol='reid',
                          progress=False)
    assert kgbd.main(argv + ['--seed', '1', '--overwrite']) == 0
    with open(out_file, 'rb') as f:
        again = pickle.load(f)
    assert again['meta']['seed'] == 1
    assert again['split'] != first['split']
    assert os.listdir(out_dir) == ['kgbd_reid.pkl']  # no .tmp left


@needs_data
def test_archive_source(walks, tmp_path):
    archive = str(tmp_path / 'small.tar.xz')
    with tarfile.open(archive, 'w:xz', preset=0) as tar:
        tar.add(os.path.join(walks['root'], 'Data', 'Person015'),
                arcname='Data/Person015')
    found = [(p, w, path) for p, w, path, _ in kgbd.iter_walks(archive)]
    assert sorted(found) == [
        (15, w, f'{archive}:Data/Person015/{w}.txt') for w in (1, 2, 3)]
    report = kgbd.convert_kgbd(archive, str(tmp_path), protocol='reid',
                               progress=False)
    assert report['num_walks'] == 3
    with open(report['outputs']['reid'], 'rb') as f:
        content = pickle.load(f)
    assert [len(content['split'][k]) for k in ('train', 'probe', 'gallery')
            ] == [1, 1, 1]


def corrupt(text, line, new=None):
    """``text`` with 1-based ``line`` replaced by ``new`` (None: deleted)."""
    lines = text.splitlines()
    if new is None:
        del lines[line - 1]
    else:
        lines[line - 1] = new
    return '\r\n'.join(lines) + '\r\n'


@needs_data
@pytest.mark.parametrize(
    'line, new, reported, words',
    [
        (25, None, 21, ['frame 1', 'lacks', 'Elbow-Right']),  # joint missing
        (26, 'Elbow-Right;0.1;0.2;0.3', 26,
         ['repeated', 'Elbow-Right', 'first at line 25']),
        (30, 'Hand-Left;0.1;0.2', 30, ['3 field']),
        (30, 'Hand-Left;0.1;abc;0.3', 30, ["y = 'abc'", 'not a number']),
        (30, 'Hand-Middle;0.1;0.2;0.3', 30, ['unknown joint', 'Hand-Middle']),
        (30, 'Hand-Left;0.1;nan;0.3', 30, ['non-finite']),
        (1, None, 1, ['start with', 'Head']),
        (60, None, 41, ['frame 2', 'lacks', 'Foot-Left']),  # cut short
    ])
def test_format_errors_name_file_and_line(walks, line, new, reported, words):
    three_frames = '\r\n'.join(
        walks['texts'][15, 1].splitlines()[:60]) + '\r\n'
    lines = three_frames.splitlines()
    assert [lines[i].split(';')[0] for i in (24, 25, 29, 59)] == [
        'Elbow-Right', 'Elbow-Left', 'Hand-Left', 'Foot-Left']
    assert kgbd.parse_walk('walk.txt', three_frames).shape == (3, 20, 3)
    with pytest.raises(kgbd.KGBDFormatError) as error:
        kgbd.parse_walk('Person015/1.txt', corrupt(three_frames, line, new))
    message = str(error.value)
    assert message.startswith(f'Person015/1.txt, line {reported}: '), message
    for word in words:
        assert word in message, message


@needs_data
def test_bad_or_missing_input_exits_with_one_error_line(walks, tmp_path,
                                                        capsys):
    root = tmp_path / 'kgbd'
    (root / 'Data' / 'Person015').mkdir(parents=True)
    lines = walks['texts'][15, 2].splitlines()
    lines[44] = 'Knee-Left;0.1;0.2;0.3;0.4'
    bad = root / 'Data' / 'Person015' / '2.txt'
    bad.write_text('\r\n'.join(lines) + '\r\n')
    (root / 'Data' / 'Person015' / '1.txt').write_text('\n\n')
    out_dir = str(tmp_path / 'out')
    assert kgbd.main([str(root), '--out-dir', out_dir, '--no-progress']) == 1
    err = capsys.readouterr().err.strip()
    assert err == f'error: {root}/Data/Person015/1.txt: empty walk file ' \
        '(no frames)'
    os.remove(root / 'Data' / 'Person015' / '1.txt')
    assert kgbd.main([str(root), '--out-dir', out_dir, '--no-progress']) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith(f'error: {bad}, line 45: 5 field(s)')
    assert len(err.splitlines()) == 1
    assert not os.path.exists(out_dir)
    missing = str(tmp_path / 'nowhere.tar.xz')
    assert kgbd.main([missing, '--out-dir', out_dir]) == 1
    assert capsys.readouterr().err.startswith(f'error: {missing}: ')
