"""F-PHAB converter: real sequences from ../shared, and malformed input.

Skipped cleanly when the dataset is not there (set FPHA_ROOT to use another
copy).
"""
import os.path as osp
import pickle

import numpy as np
import pytest

from conftest import (FPHA as SOURCE, FPHA_EMPTY as EMPTY, FPHA_ROOT_DIR as
                      ROOT, FPHA_SEQUENCES as SEQUENCES, FPHA_SPLIT as SPLIT,
                      load_tool)

tool = load_tool('data/fpha_to_pyskl.py')
needs_data = pytest.mark.skipif(
    SOURCE is None, reason='F-PHAB not found (../shared or FPHA_ROOT)')


@pytest.fixture(scope='module')
def raw(fpha_raw):
    return fpha_raw


@pytest.fixture(scope='module')
def converted(raw, tmp_path_factory):
    """The few sequences converted: ``(report, pickle content)``."""
    out = tmp_path_factory.mktemp('fpha_out') / 'fpha.pkl'
    report = tool.convert_fpha(str(raw), str(out), progress=False)
    with open(out, 'rb') as f:
        return report, pickle.load(f), str(out)


def raw_lines(raw, name):
    return (raw / ROOT / name / 'skeleton.txt').read_text().splitlines()


def split_entries(raw):
    """``{frame_dir: (section, label)}`` of the split file, read here."""
    entries, section = {}, None
    for line in (raw / SPLIT).read_text().splitlines():
        first, second = line.split()
        if first in ('Training', 'Test'):
            section = first
        else:
            entries[first] = (section, int(second))
    return entries


@needs_data
@pytest.mark.parametrize('name, frame, joint', [
    ('Subject_2/pour_milk/1', 5, 11),  # index tip
    ('Subject_1/open_juice_bottle/2', 0, 0),  # wrist, first frame
    ('Subject_3/close_milk/1', -1, 20),  # pinky tip, last frame
])
def test_values_are_the_raw_millimetres_in_metres(converted, raw, name, frame,
                                                 joint):
    _, data, _ = converted
    clip = next(a for a in data['annotations'] if a['frame_dir'] == name)
    line = raw_lines(raw, name)[frame].split()
    expected = [float(v) / 1000 for v in line[1 + 3 * joint:4 + 3 * joint]]
    np.testing.assert_allclose(clip['keypoint'][0, frame, joint], expected,
                               rtol=1e-6)
    # a hand in metres: every joint within 2 m of the sensor origin
    assert np.abs(clip['keypoint']).max() < 2


@needs_data
def test_shapes_dtypes_and_frame_counts(converted, raw):
    report, data, _ = converted
    clips = {a['frame_dir']: a for a in data['annotations']}
    assert sorted(clips) == sorted(set(SEQUENCES) - {EMPTY})
    for name, clip in clips.items():
        num_lines = len(raw_lines(raw, name))
        assert clip['total_frames'] == num_lines
        assert clip['keypoint'].shape == (1, num_lines, 21, 3)
        assert clip['keypoint'].dtype == np.float32
        subject, action, repetition = name.split('/')
        assert clip['subject'] == int(subject[len('Subject_'):])
        assert clip['action'] == action
        assert clip['repetition'] == int(repetition)
    assert report['num_sequences'] == len(SEQUENCES) - 1
    assert report['num_frames'] == sum(
        len(raw_lines(raw, n)) for n in SEQUENCES)


@needs_data
def test_labels_and_class_names_come_from_the_split_file(converted, raw):
    _, data, _ = converted
    entries = split_entries(raw)
    classes = data['meta']['classes']
    assert len(classes) == 45 and len(set(classes)) == 45
    assert classes[:2] == ['open_juice_bottle', 'close_juice_bottle']
    for clip in data['annotations']:
        assert clip['label'] == entries[clip['frame_dir']][1]
        assert classes[clip['label']] == clip['action']
    for frame_dir, (_, label) in entries.items():  # all 1175, not only ours
        assert classes[label] == frame_dir.split('/')[1]
    meta = data['meta']
    assert (meta['units'], meta['layout']) == ('m', 'fpha-hand')
    assert meta['source'] == osp.basename(str(raw))


@needs_data
def test_empty_file_is_reported_and_skipped(converted):
    report, data, _ = converted
    assert report['empty'] == [EMPTY]
    assert EMPTY not in {a['frame_dir'] for a in data['annotations']}
    assert all(EMPTY not in names for names in data['split'].values())
    assert report['empty_in_split'] == []


@needs_data
def test_official_split_in_file_order(converted, raw):
    report, data, _ = converted
    entries = split_entries(raw)
    ours = set(SEQUENCES) - {EMPTY}
    for key, section in (('train', 'Training'), ('test', 'Test')):
        expected = [n for n, (s, _) in entries.items()
                    if s == section and n in ours]
        assert data['split'][key] == expected
    assert set(data['split']['train']).isdisjoint(data['split']['test'])
    # the split names all 1175 sequences; the ones not extracted are missing
    assert sorted(report['missing']) == sorted(set(entries) - ours)
    assert report['not_in_split'] == []


@needs_data
def test_loso_folds(converted):
    _, data, _ = converted
    split = data['split']
    clips = {a['frame_dir']: a['subject'] for a in data['annotations']}
    subjects = sorted(set(clips.values()))
    assert subjects == [1, 2, 3]
    assert sorted(k for k in split if k.startswith('loso')) == sorted(
        f'loso{s}_{part}' for s in subjects for part in ('train', 'test'))
    tested = []
    for s in subjects:
        train, test = split[f'loso{s}_train'], split[f'loso{s}_test']
        assert set(train).isdisjoint(test)
        assert sorted(train + test) == sorted(clips)
        assert all(clips[n] == s for n in test)
        tested += test
    assert sorted(tested) == sorted(clips)  # each sequence tested once


@needs_data
def test_pose_dataset_loads_the_pickle(converted):
    from mmaction.datasets import PoseDataset
    _, data, out = converted
    for split in ('train', 'test', 'loso2_test'):
        dataset = PoseDataset(ann_file=out, split=split, pipeline=[])
        assert len(dataset) == len(data['split'][split])
        assert sorted(dataset[i]['frame_dir'] for i in range(len(dataset))) \
            == sorted(data['split'][split])
    item = PoseDataset(ann_file=out, split='train', pipeline=[])[0]
    assert item['keypoint'].shape[2:] == (21, 3)


@needs_data
def test_never_overwrites_without_the_flag(raw, tmp_path):
    out = tmp_path / 'fpha.pkl'
    out.write_bytes(b'users data')
    with pytest.raises(FileExistsError):
        tool.convert_fpha(str(raw), str(out), progress=False)
    assert out.read_bytes() == b'users data'
    assert tool.main([str(raw), '--out', str(out), '--no-progress']) == 0
    assert out.read_bytes() == b'users data'
    assert tool.main(
        [str(raw), '--out', str(out), '--no-progress', '--overwrite']) == 0
    assert 'annotations' in pickle.load(open(out, 'rb'))
    assert not osp.exists(str(out) + '.tmp')


@needs_data
def test_the_whole_archive(raw, tmp_path, capsys):
    """The release as the README describes it, through the command line."""
    out = tmp_path / 'all.pkl'
    assert tool.main([SOURCE, '--out', str(out), '--no-progress']) == 0
    printed = capsys.readouterr().out
    assert '1175 sequences, 105459 frames, 45 classes' in printed
    assert 'empty files skipped: 3' in printed
    data = pickle.load(open(out, 'rb'))
    split = data['split']
    assert (len(split['train']), len(split['test'])) == (600, 575)
    entries = split_entries(raw)
    for key, section in (('train', 'Training'), ('test', 'Test')):
        assert split[key] == [n for n, (s, _) in entries.items()
                              if s == section]  # the file's order
    # the annotations in the split file's order too
    assert [a['frame_dir'] for a in data['annotations']] == list(entries)
    # the empty files are not in the split, and the split misses nothing
    assert 'split entries without a file: 0' in printed
    assert 'split entries with an empty file: 0' in printed
    assert 'not in the official split: 0' in printed
    assert [len(split[f'loso{s}_test']) for s in range(1, 7)] == [
        185, 183, 190, 203, 208, 206]
    lengths = [a['total_frames'] for a in data['annotations']]
    assert (min(lengths), max(lengths), np.median(lengths)) == (7, 1151, 77)


def write_sequence(folder, lines, name='Subject_1/open_juice_bottle/1',
                   split=None):
    """A one-sequence source: the skeleton lines and a split file."""
    path = folder / ROOT / name / 'skeleton.txt'
    path.parent.mkdir(parents=True)
    path.write_text(''.join(line + '\n' for line in lines))
    (folder / SPLIT).write_text(split or f'Training 1\n{name} 0\nTest 0\n')
    return path


def frame_line(index, value=1.0):
    return ' '.join([f'{index:04d}'] + [f'{value:.4f}'] * 63)


def with_token(line, position, token):
    values = line.split()
    values[position] = token
    return ' '.join(values)


GOOD = [frame_line(t, 10.0 + t) for t in range(4)]


@pytest.mark.parametrize('lines, number, message', [
    (GOOD[:2] + [' '.join(GOOD[2].split()[:40])] + GOOD[3:], 3,
     '40 values, expected 64'),
    (GOOD[:1] + [with_token(GOOD[1], 5, 'abc')] + GOOD[2:], 2,
     "joint 1 (TMCP) y = 'abc' is not a number"),
    (GOOD[:3] + [with_token(GOOD[3], 64 - 1, 'nan')], 4,
     "joint 20 (PTIP) z = 'nan' is not finite"),
    (GOOD[:1] + [with_token(GOOD[1], 1, 'inf')] + GOOD[2:], 2,
     "joint 0 (Wrist) x = 'inf' is not finite"),
    (GOOD[:2] + [GOOD[1]] + GOOD[3:], 3, 'frame index 1, expected 2'),
    ([GOOD[1], GOOD[0]] + GOOD[2:], 1, 'frame index 1, expected 0'),
    (GOOD[:1] + [with_token(GOOD[1], 0, '1.5')] + GOOD[2:], 2,
     "frame index '1.5' is not an integer"),
])
def test_bad_lines_name_file_and_line(tmp_path, lines, number, message):
    path = write_sequence(tmp_path / 'raw', lines)
    with pytest.raises(tool.FPHABFormatError) as info:
        tool.parse_skeleton(str(path), '\n'.join(lines))
    assert str(info.value).startswith(f'{path}: line {number}: ')
    assert message in str(info.value)
    # the converter passes the same error on, naming the file
    with pytest.raises(tool.FPHABFormatError, match=f'line {number}: '):
        tool.convert_fpha(str(tmp_path / 'raw'), str(tmp_path / 'o.pkl'),
                          progress=False)
    assert not (tmp_path / 'o.pkl').exists()
    assert not (tmp_path / 'o.pkl.tmp').exists()


def test_parse_skeleton_units_and_empty():
    keypoint = tool.parse_skeleton('f', '\n'.join(GOOD) + '\n\n')
    assert keypoint.shape == (4, 21, 3) and keypoint.dtype == np.float32
    np.testing.assert_allclose(keypoint[:, 0, 0], [.010, .011, .012, .013])
    assert tool.parse_skeleton('f', '').shape == (0, 21, 3)


def test_main_reports_one_line_errors(tmp_path, capsys):
    write_sequence(tmp_path / 'raw', GOOD[:1] + ['0001 1 2 3'])
    assert tool.main([str(tmp_path / 'raw'), '--out',
                      str(tmp_path / 'o.pkl'), '--no-progress']) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith('error: ') and 'line 2' in err
    assert 'skeleton.txt' in err and '\n' not in err
    assert tool.main([str(tmp_path / 'absent'), '--out',
                      str(tmp_path / 'o.pkl'), '--no-progress']) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith('error: ') and 'absent' in err and '\n' not in err


def test_source_without_split_file(tmp_path):
    write_sequence(tmp_path / 'raw', GOOD)
    (tmp_path / 'raw' / SPLIT).unlink()
    with pytest.raises(FileNotFoundError, match=SPLIT):
        tool.convert_fpha(str(tmp_path / 'raw'), str(tmp_path / 'o.pkl'),
                          progress=False)


def test_read_split_good():
    text = ('Training 2\nSubject_1/pour_milk/1 1\nSubject_1/stir/2 0\n'
            'Test 1\nSubject_2/stir/1 0\n')
    train, test = tool.read_split('s.txt', text)
    assert train == [('Subject_1/pour_milk/1', 1), ('Subject_1/stir/2', 0)]
    assert test == [('Subject_2/stir/1', 0)]
    assert tool.class_names(train + test) == ['stir', 'pour_milk']


@pytest.mark.parametrize('text, message', [
    ('Training 2\nSubject_1/stir/1 0\nSubject_1/stir/2 1\nTest 0\n',
     "line 3: Subject_1/stir/2 has label 1, but action 'stir' has label 0 "
     'at line 2'),
    ('Training 2\nSubject_1/stir/1 0\nSubject_1/sip/1 0\nTest 0\n',
     "line 3: label 0 of Subject_1/sip/1 is already the label of action "
     "'stir' at line 2"),
    ('Training 2\nSubject_1/stir/1 0\nTest 0\n',
     "line 1: section 'Training' announces 2 sequences but lists 1"),
    ('Training 1\nSubject_1/stir/1 0\nTest 1\nSubject_1/stir/1 0\n',
     'line 4: Subject_1/stir/1 is already listed at line 2'),
    ('Training 1\nSubject_1/stir 0\nTest 0\n',
     "line 2: 'Subject_1/stir 0' is not"),
    ('Subject_1/stir/1 0\n', 'line 1: expected a header line'),
    ('Test 0\nTraining 0\n', "line 1: section 'Test' out of place"),
    ('Training 1\nSubject_1/stir/1 0\n', "no section 'Test'"),
    ('Training 1\nSubject_1/stir/1 1\nTest 0\n', '[0] are not used'),
])
def test_read_split_errors_name_line(text, message):
    with pytest.raises(tool.FPHABFormatError) as info:
        tool.read_split('s.txt', text)
    assert str(info.value).startswith('s.txt: ')
    assert message in str(info.value)


def test_action_folder_without_label(tmp_path):
    write_sequence(tmp_path / 'raw', GOOD)
    write_sequence(tmp_path / 'raw', GOOD, name='Subject_1/juggle/1',
                   split='Training 1\nSubject_1/open_juice_bottle/1 0\n'
                   'Test 0\n')
    with pytest.raises(tool.FPHABFormatError,
                       match="action folder 'juggle' has no label"):
        tool.convert_fpha(str(tmp_path / 'raw'), str(tmp_path / 'o.pkl'),
                          progress=False)


def test_sequence_outside_the_split_goes_to_loso_only(tmp_path):
    folder = tmp_path / 'raw'
    write_sequence(folder, GOOD)
    write_sequence(folder, GOOD[:2], name='Subject_2/open_juice_bottle/9',
                   split='Training 1\nSubject_1/open_juice_bottle/1 0\n'
                   'Test 0\n')
    report = tool.convert_fpha(str(folder), str(tmp_path / 'o.pkl'),
                               progress=False)
    assert report['not_in_split'] == ['Subject_2/open_juice_bottle/9']
    data = pickle.load(open(tmp_path / 'o.pkl', 'rb'))
    assert data['split']['train'] == ['Subject_1/open_juice_bottle/1']
    assert data['split']['test'] == []
    assert data['split']['loso2_test'] == ['Subject_2/open_juice_bottle/9']
    assert data['annotations'][1]['label'] == 0
