import copy

import numpy as np
import pytest
from mmengine.dataset import Compose

from aclnet_plugin.datasets import (Coco17To20, LimbDrop, RandomRot,
                                    SkeletonFeat, SkeletonFlip,
                                    SkeletonLayout, get_layout)
from mmaction.datasets.transforms import GenSkeFeat
from mmaction.registry import TRANSFORMS

NTU = get_layout('nturgb+d')


def ntu_clip(seed=0, M=2, T=6, V=25, C=3, pad=True):
    """A random float32 clip; with ``pad``, the last frames of person 1
    are zero (a padded person)."""
    rng = np.random.RandomState(seed)
    keypoint = rng.randn(M, T, V, C).astype(np.float32)
    if pad and M > 1:
        keypoint[1, T // 2:] = 0
    return keypoint


def coco_clip(seed=0, M=2, T=5, V=17):
    rng = np.random.RandomState(seed)
    keypoint = rng.rand(M, T, V, 2).astype(np.float32) * 2 - 1
    score = rng.rand(M, T, V).astype(np.float32)
    return keypoint, score


def pairwise(keypoint):
    diff = keypoint[:, :, :, None] - keypoint[:, :, None]
    return np.linalg.norm(diff, axis=-1)


# ---------------------------------------------------------------- RandomRot
def test_random_rot_keeps_lengths_and_zeros():
    keypoint = ntu_clip()
    np.random.seed(0)
    out = RandomRot(theta=0.5)(dict(keypoint=keypoint.copy()))['keypoint']
    assert out.dtype == np.float32 and out.shape == keypoint.shape
    assert not np.allclose(out, keypoint)
    np.testing.assert_allclose(pairwise(out), pairwise(keypoint), atol=1e-5)
    bones = np.array(NTU.bones)
    np.testing.assert_allclose(
        np.linalg.norm(out[:, :, bones[:, 0]] - out[:, :, bones[:, 1]],
                       axis=-1),
        np.linalg.norm(
            keypoint[:, :, bones[:, 0]] - keypoint[:, :, bones[:, 1]],
            axis=-1),
        atol=1e-5)
    assert (out[1, 3:] == 0).all()  # the padded frames stay zero


def test_random_rot_known_angles(monkeypatch):
    calls = []

    def uniform(low, high, size):
        calls.append((low, high, size))
        return np.array([np.pi / 2, 0.0, np.pi / 2])

    monkeypatch.setattr(np.random, 'uniform', uniform)
    keypoint = np.zeros((1, 1, 3, 3), np.float32)
    keypoint[0, 0] = np.eye(3)  # joints on the x, y and z axes
    out = RandomRot(theta=2.0)(dict(keypoint=keypoint))['keypoint']
    assert calls == [(-2.0, 2.0, 3)]
    # about x by 90 deg, then about z by 90 deg:
    # x -> x -> y;  y -> z -> z;  z -> -y -> x
    expected = np.array([[0, 1, 0], [0, 0, 1], [1, 0, 0]], np.float32)
    np.testing.assert_allclose(out[0, 0], expected, atol=1e-6)


def test_random_rot_matrix_single_axes():
    c, s = np.cos(0.3), np.sin(0.3)
    np.testing.assert_allclose(
        RandomRot.rotation_matrix([0, 0, 0.3]),
        [[c, -s, 0], [s, c, 0], [0, 0, 1]])
    np.testing.assert_allclose(
        RandomRot.rotation_matrix([0, 0.3, 0]),
        [[c, 0, s], [0, 1, 0], [-s, 0, c]])
    np.testing.assert_allclose(
        RandomRot.rotation_matrix([0.3]), [[c, -s], [s, c]])


def test_random_rot_2d_keeps_score(monkeypatch):
    monkeypatch.setattr(np.random, 'uniform',
                        lambda low, high, size: np.array([np.pi / 2]))
    keypoint = np.array([[[[1, 0, 0.7], [0, 2, 0.2]]]], np.float32)
    out = RandomRot(num_coords=2)(dict(keypoint=keypoint))['keypoint']
    np.testing.assert_allclose(
        out[0, 0], [[0, 1, 0.7], [-2, 0, 0.2]], atol=1e-6)


def test_random_rot_p_theta_and_seed():
    keypoint = ntu_clip()
    out = RandomRot(p=0)(dict(keypoint=keypoint))['keypoint']
    assert out is keypoint
    out = RandomRot(theta=0)(dict(keypoint=keypoint))['keypoint']
    np.testing.assert_array_equal(out, keypoint)
    outs = []
    for _ in range(2):
        np.random.seed(3)
        outs.append(RandomRot()(dict(keypoint=keypoint))['keypoint'])
    np.testing.assert_array_equal(outs[0], outs[1])
    # the input array is not modified in place
    np.testing.assert_array_equal(keypoint, ntu_clip())


def test_random_rot_errors():
    with pytest.raises(ValueError, match='theta'):
        RandomRot(theta=-0.1)
    with pytest.raises(ValueError, match='p must'):
        RandomRot(p=1.5)
    with pytest.raises(ValueError, match='num_coords'):
        RandomRot(num_coords=4)
    with pytest.raises(ValueError, match='channels'):
        RandomRot()(dict(keypoint=np.zeros((1, 2, 17, 2), np.float32)))


# ------------------------------------------------------------- SkeletonFlip
def test_flip_swaps_pair_and_negates_x():
    keypoint = ntu_clip()
    out = SkeletonFlip(p=1)(dict(keypoint=keypoint.copy()))['keypoint']
    # 1-based 5 (left shoulder) <-> 9 (right shoulder), x negated
    np.testing.assert_array_equal(out[..., 4, 0], -keypoint[..., 8, 0])
    np.testing.assert_array_equal(out[..., 4, 1:], keypoint[..., 8, 1:])
    np.testing.assert_array_equal(out[..., 8, 0], -keypoint[..., 4, 0])
    np.testing.assert_array_equal(out[..., 8, 1:], keypoint[..., 4, 1:])
    # an unpaired joint (spine base) keeps its index
    np.testing.assert_array_equal(out[..., 0, 0], -keypoint[..., 0, 0])
    assert (out[1, 3:] == 0).all()


def test_flip_twice_is_identity():
    keypoint = ntu_clip()
    flip = SkeletonFlip(p=1)
    out = flip(flip(dict(keypoint=keypoint.copy())))['keypoint']
    np.testing.assert_array_equal(out, keypoint)


def test_flip_2d_with_score():
    keypoint, score = coco_clip()
    results = SkeletonFlip(layout='coco', p=1)(
        dict(keypoint=keypoint.copy(), keypoint_score=score.copy()))
    # 1 left eye <-> 2 right eye
    np.testing.assert_array_equal(results['keypoint'][..., 1, 0],
                                  -keypoint[..., 2, 0])
    np.testing.assert_array_equal(results['keypoint'][..., 1, 1],
                                  keypoint[..., 2, 1])
    np.testing.assert_array_equal(results['keypoint_score'][..., 1],
                                  score[..., 2])
    np.testing.assert_array_equal(results['keypoint_score'][..., 0],
                                  score[..., 0])


def test_flip_p_and_axis():
    keypoint = ntu_clip()
    assert SkeletonFlip(p=0)(dict(keypoint=keypoint))['keypoint'] is keypoint
    out = SkeletonFlip(p=1, axis=2)(dict(keypoint=keypoint))['keypoint']
    np.testing.assert_array_equal(out[..., 4, 2], -keypoint[..., 8, 2])
    np.testing.assert_array_equal(out[..., 4, 0], keypoint[..., 8, 0])
    np.random.seed(0)
    flipped = [
        SkeletonFlip(p=0.5)(dict(keypoint=keypoint))['keypoint'] is not
        keypoint for _ in range(200)
    ]
    assert 60 < sum(flipped) < 140


def test_flip_errors():
    with pytest.raises(ValueError, match='layout'):
        SkeletonFlip(layout='ntu')
    with pytest.raises(ValueError, match='p must'):
        SkeletonFlip(p=-0.1)
    with pytest.raises(ValueError, match='axis'):
        SkeletonFlip(axis=-1)
    with pytest.raises(ValueError, match='25 joints'):
        SkeletonFlip(p=1)(dict(keypoint=np.zeros((1, 2, 17, 3))))


# ----------------------------------------------------------------- LimbDrop
def test_limb_drop_zeroes_exactly_that_limb():
    keypoint, score = coco_clip()
    results = LimbDrop(layout='coco', limbs=['left_arm'], p=1)(
        dict(keypoint=keypoint.copy(), keypoint_score=score.copy()))
    dropped = [5, 7, 9]
    kept = [j for j in range(17) if j not in dropped]
    assert (results['keypoint'][:, :, dropped] == 0).all()
    assert (results['keypoint_score'][:, :, dropped] == 0).all()
    np.testing.assert_array_equal(results['keypoint'][:, :, kept],
                                  keypoint[:, :, kept])
    np.testing.assert_array_equal(results['keypoint_score'][:, :, kept],
                                  score[:, :, kept])
    assert (keypoint[:, :, dropped] != 0).all()  # input not modified


def test_limb_drop_random_choice(monkeypatch):
    keypoint = ntu_clip(pad=False)
    drop = LimbDrop(p=1)
    assert drop.limbs == list(NTU.limbs)
    picks = []

    def randint(high):
        picks.append(high)
        return drop.limbs.index('two_hands')

    monkeypatch.setattr(np.random, 'randint', randint)
    out = drop(dict(keypoint=keypoint.copy()))['keypoint']
    assert picks == [len(NTU.limbs)]
    zero = (out == 0).all(axis=(0, 1, 3))
    assert np.flatnonzero(zero).tolist() == sorted(NTU.limbs['two_hands'])


def test_limb_drop_p_and_seed():
    keypoint = ntu_clip(pad=False)
    assert LimbDrop(p=0)(dict(keypoint=keypoint))['keypoint'] is keypoint
    np.random.seed(0)
    seen = set()
    for _ in range(100):
        out = LimbDrop(p=1)(dict(keypoint=keypoint))['keypoint']
        zero = tuple(np.flatnonzero((out == 0).all(axis=(0, 1, 3))))
        seen.add(zero)
    assert seen == {tuple(sorted(j)) for j in NTU.limbs.values()}


def test_limb_drop_errors():
    with pytest.raises(ValueError, match='layout'):
        LimbDrop(layout='unknown')
    with pytest.raises(ValueError, match='limbs'):
        LimbDrop(limbs=['tail'])
    with pytest.raises(ValueError, match='limbs'):
        LimbDrop(limbs=[])
    with pytest.raises(ValueError, match='p must'):
        LimbDrop(p=2)


# ------------------------------------------------------------- SkeletonFeat
CHAIN = SkeletonLayout(
    name='chain', num_joints=4, parents=(0, 0, 1, 2), left=(), right=(),
    limbs=dict(all=(0, 1, 2, 3)), center=0)
CHAIN_2D = SkeletonLayout(
    name='chain2d', num_joints=4, parents=(0, 0, 1, 2), left=(), right=(),
    limbs=dict(all=(0, 1, 2, 3)), center=0, ndim=2)


def chain_clip():
    # frame 0: joints at x = 0, 1, 4, 9; frame 1: x = 0, 2, 8, 18
    keypoint = np.zeros((1, 2, 4, 3), np.float32)
    keypoint[0, 0, :, 0] = [0, 1, 4, 9]
    keypoint[0, 1, :, 0] = [0, 2, 8, 18]
    keypoint[..., 1] = 1  # a constant y
    return keypoint


def test_k_bone_of_a_chain():
    keypoint = chain_clip()
    out = SkeletonFeat(layout=CHAIN, feats=['k'])(
        dict(keypoint=keypoint))['keypoint']
    # joint minus grandparent (0, 0, 0, 1): 0, 1 - 0, 4 - 0, 9 - 1
    np.testing.assert_array_equal(out[0, 0, :, 0], [0, 1, 4, 8])
    np.testing.assert_array_equal(out[0, 1, :, 0], [0, 2, 8, 16])
    assert (out[..., 1:] == 0).all()
    b = SkeletonFeat(layout=CHAIN, feats=['b'])(
        dict(keypoint=keypoint))['keypoint']
    np.testing.assert_array_equal(b[0, 0, :, 0], [0, 1, 3, 5])


def test_k_bone_motion_of_a_chain():
    out = SkeletonFeat(layout=CHAIN, feats=['km', 'jm', 'bm'])(
        dict(keypoint=chain_clip()))['keypoint']
    assert out.shape == (1, 2, 4, 9)
    np.testing.assert_array_equal(out[0, 0, :, 0], [0, 1, 4, 8])  # km
    np.testing.assert_array_equal(out[0, 0, :, 3], [0, 1, 4, 9])  # jm
    np.testing.assert_array_equal(out[0, 0, :, 6], [0, 1, 3, 5])  # bm
    assert (out[0, 1] == 0).all()  # the last frame


def test_k_bone_2d_score():
    keypoint = chain_clip()
    keypoint[0, 0, :, 2] = [0.2, 0.4, 0.6, 1.0]  # the score channel
    out = SkeletonFeat(layout=CHAIN_2D, feats=['k'])(
        dict(keypoint=keypoint))['keypoint']
    np.testing.assert_array_equal(out[0, 0, :, 0], [0, 1, 4, 8])
    # mean of the joint's and the grandparent's score
    np.testing.assert_allclose(out[0, 0, :, 2], [0.2, 0.3, 0.4, 0.7])


@pytest.mark.parametrize('feats', [['j'], ['b'], ['jm'], ['bm'],
                                   ['j', 'b', 'jm', 'bm'], ['bm', 'j']])
def test_same_as_gen_ske_feat_ntu(feats):
    keypoint = ntu_clip()
    ours = SkeletonFeat(feats=feats)(dict(keypoint=keypoint.copy()))
    theirs = GenSkeFeat(dataset='nturgb+d', feats=feats)(
        dict(keypoint=keypoint.copy()))
    assert ours['keypoint'].dtype == theirs['keypoint'].dtype
    np.testing.assert_array_equal(ours['keypoint'], theirs['keypoint'])


@pytest.mark.parametrize('feats', [['j'], ['b'], ['jm'], ['bm'],
                                   ['j', 'b', 'jm', 'bm']])
@pytest.mark.parametrize('merged', [False, True])
def test_same_as_gen_ske_feat_coco(feats, merged):
    keypoint, score = coco_clip()
    if merged:  # the score already the third channel
        results = dict(keypoint=np.concatenate([keypoint, score[..., None]],
                                               -1))
    else:
        results = dict(keypoint=keypoint, keypoint_score=score)
    ours = SkeletonFeat(layout='coco', feats=feats)(copy.deepcopy(results))
    theirs = GenSkeFeat(dataset='coco', feats=feats)(copy.deepcopy(results))
    assert 'keypoint_score' not in ours
    np.testing.assert_array_equal(ours['keypoint'], theirs['keypoint'])


@pytest.mark.parametrize('name, C', [('nturgb+d', 3), ('coco', 3),
                                     ('coco20', 3), ('nw-ucla', 3)])
def test_all_feats_all_layouts(name, C):
    V = get_layout(name).num_joints
    keypoint = np.random.RandomState(0).randn(2, 4, V, C).astype(np.float32)
    out = SkeletonFeat(layout=name, feats=['j', 'b', 'k', 'jm', 'bm', 'km'])(
        dict(keypoint=keypoint))['keypoint']
    assert out.shape == (2, 4, V, 6 * C) and out.dtype == np.float32
    np.testing.assert_array_equal(out[..., :C], keypoint)
    root = get_layout(name).root
    if get_layout(name).ndim == 3:
        assert (out[:, :, root, C:3 * C] == 0).all()  # b and k of the root


def test_skeleton_feat_axis():
    keypoint = ntu_clip()
    out = SkeletonFeat(feats=['j', 'k'], axis=0)(
        dict(keypoint=keypoint))['keypoint']
    assert out.shape == (4, 6, 25, 3)


def test_skeleton_feat_errors():
    with pytest.raises(ValueError, match='feats'):
        SkeletonFeat(feats=['j', 'x'])
    with pytest.raises(ValueError, match='feats'):
        SkeletonFeat(feats=[])
    with pytest.raises(ValueError, match='layout'):
        SkeletonFeat(layout='openpose')
    keypoint, score = coco_clip(V=25)
    with pytest.raises(ValueError, match='keypoint_score'):
        SkeletonFeat()(dict(keypoint=keypoint, keypoint_score=score))
    with pytest.raises(ValueError, match='17 joints'):
        SkeletonFeat(layout='coco')(dict(keypoint=keypoint))


# --------------------------------------------------------------- Coco17To20
def coco17_example():
    keypoint = np.zeros((1, 1, 17, 2), np.float32)
    score = np.full((1, 1, 17), 0.5, np.float32)
    keypoint[0, 0, 5] = [0, 4]  # left shoulder
    keypoint[0, 0, 6] = [2, 4]  # right shoulder
    keypoint[0, 0, 11] = [0, 0]  # left hip
    keypoint[0, 0, 12] = [4, 2]  # right hip
    score[0, 0, [5, 6, 11, 12]] = [0.8, 0.6, 0.4, 0.2]
    return keypoint, score


def test_coco17_to_20():
    keypoint, score = coco17_example()
    results = Coco17To20()(dict(keypoint=keypoint, keypoint_score=score))
    out = results['keypoint']
    assert 'keypoint_score' not in results
    assert out.shape == (1, 1, 20, 3) and out.dtype == np.float32
    np.testing.assert_array_equal(out[..., :17, :2], keypoint)
    np.testing.assert_array_equal(out[..., :17, 2], score)
    np.testing.assert_allclose(out[0, 0, 17], [2, 1, 0.3])  # hip centre
    np.testing.assert_allclose(out[0, 0, 18], [1, 4, 0.7])  # shoulders
    np.testing.assert_allclose(out[0, 0, 19], [1.5, 2.5, 0.5])  # spine


def test_coco17_to_20_variants():
    keypoint, score = coco17_example()
    merged = np.concatenate([keypoint, score[..., None]], -1)
    expected = Coco17To20()(
        dict(keypoint=keypoint, keypoint_score=score))['keypoint']
    out = Coco17To20()(dict(keypoint=merged))['keypoint']
    np.testing.assert_array_equal(out, expected)
    results = Coco17To20(merge_score=False)(
        dict(keypoint=keypoint, keypoint_score=score))
    np.testing.assert_array_equal(results['keypoint'], expected[..., :2])
    np.testing.assert_array_equal(results['keypoint_score'],
                                  expected[..., 2])
    with pytest.raises(ValueError, match='keypoint_score'):
        Coco17To20()(dict(keypoint=keypoint))
    with pytest.raises(ValueError, match='17'):
        Coco17To20()(dict(keypoint=np.zeros((1, 1, 25, 3))))


# ---------------------------------------------------------------- pipelines
def test_registered_and_no_uniform_sample():
    for name in ('RandomRot', 'SkeletonFlip', 'LimbDrop', 'SkeletonFeat',
                 'Coco17To20'):
        assert TRANSFORMS.get(name).__module__.startswith(
            'aclnet_plugin.datasets.transforms')
    # PySKL's UniformSample is not registered by the plugin
    assert not TRANSFORMS.get('UniformSample').__module__.startswith(
        'aclnet_plugin')


def test_ntu_pipeline_from_config():
    pipeline = Compose([
        TRANSFORMS.build(cfg) for cfg in [
            dict(type='PreNormalize3D'),
            dict(type='RandomRot', theta=0.2),
            dict(type='SkeletonFlip', layout='nturgb+d', p=0.5),
            dict(type='LimbDrop', layout='nturgb+d', p=0.5),
            dict(type='SkeletonFeat', layout='nturgb+d',
                 feats=['j', 'k', 'km']),
            dict(type='UniformSampleFrames', clip_len=8),
            dict(type='PoseDecode'),
            dict(type='FormatGCNInput', num_person=2),
            dict(type='PackActionInputs')
        ]
    ])
    np.random.seed(0)
    results = dict(
        keypoint=ntu_clip(T=20, pad=False), total_frames=20, label=3,
        start_index=0, modality='Pose', frame_dir='S001C001P001R001A001')
    packed = pipeline(results)
    assert tuple(packed['inputs'].shape) == (1, 2, 8, 25, 9)
    assert int(packed['data_samples'].gt_label) == 3


def test_coco_pipeline_from_config():
    pipeline = Compose([
        TRANSFORMS.build(cfg) for cfg in [
            dict(type='Coco17To20'),
            dict(type='PreNormalize2D', img_shape=(2, 2)),
            dict(type='SkeletonFlip', layout='coco20', p=1),
            dict(type='RandomRot', num_coords=2),
            dict(type='SkeletonFeat', layout='coco20', feats=['j', 'b']),
            dict(type='UniformSampleFrames', clip_len=4),
            dict(type='PoseDecode'),
            dict(type='FormatGCNInput', num_person=2),
            dict(type='PackActionInputs')
        ]
    ])
    keypoint, score = coco_clip(M=1, T=10)
    np.random.seed(0)
    packed = pipeline(
        dict(keypoint=keypoint + 1, keypoint_score=score, total_frames=10,
             label=1, start_index=0, modality='Pose', img_shape=(2, 2)))
    assert tuple(packed['inputs'].shape) == (1, 2, 4, 20, 6)
    assert (packed['inputs'][0, 1] == 0).all()  # the padded person


class TestRandomScale:

    def test_hand_worked_factors(self, monkeypatch):
        from aclnet_plugin.datasets.transforms import RandomScale
        keypoint = np.array([[[[1., 2., 3.], [0., 0., 0.]]]], np.float32)
        monkeypatch.setattr(np.random, 'rand', lambda: 0.0)
        monkeypatch.setattr(np.random, 'uniform',
                            lambda low, high, size: np.array([0.9, 1.1, 1.0]))
        out = RandomScale(scale=0.1)(dict(keypoint=keypoint))['keypoint']
        np.testing.assert_allclose(out[0, 0, 0], [0.9, 2.2, 3.0], rtol=1e-6)
        assert (out[0, 0, 1] == 0).all()  # padded joints stay zero
        assert keypoint[0, 0, 0, 0] == 1  # input untouched

    def test_score_channel_kept_and_probability(self):
        from aclnet_plugin.datasets.transforms import RandomScale
        keypoint = np.random.rand(1, 4, 17, 3).astype(np.float32)
        out = RandomScale(0.5, num_coords=2)(dict(keypoint=keypoint))
        np.testing.assert_array_equal(out['keypoint'][..., 2],
                                      keypoint[..., 2])
        same = RandomScale(0.5, p=0.)(dict(keypoint=keypoint))['keypoint']
        np.testing.assert_array_equal(same, keypoint)

    @pytest.mark.parametrize('kwargs, name', [
        (dict(scale=1.0), 'scale'), (dict(scale=-0.1), 'scale'),
        (dict(p=2), 'p'), (dict(num_coords=4), 'num_coords')])
    def test_bad_arguments(self, kwargs, name):
        from aclnet_plugin.datasets.transforms import RandomScale
        with pytest.raises(ValueError, match=name):
            RandomScale(**kwargs)


def test_nw_ucla_flip_and_limb_drop():
    """The 20-joint Kinect v1 layout works with flips and limb drop."""
    keypoint = np.random.RandomState(1).randn(1, 3, 20, 3).astype(np.float32)
    flipped = SkeletonFlip(layout='nw-ucla', p=1.0)(
        dict(keypoint=keypoint.copy()))['keypoint']
    # left shoulder (0-based 4) <-> right shoulder (8), x mirrored
    np.testing.assert_array_equal(flipped[..., 8, 1:], keypoint[..., 4, 1:])
    np.testing.assert_array_equal(flipped[..., 8, 0], -keypoint[..., 4, 0])
    np.testing.assert_array_equal(flipped[..., 1, 0], -keypoint[..., 1, 0])
    dropped = LimbDrop(layout='nw-ucla', limbs=['left_arm'], p=1.0)(
        dict(keypoint=keypoint.copy()))['keypoint']
    left_arm = list(get_layout('nw-ucla').limbs['left_arm'])
    assert set(range(4, 8)) <= set(left_arm)
    assert (dropped[:, :, left_arm] == 0).all()
    others = [j for j in range(20) if j not in left_arm]
    np.testing.assert_array_equal(dropped[:, :, others],
                                  keypoint[:, :, others])


def test_flip_swap_only_and_refused_without_pairs():
    """axis=None swaps the left/right joints and negates nothing; a layout
    with no left/right pairs (one hand) refuses any flip."""
    rng = np.random.default_rng(3)
    keypoint = rng.normal(size=(2, 4, 25, 3)).astype(np.float32)
    out = SkeletonFlip(p=1, axis=None)(dict(keypoint=keypoint.copy()))
    index = list(range(25))
    for i, j in zip(NTU.left, NTU.right):
        index[i], index[j] = j, i
    np.testing.assert_array_equal(out['keypoint'], keypoint[:, :, index])
    for axis in (None, 0):
        with pytest.raises(ValueError, match='no left/right'):
            SkeletonFlip(layout='fpha-hand', axis=axis)
