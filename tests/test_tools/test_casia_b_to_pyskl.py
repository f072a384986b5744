"""tools/data/casia_b_to_pyskl.py on small CSVs written in GaitGraph's form.

Every value is a function of (sequence, frame, joint, field) (:func:`value`),
so a row read into the wrong sequence, frame, joint or field shows. Rows are
shuffled within each file and the sequences split over two files.
"""
import os
import pickle
import random

import numpy as np
import pytest
from mmaction.datasets import PoseDataset

from conftest import load_tool

casia = load_tool('data/casia_b_to_pyskl.py')
JOINTS = ('nose', 'left_eye', 'right_eye', 'left_ear', 'right_ear',
          'left_shoulder', 'right_shoulder', 'left_elbow', 'right_elbow',
          'left_wrist', 'right_wrist', 'left_hip', 'right_hip', 'left_knee',
          'right_knee', 'left_ankle', 'right_ankle')
HEADER = 'image_name,' + ','.join(f'{j}_{f}' for j in JOINTS
                                  for f in ('x', 'y', 'conf'))
#: sequence -> frame numbers, per file (074-bg-01-018 has a gap: 5 and 6)
FILE_A = {
    '073-nm-01-000': [1, 2, 3, 4, 5],
    '073-cl-02-090': [10, 11, 12],
    '074-bg-01-018': [3, 4, 7, 8],
    '075-nm-05-180': [1, 2],
    '075-nm-02-036': [6, 7, 8],
}
FILE_B = {
    '074-nm-06-054': [1, 2, 3],
    '075-bg-02-000': [2, 3],
    '075-cl-01-090': [1],
    '124-nm-03-000': [4, 5, 6],
    '124-nm-04-144': [2, 1],
    '124-nm-06-162': [9, 10],
    '075-nm-01-018': [1, 2, 3, 4],  # subject 075 is in both files
}
SEQUENCES = {**FILE_A, **FILE_B}


def value(name, frame, joint, field):
    """The value written for a keypoint field; exact in float32."""
    seq = sorted(SEQUENCES).index(name)
    if field == 'conf':
        return (joint + 1) / 32 + frame / 1024
    offset = 0 if field == 'x' else 500
    return offset + seq * 20 + frame + joint / 64


def row(name, frame):
    subject = name[:3]
    values = [value(name, frame, j, f) for j in range(17)
              for f in ('x', 'y', 'conf')]
    return f'{subject}/{name}/{frame:06d}.jpg,' + ','.join(map(repr, values))


def write_csv(path, sequences, seed=0, header=HEADER, edit=None):
    """A GaitGraph CSV of ``sequences``, rows shuffled; ``edit(lines)`` may
    change the data lines (``lines[0]`` is line 2 of the file)."""
    lines = [row(name, frame) for name, frames in sequences.items()
             for frame in frames]
    random.Random(seed).shuffle(lines)
    if edit is not None:
        edit(lines)
    with open(path, 'w') as f:
        f.write(header + '\n' + '\n'.join(lines) + '\n')
    return str(path)


def line_of(path, prefix):
    """The 1-based line of ``path`` starting with ``prefix``."""
    with open(path) as f:
        return next(i for i, line in enumerate(f, 1)
                    if line.startswith(prefix))


@pytest.fixture(scope='module')
def converted(tmp_path_factory):
    root = tmp_path_factory.mktemp('casia_b')
    files = [write_csv(root / 'casia-b_pose_train_valid.csv', FILE_A, 1),
             write_csv(root / 'casia-b_pose_test.csv', FILE_B, 2)]
    out_file = str(root / 'out' / 'casia_b_2d.pkl')
    report = casia.convert_casia_b(files, out_file, progress=False)
    with open(out_file, 'rb') as f:
        content = pickle.load(f)
    return dict(report=report, content=content, out_file=out_file,
                files=files)


def by_name(content):
    return {a['frame_dir']: a for a in content['annotations']}


def test_sequences_grouped_and_frames_ordered(converted):
    anns = by_name(converted['content'])
    assert sorted(anns) == sorted(SEQUENCES)
    assert [a['frame_dir'] for a in converted['content']['annotations']] \
        == sorted(SEQUENCES)
    for name, frames in SEQUENCES.items():
        ann = anns[name]
        subject, condition, sequence, view = name.split('-')
        assert ann['subject'] == int(subject)
        assert ann['condition'] == condition
        assert ann['sequence'] == int(sequence)
        assert ann['view'] == int(view)
        assert ann['total_frames'] == len(frames)
        assert ann['frame_numbers'].tolist() == sorted(frames)
        assert ann['keypoint'].shape == (1, len(frames), 17, 2)
        assert ann['keypoint'].dtype == np.float32
        assert ann['keypoint_score'].shape == (1, len(frames), 17)
        assert ann['keypoint_score'].dtype == np.float32
        assert ann['img_shape'] == ann['original_shape'] == (240, 320)


def test_values_round_trip_at_their_joint(converted):
    for name, ann in by_name(converted['content']).items():
        for t, frame in enumerate(sorted(SEQUENCES[name])):
            for j in range(17):
                assert ann['keypoint'][0, t, j].tolist() == [
                    value(name, frame, j, 'x'), value(name, frame, j, 'y')]
                assert ann['keypoint_score'][0, t, j] == value(
                    name, frame, j, 'conf')
    # one by hand: 073-nm-01-000 is sequence 1 of the sorted names (after
    # 073-cl-02-090), frame 5 its 5th frame, the nose joint 0
    nose = by_name(converted['content'])['073-nm-01-000']['keypoint'][0, 4, 0]
    assert nose.tolist() == [1 * 20 + 5, 500 + 1 * 20 + 5]


def test_labels_index_training_subjects(converted):
    content = converted['content']
    for ann in content['annotations']:
        expected = {73: 0, 74: 1}.get(ann['subject'], -1)
        assert ann['label'] == expected, ann['frame_dir']
    assert content['meta']['train_subjects'] == [73, 74]


def test_splits(converted):
    split = converted['content']['split']
    names = sorted(SEQUENCES)
    assert split['train'] == [n for n in names if int(n[:3]) <= 74]
    assert split['test'] == [n for n in names if int(n[:3]) >= 75]
    assert split['gallery'] == ['075-nm-01-018', '075-nm-02-036',
                                '124-nm-03-000', '124-nm-04-144']
    assert split['probe_nm'] == ['075-nm-05-180', '124-nm-06-162']
    assert split['probe_bg'] == ['075-bg-02-000']
    assert split['probe_cl'] == ['075-cl-01-090']


def test_meta_and_report(converted):
    meta = converted['content']['meta']
    assert meta['layout'] == 'coco' and meta['units'] == 'px'
    assert meta['seed'] is None and meta['description']
    assert meta['fps'] == 25 and meta['img_shape'] == (240, 320)
    assert meta['sources'] == ['casia-b_pose_train_valid.csv',
                               'casia-b_pose_test.csv']
    split = converted['content']['split']
    assert meta['num_sequences'] == {k: len(v) for k, v in split.items()}
    assert meta['num_subjects']['train'] == 2
    assert meta['num_subjects']['test'] == 2
    report = converted['report']
    assert report['num_sequences'] == len(SEQUENCES)
    assert report['num_frames'] == sum(map(len, SEQUENCES.values()))
    assert report['num_subjects'] == 4
    assert report['gaps'] == {'074-bg-01-018': 2}


def test_pose_dataset_loads_the_pickle(converted):
    dataset = PoseDataset(ann_file=converted['out_file'], split='train',
                          pipeline=[])
    assert len(dataset) == len(converted['content']['split']['train'])
    assert dataset[0]['keypoint'].shape[2:] == (17, 2)


def test_cli_img_shape_and_overwrite(converted, tmp_path, capsys):
    out_file = str(tmp_path / 'c.pkl')
    argv = converted['files'] + ['--out', out_file, '--img-shape', '480',
                                 '640', '--no-progress']
    before = [open(f).read() for f in converted['files']]
    assert casia.main(argv) == 0
    assert [open(f).read() for f in converted['files']] == before
    out = capsys.readouterr().out
    assert f'wrote {out_file}: 12 sequences of 4 subjects' in out
    assert '1 sequence(s) with gaps' in out and '074-bg-01-018 (2)' in out
    with open(out_file, 'rb') as f:
        content = pickle.load(f)
    assert {a['img_shape'] for a in content['annotations']} == {(480, 640)}
    assert content['meta']['img_shape'] == (480, 640)
    stamp = os.path.getmtime(out_file)
    assert casia.main(argv) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith('error: ') and 'exists' in err
    assert len(err.splitlines()) == 1
    assert os.path.getmtime(out_file) == stamp
    with pytest.raises(FileExistsError):
        casia.convert_casia_b(converted['files'], out_file, progress=False)
    assert casia.main(argv + ['--overwrite']) == 0
    assert sorted(os.listdir(tmp_path)) == ['c.pkl']  # no .tmp left


def replace_row(name, frame, new):
    """An ``edit`` replacing the row of (name, frame) by ``new(row)``; it
    keeps the file line it changed as ``edit.line``."""
    def edit(lines):
        index = lines.index(row(name, frame))
        lines[index] = new(lines[index])
        edit.line = index + 2  # after the header, 1-based
    return edit


def cut_last_value(line):
    return line[:line.rindex(',')]


def empty_value(line):
    fields = line.split(',')
    fields[5] = ''  # left_eye_y
    return ','.join(fields)


def non_number(line):
    fields = line.split(',')
    fields[7] = '12.5px'  # right_eye_x
    return ','.join(fields)


def not_finite(line):
    fields = line.split(',')
    fields[4] = 'inf'  # left_eye_x
    return ','.join(fields)


@pytest.mark.parametrize('name, frame, new, words', [
    ('073-cl-02-090', 11, cut_last_value, ['51 values, expected 52']),
    ('073-cl-02-090', 11, lambda line: line + ',0.5',
     ['53 values, expected 52']),
    ('073-cl-02-090', 11, empty_value, ['left_eye_y missing']),
    ('073-cl-02-090', 11, non_number,
     ["right_eye_x '12.5px' is not a number"]),
    ('073-cl-02-090', 11, not_finite, ['left_eye_x is not finite']),
    ('073-cl-02-090', 11,
     lambda line: line.replace('073-cl-02-090', '073-xx-02-090'),
     ["image name '073/073-xx-02-090/000011.jpg'"]),
    ('073-cl-02-090', 11,
     lambda line: line.replace('000011.jpg', '000011'),
     ["image name '073/073-cl-02-090/000011'"]),
    ('073-cl-02-090', 11, lambda line: line.replace('073/', '074/'),
     ['folder 074']),
    ('073-cl-02-090', 11,
     lambda line: line.replace('073-cl-02-090', '125-cl-02-090')
     .replace('073/', '125/'), ['subject 125']),
])
def test_row_errors_name_file_and_line(tmp_path, name, frame, new, words):
    path = str(tmp_path / 'bad.csv')
    edit = replace_row(name, frame, new)
    write_csv(path, FILE_A, edit=edit)
    with pytest.raises(casia.CasiaBFormatError) as error:
        casia.parse_csv(path, progress=False)
    message = str(error.value)
    assert message.startswith(f'{path}, line {edit.line}: '), message
    for word in words:
        assert word in message, message


def test_repeated_frame_names_both_lines(tmp_path):
    sequences = dict(FILE_A)
    sequences['073-cl-02-090'] = [10, 11, 12, 11]
    path = write_csv(tmp_path / 'dup.csv', sequences, seed=3)
    with open(path) as f:
        lines = [i for i, line in enumerate(f, 1)
                 if line.startswith('073/073-cl-02-090/000011.jpg,')]
    assert len(lines) == 2
    with pytest.raises(casia.CasiaBFormatError) as error:
        casia.parse_csv(path, progress=False)
    assert str(error.value) == (
        f'{path}, line {lines[1]}: frame 11 of sequence 073-cl-02-090 '
        f'repeats line {lines[0]}')


@pytest.mark.parametrize('header, words', [
    (HEADER.replace('left_eye_x,left_eye_y', 'left_eye_y,left_eye_x'),
     ["column 5 is 'left_eye_y', expected 'left_eye_x'"]),
    (HEADER.rsplit(',', 3)[0], ['49 columns, expected 52']),
    (HEADER.replace('image_name', 'image'),
     ["column 1 is 'image', expected 'image_name'"]),
])
def test_header_errors(tmp_path, header, words):
    path = write_csv(tmp_path / 'h.csv', FILE_A, header=header)
    with pytest.raises(casia.CasiaBFormatError) as error:
        casia.parse_csv(path, progress=False)
    message = str(error.value)
    assert message.startswith(f'{path}, line 1: header'), message
    for word in words:
        assert word in message, message


def test_sequence_in_two_files_is_an_error(tmp_path):
    first = write_csv(tmp_path / 'a.csv', FILE_A)
    second = write_csv(tmp_path / 'b.csv',
                       {'073-cl-02-090': [13, 14], **FILE_B})
    out_file = str(tmp_path / 'out.pkl')
    with pytest.raises(casia.CasiaBFormatError) as error:
        casia.convert_casia_b([first, second], out_file, progress=False)
    assert str(error.value) == \
        f'sequence 073-cl-02-090 is in both {first} and {second}'
    assert not os.path.exists(out_file)


def test_blank_lines_and_crlf(tmp_path):
    path = str(tmp_path / 'crlf.csv')
    lines = [row(name, frame) for name, frames in FILE_A.items()
             for frame in frames]
    with open(path, 'w', newline='') as f:
        f.write(HEADER + '\r\n' + '\r\n'.join(lines[:4]) + '\r\n\r\n'
                + '\r\n'.join(lines[4:]) + '\r\n')
    sequences = casia.parse_csv(path, progress=False)
    assert sum(s['total_frames'] for s in sequences.values()) == len(lines)
    # a blank line still counts: the bad row after it is line 8
    lines[5] = non_number(lines[5])
    with open(path, 'w', newline='') as f:
        f.write(HEADER + '\r\n' + '\r\n'.join(lines[:4]) + '\r\n\r\n'
                + '\r\n'.join(lines[4:]) + '\r\n')
    with pytest.raises(casia.CasiaBFormatError, match=f'{path}, line 8: '):
        casia.parse_csv(path, progress=False)


def test_streams_in_chunks(tmp_path, monkeypatch):
    """Chunk borders change nothing, and line numbers run on across them."""
    monkeypatch.setattr(casia, 'CHUNK_LINES', 4)
    path = write_csv(tmp_path / 'a.csv', FILE_A, seed=5)
    small = casia.parse_csv(path, progress=True)
    monkeypatch.setattr(casia, 'CHUNK_LINES', 10_000)
    whole = casia.parse_csv(path, progress=False)
    assert sorted(small) == sorted(whole)
    for name in whole:
        for key in ('keypoint', 'keypoint_score', 'frame_numbers'):
            np.testing.assert_array_equal(small[name][key], whole[name][key])
    monkeypatch.setattr(casia, 'CHUNK_LINES', 4)
    path = write_csv(tmp_path / 'b.csv', FILE_A, seed=5,
                     edit=replace_row('075-nm-02-036', 8, non_number))
    bad = line_of(path, '075/075-nm-02-036/000008.jpg')
    assert bad > 6  # not in the first chunk
    with pytest.raises(casia.CasiaBFormatError, match=f', line {bad}: '):
        casia.parse_csv(path, progress=False)


def test_empty_inputs(tmp_path, capsys):
    zero = tmp_path / 'zero.csv'
    zero.write_text('')
    with pytest.raises(casia.CasiaBFormatError) as error:
        casia.parse_csv(str(zero), progress=False)
    assert str(error.value) == f'{zero}: empty file (no header)'
    header_only = tmp_path / 'header.csv'
    header_only.write_text(HEADER + '\n')
    with pytest.raises(casia.CasiaBFormatError, match='no rows'):
        casia.parse_csv(str(header_only), progress=False)
    missing = str(tmp_path / 'nowhere.csv')
    assert casia.main([missing, '--out', str(tmp_path / 'o.pkl')]) == 1
    assert capsys.readouterr().err.strip() == \
        f'error: {missing}: no such CSV file'
