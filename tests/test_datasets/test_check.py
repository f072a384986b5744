"""The annotation check: every problem found, counted and named by file,
sample and field; files only read; what a pipeline expects."""
import json
import os
import pickle

import numpy as np
import pytest

from aclnet_plugin.datasets.check import (PROBLEM_KINDS, DataCheckError,
                                          check_annotation_file,
                                          check_annotations, check_labels,
                                          explain_load_failure,
                                          load_annotations,
                                          pipeline_expectation)
from mmaction.registry import TRANSFORMS

NUM_CLASSES = 4


def clip(i, label=0, frames=6, persons=1, joints=25, coords=3, score=False,
         split='train'):
    """A clip of the PySKL format, its keypoints in [-1, 1) (3D: z ~ 3)."""
    rng = np.random.default_rng(i)
    keypoint = rng.uniform(-1, 1, (persons, frames, joints, coords))
    if coords == 3 and not score:
        keypoint[..., 2] += 3  # depth in metres, as Kinect
    sample = dict(frame_dir=f'{split}{i}', label=label, total_frames=frames,
                  keypoint=keypoint.astype(np.float32))
    if score:
        sample['keypoint_score'] = rng.uniform(
            0, 1, (persons, frames, joints)).astype(np.float32)
    return sample


def dataset(num_train=8, num_val=4, **kwargs):
    train = [clip(i, i % NUM_CLASSES, **kwargs) for i in range(num_train)]
    val = [clip(100 + i, i % NUM_CLASSES, split='val', **kwargs)
           for i in range(num_val)]
    return dict(split=dict(train=[a['frame_dir'] for a in train],
                           val=[a['frame_dir'] for a in val]),
                annotations=train + val)


def check(data, split='train', **kwargs):
    kwargs.setdefault('num_classes', NUM_CLASSES)
    kwargs.setdefault('num_joints', 25)
    kwargs.setdefault('num_coords', 3)
    return check_annotations(data, 'a.pkl', split, **kwargs)


def write(path, data):
    with open(path, 'wb') as f:
        pickle.dump(data, f)
    return str(path)


def test_a_good_file_has_no_problem_and_a_summary():
    data = dataset()
    data['annotations'][0]['keypoint'] = np.zeros((2, 9, 25, 3), np.float32)
    data['annotations'][0]['total_frames'] = 9
    report = check(data)
    assert report.ok and report.problems == {} and report.counts == {}
    assert report.num_samples == 8
    assert report.stats['frames'] == (6, 6.0, 9)
    assert report.stats['persons'] == (1, 2)
    assert report.stats['joints'] == {25: 8}
    assert report.stats['coordinates'] == {3: 8}
    assert report.stats['labels'] == (0, 3, 4)
    assert check(data, 'val').num_samples == 4
    assert check(data, None).num_samples == 12  # no split: every sample


def mutate(data, index, **fields):
    """Set (or with None, delete) fields of annotation ``index``."""
    sample = data['annotations'][index]
    for key, value in fields.items():
        if value is None:
            sample.pop(key)
        else:
            sample[key] = value
    return data


def keypoint(shape, fill=0.5):
    return np.full(shape, fill, np.float32)


NAN = keypoint((1, 6, 25, 3))
NAN[0, 4, 7, 1] = np.nan
INF = keypoint((1, 6, 25, 3))
INF[0, 0, 0, 0] = -np.inf

# (name, fields of sample 2, kind, words of the message)
SINGLE_PROBLEMS = [
    ('label 999', dict(label=999), 'label_range', ['"label" = 999']),
    ('label -1 in training', dict(label=-1), 'label_range', ['"label" = -1']),
    ('label equal to num_classes', dict(label=NUM_CLASSES), 'label_range',
     ['"label" = 4']),
    ('label beyond int64', dict(label=10**30), 'label_range',
     [f'"label" = {10**30}']),
    ('numpy label 999', dict(label=np.int64(999)), 'label_range',
     ['"label" = 999']),
    ('float label', dict(label=1.0), 'label_type',
     ['"label" = 1.0 (float)', 'not an integer']),
    ('bool label', dict(label=True), 'label_type', ['"label" = True']),
    ('string label', dict(label='1'), 'label_type', ['"label" = \'1\'']),
    ('no label', dict(label=None), 'missing_field', ['"label" is missing']),
    ('no total_frames', dict(total_frames=None), 'missing_field',
     ['"total_frames" is missing']),
    ('no keypoint', dict(keypoint=None), 'missing_field',
     ['"keypoint" is missing']),
    ('keypoint of rank 3', dict(keypoint=keypoint((6, 25, 3))),
     'keypoint_rank', ['"keypoint" has shape (6, 25, 3)', 'rank 3']),
    ('keypoint a list', dict(keypoint=[[0.0]]), 'keypoint_rank',
     ['"keypoint" is a list']),
    ('keypoint of strings', dict(keypoint=np.full((1, 6, 25, 3), 'x')),
     'keypoint_rank', ['"keypoint" has dtype <U1']),
    ('2D clip in a 3D file', dict(keypoint=keypoint((1, 6, 25, 2))),
     'coordinates', ['"keypoint" has shape (1, 6, 25, 2)',
                     '2D data with a 3D config']),
    ('17 joints for 25', dict(keypoint=keypoint((1, 6, 17, 3))), 'joints',
     ['"keypoint" has shape (1, 6, 17, 3)', '17 joints', 'has 25']),
    ('keypoint_score of the wrong shape',
     dict(keypoint_score=keypoint((1, 6, 24))), 'keypoint_score',
     ['"keypoint_score" has shape (1, 6, 24)', 'must be (1, 6, 25)']),
    ('NaN', dict(keypoint=NAN), 'non_finite',
     ['"keypoint" holds 1 NaN or inf value',
      'person 0, frame 4, joint 7, coordinate 1']),
    ('inf', dict(keypoint=INF), 'non_finite',
     ['"keypoint" holds 1 NaN or inf value', 'frame 0, joint 0']),
    ('zero frames', dict(keypoint=keypoint((1, 0, 25, 3)), total_frames=0),
     'zero_frames', ['"keypoint" has shape (1, 0, 25, 3): zero frames']),
    ('zero frames, total_frames not', dict(keypoint=keypoint((1, 0, 25, 3))),
     'zero_frames', ['zero frames']),
    ('no person', dict(keypoint=keypoint((0, 6, 25, 3))), 'zero_frames',
     ['no person']),
    ('total_frames 0', dict(total_frames=0), 'zero_frames',
     ['"total_frames" = 0']),
    ('total_frames off', dict(total_frames=7), 'total_frames',
     ['"total_frames" = 7', '"keypoint" has 6 frames']),
    ('float total_frames', dict(total_frames=6.0), 'total_frames',
     ['"total_frames" = 6.0 (float), not an integer']),
    ('duplicate frame_dir', dict(frame_dir='train0'), 'duplicate_frame_dir',
     ['"frame_dir" is also that of sample 0']),
]


@pytest.mark.parametrize('fields, kind, words',
                         [p[1:] for p in SINGLE_PROBLEMS],
                         ids=[p[0] for p in SINGLE_PROBLEMS])
def test_each_problem_is_found_and_named(fields, kind, words):
    data = mutate(dataset(), 2, **fields)
    frame_dir = data['annotations'][2]['frame_dir']
    # the split names the training clips as they are now (a renamed one
    # too: its old name, without annotation, would be another problem)
    data['split']['train'] = [a['frame_dir'] for a in data['annotations'][:8]]
    report = check(data)
    assert report.counts == {kind: 1}, report.format()
    example, = report.problems[kind].examples
    assert (example.index, example.frame_dir) == (2, frame_dir)
    text = report.format()
    assert f"sample 2 (frame_dir='{frame_dir}')" in text
    assert 'a.pkl' in text and "split 'train'" in text
    for word in words:
        assert word in text
    assert PROBLEM_KINDS[kind] in text


def test_a_score_channel_is_not_a_problem_in_the_samples_without():
    """Samples missing a keypoint_score the others have are reported."""
    data = dataset(coords=2, score=True)
    report = check(data, num_coords=2)
    assert report.ok, report.format()
    mutate(data, 3, keypoint_score=None)
    report = check(data, num_coords=2)
    assert report.counts == {'missing_field': 1}
    assert '"keypoint_score" is missing (the other 7 samples have one)' in \
        report.format()


def test_label_minus_one_is_accepted_only_when_allowed():
    data = mutate(dataset(), 9, label=-1)  # a val sample
    assert check(data, 'val').counts == {'label_range': 1}
    report = check(data, 'val', allow_no_label=True)
    assert report.ok and report.stats['no_label'] == 1
    assert '1 samples are labelled -1' in report.notes[0]
    mutate(data, 10, label=-2)
    report = check(data, 'val', allow_no_label=True)
    assert report.counts == {'label_range': 1}
    assert '"label" = -2' in report.format()
    assert 'or -1 (no training class' in report.format()


def test_without_num_classes_labels_must_still_be_non_negative():
    data = mutate(dataset(), 1, label=10**6)
    assert check(data, num_classes=None).ok
    mutate(data, 2, label=-3)
    assert check(data, num_classes=None).counts == {'label_range': 1}


def test_3d_data_with_a_2d_config():
    # x, y and a separate score: 2D; a third coordinate besides: 3D
    data = dataset(coords=2, score=True)
    mutate(data, 4, keypoint=keypoint((1, 6, 25, 3)))
    report = check(data, num_coords=2)
    assert report.counts == {'coordinates': 1}
    assert 'and a "keypoint_score": 3 coordinates per joint, 3D data with ' \
        'a 2D config' in report.format()
    # (x, y, score) in one array: fine while the third channel is a score
    merged = dataset(coords=3, score=False)
    for sample in merged['annotations']:
        sample['keypoint'][..., 2] = np.abs(sample['keypoint'][..., 2]) / 4
    assert check(merged, num_coords=2).ok
    mutate(merged, 5, keypoint=keypoint((1, 6, 25, 3), fill=2.5))  # metres
    report = check(merged, num_coords=2)
    assert report.counts == {'coordinates': 1}
    assert 'third channel in [2.5, 2.5], not a score in [0, 1]: 3 ' \
        'coordinates per joint, 3D data with a 2D config' in report.format()


def test_without_expectations_the_samples_must_agree():
    data = mutate(dataset(), 2, keypoint=keypoint((1, 6, 25, 2)))
    mutate(data, 5, keypoint=keypoint((1, 6, 17, 3)))
    report = check(data, num_joints=None, num_coords=None)
    assert report.counts == {'coordinates': 1, 'joints': 1}
    text = report.format()
    assert '2 coordinates per joint, while 7 of the 8 samples have 3' in text
    assert '17 joints, while 7 of the 8 samples have 25' in text


def test_several_problems_are_reported_together_with_counts():
    data = dataset(num_train=20)
    for i in (1, 3, 5, 7, 9, 11, 13):
        mutate(data, i, keypoint=NAN)
    mutate(data, 2, label=99)
    mutate(data, 4, label=-5)
    mutate(data, 6, keypoint=keypoint((1, 6, 25, 2)))
    mutate(data, 20, label=77)  # in the val split: not in this report
    report = check(data, max_examples=3)
    assert report.counts == {'non_finite': 7, 'label_range': 2,
                             'coordinates': 1}
    assert [e.index for e in report.problems['non_finite'].examples] == \
        [1, 3, 5]
    text = report.format()
    assert 'NaN or inf values: 7 samples' in text and '... and 4 more' in text
    assert 'labels out of range: 2 samples' in text
    assert list(report.problems) == ['coordinates', 'label_range',
                                     'non_finite']  # PROBLEM_KINDS order
    assert '10 problems' in text
    with pytest.raises(DataCheckError) as info:
        from aclnet_plugin.datasets.check import raise_for_problems
        raise_for_problems([report, check(data, 'val')], hint='Fix it.')
    message = str(info.value)
    assert isinstance(info.value, ValueError)
    assert "a.pkl, split 'train'" in message
    assert "a.pkl, split 'val'" in message and '"label" = 77' in message
    assert message.endswith('Fix it.')
    assert len(info.value.reports) == 2


STRUCTURE = [
    ('no split', lambda d: d.pop('split'), 'train',
     ['"split" is missing', "keys 'annotations'"]),
    ('no annotations', lambda d: d.pop('annotations'), 'train',
     ['"annotations" is missing']),
    ('annotations not a list', lambda d: d.update(annotations={'a': 1}),
     'train', ['"annotations" is a dict, not a list']),
    ('split absent', lambda d: None, 'xsub_train',
     ["\"split\" has no 'xsub_train'; its splits are 'train', 'val'"]),
    ('split not a dict', lambda d: d.update(split=['train']), 'train',
     ['"split" is a list, not a dict']),
    ('split selecting nothing', lambda d: d['split'].update(train=['x']),
     'train', ['"split"[\'train\'] selects no sample', "its first: 'x'"]),
    ('empty split', lambda d: d['split'].update(train=[]), 'train',
     ['"split"[\'train\'] is empty: it names no clip']),
    ('split a string', lambda d: d['split'].update(train='train0'), 'train',
     ['"split"[\'train\'] is a str, not a list']),
    ('no annotation at all', lambda d: d.update(annotations=[]), None,
     ['the file holds no annotation']),
]


@pytest.mark.parametrize('change, split, words', [s[1:] for s in STRUCTURE],
                         ids=[s[0] for s in STRUCTURE])
def test_problems_of_the_structure(change, split, words):
    data = dataset()
    change(data)
    report = check(data, split)
    assert report.counts == {'structure': 1}
    for word in words:
        assert word in report.format()


def test_files_that_are_not_dicts():
    assert check([clip(0)], None).ok  # a bare list: mmaction's split=None
    report = check([clip(0)], 'train')
    assert report.counts == {'structure': 1}
    assert 'bare list of annotations' in report.format()
    report = check(np.zeros(3), 'train')
    assert 'the file holds a ndarray, not a dict' in report.format()
    data = dataset()
    data['annotations'].insert(1, 'clip')
    data['annotations'][2].pop('frame_dir')
    report = check(data)
    # the annotation without a name leaves its split name without one
    assert report.counts == {'not_a_dict': 1, 'missing_field': 1,
                             'missing_clip': 1}
    assert "frame_dir='train1'" in report.format()
    assert 'annotation 1 is a str, not a dict' in report.format()
    assert 'sample 2 (frame_dir=None): "frame_dir" is missing' in \
        report.format()


def test_clips_a_split_names_without_annotation():
    """PoseDataset would leave them out silently: an error by default,
    with their count and first names in the split's order."""
    data = dataset()
    data['split']['train'] += ['gone9', 'gone1', 'gone9', 'gone5', 'gone0']
    report = check(data, max_examples=2)
    assert report.counts == {'missing_clip': 4}
    assert [e.frame_dir for e in report.problems['missing_clip'].examples] \
        == ['gone9', 'gone1']
    text = report.format()
    assert "a.pkl, split 'train' (8 samples checked" in text
    assert 'clips the split names but no annotation has: 4 clips; ' \
        '"split"[\'train\'] names 12' in text
    assert "frame_dir='gone9'\n" in text and "... and 2 more" in text
    assert "missing_clips='warn'" in text
    assert report.warnings == []
    assert check(data, 'val').ok  # the other split is fine
    # the switch: a warning naming them, the rest checked as before
    report = check(data, missing_clips='warn', max_examples=3)
    assert report.ok and report.num_samples == 8
    assert report.warnings == [
        "4 of the 12 clips of split 'train' have no annotation and are "
        "left out: 'gone9', 'gone1', 'gone5', ... (4 in all)"]
    mutate(data, 2, label=99)
    assert check(data, missing_clips='warn').counts == {'label_range': 1}
    with pytest.raises(ValueError, match="missing_clips must be one of"):
        check(data, missing_clips='ignore')


def test_compressed_keypoints_and_skeleton_files():
    data = dataset()
    rows = mutate(data, 1, keypoint=keypoint((5, 25, 3)),
                  frame_inds=np.arange(5))  # PySKL's compressed form
    assert check(rows).ok
    for sample in data['annotations']:
        sample.pop('keypoint')
    assert check(data, skeleton_files=True).ok  # Kinetics' kpfiles
    assert check(data).counts == {'missing_field': 8}


def test_check_labels_on_samples_in_memory():
    report = check_labels([dict(frame_dir='a', label=0),
                           dict(frame_dir='b', label=3),
                           dict(frame_dir='c')], 'x.pkl', num_classes=3)
    assert report.counts == {'missing_field': 1, 'label_range': 1}
    assert report.notes == ['2 of the 3 classes have no sample here: 1, 2']


# -- reading files ------------------------------------------------------


def test_files_that_cannot_be_read_are_named(tmp_path):
    missing = str(tmp_path / 'missing.pkl')
    with pytest.raises(DataCheckError, match=f'{missing}: no such'):
        load_annotations(missing)
    with pytest.raises(DataCheckError, match='is a folder'):
        load_annotations(str(tmp_path))
    empty = tmp_path / 'empty.pkl'
    empty.write_bytes(b'')
    with pytest.raises(DataCheckError, match=f'{empty}: the file is empty'):
        load_annotations(str(empty))
    csv = tmp_path / 'labels.pkl'
    csv.write_text('frame_dir,label\nS001,3\n')
    with pytest.raises(DataCheckError) as info:
        load_annotations(str(csv))
    assert str(info.value).startswith(f'{csv}: cannot be loaded as a pickle')
    assert 'UnpicklingError' in str(info.value) and 'text file' in str(
        info.value)
    js = tmp_path / 'ann.pkl'
    js.write_text(json.dumps(dict(split={})))
    with pytest.raises(DataCheckError, match='looks like JSON'):
        load_annotations(str(js))
    # made with a module this Python lacks (numpy 2's numpy._core, pandas)
    foreign = tmp_path / 'foreign.pkl'
    foreign.write_bytes(b'cno_such_module_here\nFrame\n)R.')
    with pytest.raises(DataCheckError, match=f'{foreign}: cannot be loaded '
                       'as a pickle \\(ModuleNotFoundError'):
        load_annotations(str(foreign))
    truncated = tmp_path / 'truncated.pkl'
    truncated.write_bytes(pickle.dumps(dataset())[:500])
    with pytest.raises(DataCheckError, match=f'{truncated}: cannot be loaded'):
        load_annotations(str(truncated))


def test_unreadable_file(tmp_path, monkeypatch):
    path = write(tmp_path / 'a.pkl', dataset())

    def refuse(*args, **kwargs):
        raise PermissionError(13, 'Permission denied')

    monkeypatch.setattr('builtins.open', refuse)
    with pytest.raises(DataCheckError,
                       match=f'{path}: cannot be read \\(Permission denied'):
        load_annotations(path)


def snapshot(path):
    with open(path, 'rb') as f:
        return f.read(), os.stat(path).st_mtime_ns


def test_the_wrapper_raises_naming_file_sample_and_field(tmp_path):
    data = mutate(dataset(), 3, keypoint=NAN)
    path = write(tmp_path / 'ntu.pkl', data)
    before = snapshot(path)
    with pytest.raises(DataCheckError) as info:
        check_annotation_file(path, 'train', num_classes=NUM_CLASSES)
    message = str(info.value)
    assert message.splitlines()[0] == (f'The data check found problems in '
                                       f'{path} (the file was not modified):')
    assert "sample 3 (frame_dir='train3'): \"keypoint\" holds" in message
    assert snapshot(path) == before  # only read
    report = check_annotation_file(path, 'val', num_classes=NUM_CLASSES)
    assert report.ok and snapshot(path) == before


def test_explain_load_failure(tmp_path):
    good = write(tmp_path / 'good.pkl', dataset())
    assert explain_load_failure(good, 'train') is None
    with pytest.raises(DataCheckError, match="has no 'xsub_train'"):
        explain_load_failure(good, 'xsub_train')
    with pytest.raises(DataCheckError, match='the dataset has no split'):
        explain_load_failure(good, None)
    data = dataset()
    data.pop('split')
    no_split = write(tmp_path / 'no_split.pkl', data)
    with pytest.raises(DataCheckError, match=f'(?s){no_split}.*"split" is '
                       'missing'):
        explain_load_failure(no_split, 'train')
    text = tmp_path / 'text.pkl'
    text.write_text('not a pickle')
    with pytest.raises(DataCheckError, match=f'{text}: cannot be loaded'):
        explain_load_failure(str(text), 'train')
    data = dataset()
    data['split']['val'] = []
    data['split']['train'].append('gone')
    path = write(tmp_path / 'empty_val.pkl', data)
    with pytest.raises(DataCheckError, match=f"(?s){path}, split 'val'.*"
                       '"split"\\[\'val\'\\] is empty'):
        explain_load_failure(path, 'val')
    # clips without annotation do not make loading fail: left to the check
    assert explain_load_failure(path, 'train') is None


# -- what a pipeline expects -------------------------------------------


def build(*transforms):
    return [TRANSFORMS.build(t) for t in transforms]


@pytest.mark.parametrize('pipeline, joints, coords, told_by', [
    ([dict(type='PreNormalize3D'),
      dict(type='GenSkeFeat', dataset='nturgb+d', feats=['j'])], 25, 3,
     dict(joints="GenSkeFeat(dataset='nturgb+d')", coords='PreNormalize3D')),
    ([dict(type='GenSkeFeat', dataset='coco', feats=['j'])], 17, 2, None),
    ([dict(type='GenSkeFeat')], 25, 3, None),  # mmaction's default
    ([dict(type='JointToBone', dataset='openpose')], 18, 2, None),
    ([dict(type='FastPreNormalize3D')], None, 3, None),
    ([dict(type='PreNormalize2D'),
      dict(type='SkeletonFeat', layout='coco')], 17, 2,
     dict(joints="SkeletonFeat(layout='coco')", coords='PreNormalize2D')),
    ([dict(type='Coco17To20'),
      dict(type='SkeletonFeat', layout='coco20')], 17, 2,
     dict(joints='Coco17To20', coords='Coco17To20')),
    ([dict(type='SkeletonFeat', layout='coco20')], 20, 2, None),
    ([dict(type='SkeletonFlip', layout='nw-ucla'),
      dict(type='SkeletonFeat', layout='nw-ucla')], 20, 3, None),
    ([dict(type='SkeletonFeat', layout='fpha-hand')], 21, 3, None),
    ([dict(type='UniformSampleFrames', clip_len=8), dict(type='PoseDecode')],
     None, None, {}),
])
def test_pipeline_expectation(pipeline, joints, coords, told_by):
    expected = pipeline_expectation(build(*pipeline))
    assert (expected['num_joints'], expected['num_coords']) == (joints,
                                                                coords)
    if told_by is not None:
        assert expected['told_by'] == told_by
