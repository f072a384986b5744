"""The demo dataset generator (tools/data/generate_demo_data.py)."""
import pickle

import numpy as np
import pytest

from conftest import load_tool

demo_data = load_tool('data/generate_demo_data.py')
DEMO_CLASSES = demo_data.DEMO_CLASSES
DEMO_GROUPS = demo_data.DEMO_GROUPS
TWO_PERSON_CLASSES = demo_data.TWO_PERSON_CLASSES
generate_demo_annotations = demo_data.generate_demo_annotations
write_demo_dataset = demo_data.write_demo_dataset

NUM_CLASSES = len(DEMO_CLASSES)


@pytest.fixture(scope='module')
def demo():
    """The default demo dataset, generated once for the module."""
    return generate_demo_annotations()


def small(seed=0):
    return generate_demo_annotations(
        num_train_per_class=3, num_test_per_class=2, seed=seed)


def test_classes_and_groups():
    assert isinstance(DEMO_CLASSES, tuple)
    assert len(set(DEMO_CLASSES)) == NUM_CLASSES == 12
    grouped = sorted(c for group in DEMO_GROUPS for c in group)
    assert grouped == list(range(NUM_CLASSES))
    assert all(len(group) == 3 for group in DEMO_GROUPS)
    assert set(TWO_PERSON_CLASSES) in [set(g) for g in DEMO_GROUPS]


def test_format(demo):
    assert set(demo) == {'split', 'annotations'}
    assert set(demo['split']) == {'xsub_train', 'xsub_val'}
    keys = {
        'frame_dir', 'label', 'total_frames', 'keypoint', 'img_shape',
        'original_shape'
    }
    for anno in demo['annotations']:
        assert set(anno) == keys
        assert isinstance(anno['frame_dir'], str)
        assert isinstance(anno['label'], int)
        assert 0 <= anno['label'] < NUM_CLASSES
        kp = anno['keypoint']
        assert isinstance(kp, np.ndarray) and kp.dtype == np.float32
        assert kp.ndim == 4 and kp.shape[2:] == (25, 3)
        num_persons = 2 if anno['label'] in TWO_PERSON_CLASSES else 1
        assert kp.shape[0] == num_persons
        assert isinstance(anno['total_frames'], int)
        assert kp.shape[1] == anno['total_frames']
        assert 30 <= anno['total_frames'] <= 60
        assert anno['img_shape'] == anno['original_shape'] == (1080, 1920)
        assert np.isfinite(kp).all()


def test_plausible_bodies(demo):
    kp = np.concatenate(
        [a['keypoint'].reshape(-1, 25, 3) for a in demo['annotations']])
    # Depth around 3 m, bodies within a few metres of the camera axis.
    assert 2.0 < kp[..., 2].mean() < 4.0
    assert np.abs(kp[..., 0]).max() < 2.5
    # Head above spine base, spine base above the feet (y is up).
    head, base, feet = kp[:, 3, 1], kp[:, 0, 1], kp[:, [15, 19], 1].max(1)
    assert (head > base).mean() > 0.99
    assert (base > feet).mean() > 0.99
    # Bone lengths stay those of an adult (thigh: hip to knee).
    thigh = np.linalg.norm(kp[:, 13] - kp[:, 12], axis=-1)
    assert 0.3 < np.median(thigh) < 0.55


def test_class_balance_and_splits(demo):
    labels = {a['frame_dir']: a['label'] for a in demo['annotations']}
    assert len(labels) == len(demo['annotations'])  # frame_dir is unique
    train, val = demo['split']['xsub_train'], demo['split']['xsub_val']
    assert not set(train) & set(val)
    assert set(train) | set(val) == set(labels)
    for names, per_class in ((train, 30), (val, 30)):
        counts = np.bincount([labels[n] for n in names],
                             minlength=NUM_CLASSES)
        assert (counts == per_class).all()


def test_custom_sizes():
    data = small()
    assert len(data['split']['xsub_train']) == 3 * NUM_CLASSES
    assert len(data['split']['xsub_val']) == 2 * NUM_CLASSES
    assert len(data['annotations']) == 5 * NUM_CLASSES


def test_determinism():
    a, b, c = small(seed=0), small(seed=0), small(seed=1)
    assert a['split'] == b['split']
    for x, y in zip(a['annotations'], b['annotations']):
        assert x['frame_dir'] == y['frame_dir']
        assert x['label'] == y['label']
        np.testing.assert_array_equal(x['keypoint'], y['keypoint'])
    assert any(
        x['keypoint'].shape != z['keypoint'].shape
        or not np.array_equal(x['keypoint'], z['keypoint'])
        for x, z in zip(a['annotations'], c['annotations']))


def _clip_feature(kp):
    """A coarse, rotation- and mirror-invariant motion descriptor.

    Per person: how much the spine base moves, and how much each joint moves
    relative to it, with left/right joint pairs sorted so that left and
    right arm motions look alike; plus the mean distance between the two
    persons (0 for one person).
    """
    left = [4, 5, 6, 7, 21, 22, 12, 13, 14, 15]
    right = [8, 9, 10, 11, 23, 24, 16, 17, 18, 19]
    spine = [0, 1, 2, 3, 20]
    root_motion = np.linalg.norm(kp[:, :, 0].std(axis=1), axis=-1)
    amp = np.linalg.norm((kp - kp[:, :, :1]).std(axis=1), axis=-1)
    per_person = np.concatenate([
        root_motion[:, None], amp[:, spine],
        np.maximum(amp[:, left], amp[:, right]),
        np.minimum(amp[:, left], amp[:, right])
    ], axis=1)
    feature = np.zeros((2, per_person.shape[1]))
    feature[:len(kp)] = per_person
    gap = 0.0
    if len(kp) == 2:
        gap = np.linalg.norm(kp[1, :, 0] - kp[0, :, 0], axis=-1).mean()
    return np.append(feature.ravel(), gap)


def test_within_group_classes_are_closer(demo):
    features = np.stack([_clip_feature(a['keypoint'])
                         for a in demo['annotations']])
    labels = np.array([a['label'] for a in demo['annotations']])
    centroids = np.stack(
        [features[labels == c].mean(0) for c in range(NUM_CLASSES)])
    dist = np.linalg.norm(centroids[:, None] - centroids[None], axis=-1)
    group = np.empty(NUM_CLASSES, dtype=int)
    for g, members in enumerate(DEMO_GROUPS):
        group[list(members)] = g
    for c in range(NUM_CLASSES):
        siblings = (group == group[c]) & (np.arange(NUM_CLASSES) != c)
        others = group != group[c]
        assert dist[c, siblings].mean() < dist[c, others].mean(), (
            DEMO_CLASSES[c], dist[c])


def test_within_group_differences(demo):
    """The classes of a group differ in the way their names say."""
    clips = {c: [] for c in range(NUM_CLASSES)}
    for anno in demo['annotations']:
        clips[anno['label']].append(anno['keypoint'][0])

    def mean_over(label, fn):
        return np.mean([fn(kp) for kp in clips[label]])

    # Both arms: high above the head when raised, at shoulder height when
    # spread or raised forwards; forwards, the hands come towards the camera
    # (the person faces it, turned by at most 30 degrees).
    def hand_height(kp):  # the higher hand, over the shoulder centre
        return (kp[:, [7, 11], 1] - kp[:, 20:21, 1]).max()

    def hand_forward(kp):  # how far the hands come out in front (-z)
        return -(kp[:, [7, 11], 2] - kp[:, 20:21, 2]).mean(-1).min()

    assert mean_over(0, hand_height) > mean_over(2, hand_height) + 0.3
    assert mean_over(0, hand_height) > mean_over(1, hand_height) + 0.3
    assert mean_over(1, hand_forward) > mean_over(2, hand_forward) + 0.3

    # Wave: the right hand travels further (relative to the elbow) when
    # waving fast or widely than when waving slowly.
    def hand_path(kp):
        rel = kp[:, 23] - kp[:, 9]
        smooth = np.stack([
            np.convolve(rel[:, i], np.ones(5) / 5, mode='valid')
            for i in range(3)
        ], axis=1)
        return np.linalg.norm(np.diff(smooth, axis=0), axis=1).sum()

    assert mean_over(4, hand_path) > 1.1 * mean_over(3, hand_path)
    assert mean_over(5, hand_path) > 1.1 * mean_over(3, hand_path)

    # Legs: raising the knee bends the right knee far more than kicking.
    def max_knee_bend(kp):
        thigh, shank = kp[:, 17] - kp[:, 16], kp[:, 18] - kp[:, 17]
        cos = (thigh * shank).sum(-1) / (
            np.linalg.norm(thigh, axis=-1) * np.linalg.norm(shank, axis=-1))
        return np.degrees(np.arccos(np.clip(cos, -1, 1))).max()

    assert mean_over(7, max_knee_bend) > mean_over(6, max_knee_bend) + 40
    assert mean_over(7, max_knee_bend) > mean_over(8, max_knee_bend) + 40


def test_write_and_no_overwrite(tmp_path):
    out = tmp_path / 'nested' / 'dir' / 'demo.pkl'
    data = write_demo_dataset(
        str(out), seed=3, num_train_per_class=2, num_test_per_class=1)
    assert out.is_file()
    with open(out, 'rb') as f:
        loaded = pickle.load(f)
    assert loaded['split'] == data['split']
    np.testing.assert_array_equal(loaded['annotations'][0]['keypoint'],
                                  data['annotations'][0]['keypoint'])

    before = out.read_bytes()
    with pytest.raises(FileExistsError, match='overwrite'):
        write_demo_dataset(str(out), num_train_per_class=1,
                           num_test_per_class=1)
    assert out.read_bytes() == before

    write_demo_dataset(
        str(out), seed=4, overwrite=True, num_train_per_class=1,
        num_test_per_class=1)
    with open(out, 'rb') as f:
        assert len(pickle.load(f)['annotations']) == 2 * NUM_CLASSES


def test_loads_with_mmengine(tmp_path):
    from mmengine.fileio import load
    out = tmp_path / 'demo.pkl'
    write_demo_dataset(str(out), num_train_per_class=1, num_test_per_class=1)
    data = load(str(out))
    assert len(data['annotations']) == 2 * NUM_CLASSES


def test_small():
    data = generate_demo_annotations()
    size_mb = len(pickle.dumps(data, protocol=pickle.HIGHEST_PROTOCOL)) / 2**20
    assert size_mb < 16
