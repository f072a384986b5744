"""FastPreNormalize3D against mmaction2's own PreNormalize3D.

Every comparison runs both transforms on copies of one input and asks for
the same keys, the same types, dtypes and shapes, and values within 1e-5.
The real clips come from NW-UCLA in ``../shared`` (skipped when absent).
"""
import copy
import itertools
import json
import os.path as osp
import tarfile

import numpy as np
import pytest

from aclnet_plugin.datasets.transforms.pre_normalize_3d import \
    FastPreNormalize3D
from conftest import find_shared
from mmaction.datasets.transforms import PreNormalize3D
from mmaction.registry import TRANSFORMS

# every combination mmaction2 1.2.0 runs (align_center=False crashes there)
SUPPORTED = [
    dict(align_spine=spine, align_shoulder=shoulder)
    for spine, shoulder in itertools.product((True, False), repeat=2)
]
NW_UCLA = find_shared('nw_ucla', 'all_sqe.tar.gz')
SINGLE_FRAME_CLIP = 'a02_s09_e04_v02'


def run_both(results, **kwargs):
    """(mmaction's output, ours) on deep copies of ``results``."""
    reference = PreNormalize3D(**kwargs)(copy.deepcopy(results))
    ours = FastPreNormalize3D(**kwargs)(copy.deepcopy(results))
    return reference, ours


def assert_same(reference, ours):
    assert sorted(ours) == sorted(reference)
    for key, expected in reference.items():
        actual = ours[key]
        assert type(actual) is type(expected), key
        if isinstance(expected, np.ndarray):
            assert actual.dtype == expected.dtype, key
            assert actual.shape == expected.shape, key
            np.testing.assert_allclose(
                actual, expected, rtol=1e-5, atol=1e-5, err_msg=key)
        else:
            assert actual == expected, key


def check_against_mmaction(keypoint, **kwargs):
    results = dict(keypoint=keypoint, frame_dir='clip')
    reference, ours = run_both(results, **kwargs)
    assert_same(reference, ours)
    return reference, ours


def random_clip(seed, M, T, V=25, dtype=np.float32):
    """A float clip of (M, T, V, 3) in metres with the gaps real data has:
    zero frames, zero joints, sometimes a zero person, and frames whose
    values lie on either side of ``np.isclose``'s 1e-8 tolerance."""
    rng = np.random.RandomState(seed)
    keypoint = rng.randn(M, T, V, 3) + [0., 1., 3.]
    keypoint[rng.rand(M, T) < 0.3] = 0
    keypoint[rng.rand(M, T, V) < 0.05] = 0
    near_zero = rng.rand(M, T) < 0.1
    keypoint[near_zero] = rng.choice([5e-9, -1e-8, 2e-8, -3e-8],
                                     size=(near_zero.sum(), V, 3))
    if M == 2 and rng.rand() < 0.3:
        keypoint[rng.randint(2)] = 0
    if not np.abs(keypoint[:, 0]).max() > 1e-8:
        keypoint[0, 0] = rng.randn(V, 3)  # some frame 0 to centre on
    return keypoint.astype(dtype)


# ------------------------------------------------------- against mmaction
@pytest.mark.parametrize('seed', range(4))
@pytest.mark.parametrize('M', [1, 2])
def test_random_clips_match_mmaction(seed, M):
    T = [1, 300, 2, 57][seed]
    keypoint = random_clip(seed, M, T)
    for kwargs in SUPPORTED:
        check_against_mmaction(keypoint, **kwargs)


@pytest.mark.parametrize('seed', range(3))
def test_random_clips_of_other_layouts_and_dtypes_match(seed):
    rng = np.random.RandomState(100 + seed)
    T = rng.randint(1, 301)
    # 20 joints: mmaction centres on the last joint
    check_against_mmaction(random_clip(seed, 2, T, V=20))
    check_against_mmaction(random_clip(seed, 2, T, dtype=np.float64))
    check_against_mmaction(
        random_clip(seed, 1, T, V=20), zaxis=[0, 2], xaxis=[4, 8])


def test_total_frames_and_other_keys_match():
    keypoint = random_clip(7, 2, 40)
    results = dict(keypoint=keypoint, total_frames=40, frame_dir='clip',
                   label=3, keypoint_score=np.ones((2, 40, 25), np.float32))
    reference, ours = run_both(results)
    assert_same(reference, ours)
    assert ours['total_frames'] < 40
    # neither cuts nor swaps the scores (documented)
    assert ours['keypoint_score'].shape == (2, 40, 25)


@pytest.fixture(scope='module')
def nw_ucla_clips():
    """A few real clips, streamed from the archive: {name: (1, T, 20, 3)}."""
    if NW_UCLA is None:
        pytest.skip('NW-UCLA not found (../shared or NW_UCLA_ROOT)')
    clips = {}
    with tarfile.open(NW_UCLA, 'r|*') as tar:
        for member in tar:
            name = osp.splitext(osp.basename(member.name))[0]
            if not member.name.endswith('.json') or (
                    len(clips) >= 6 and name != SINGLE_FRAME_CLIP):
                continue
            skeletons = json.load(tar.extractfile(member))['skeletons']
            clips[name] = np.asarray(skeletons, np.float32)[None]
            if SINGLE_FRAME_CLIP in clips:
                break
    assert clips[SINGLE_FRAME_CLIP].shape == (1, 1, 20, 3)
    return clips


def test_real_nw_ucla_clips_match_mmaction(nw_ucla_clips):
    for keypoint in nw_ucla_clips.values():
        for kwargs in SUPPORTED:
            check_against_mmaction(keypoint, **kwargs)


def test_real_nw_ucla_centred_on_the_spine(nw_ucla_clips):
    """center_joint=1 differs from mmaction (last joint) by a translation:
    the rotation only sees joint differences."""
    for keypoint in nw_ucla_clips.values():
        reference, _ = run_both(dict(keypoint=keypoint))
        ours = FastPreNormalize3D(center_joint=1)(dict(keypoint=keypoint))
        expected = reference['keypoint'] - reference['keypoint'][0, 0, 1]
        np.testing.assert_allclose(ours['keypoint'], expected, atol=1e-5)
        np.testing.assert_array_equal(ours['body_center'], keypoint[0, 0, 1])
        np.testing.assert_array_equal(ours['keypoint'][0, 0, 1], 0)


# ------------------------------------------------------------ edge cases
def base_clip(M=2, T=8, seed=0):
    rng = np.random.RandomState(seed)
    return (rng.randn(M, T, 25, 3) + [0., 1., 3.]).astype(np.float32)


def test_all_zero_second_person():
    keypoint = base_clip()
    keypoint[1] = 0
    _, ours = check_against_mmaction(keypoint)
    assert ours['keypoint'].shape == (2, 8, 25, 3)
    assert not ours['keypoint'][1].any()  # padding stays zero


@pytest.mark.parametrize('values', ['zeros', 'cancelling', 'no frames'])
def test_clip_summing_to_zero_is_returned_untouched(values):
    keypoint = np.zeros((2, 0 if values == 'no frames' else 5, 25, 3),
                        np.float32)
    if values == 'cancelling':  # not empty, but mmaction tests the sum
        keypoint[0, 2, 3] = [1., -2., 1.]
    for transform in (PreNormalize3D(), FastPreNormalize3D()):
        results = dict(keypoint=keypoint)
        out = transform(results)
        assert out is results and out['keypoint'] is keypoint
        assert sorted(out) == ['keypoint']


def test_single_frame():
    _, ours = check_against_mmaction(base_clip(T=1))
    assert ours['total_frames'] == 1


def test_zero_frames_in_the_middle_are_dropped():
    keypoint = base_clip(T=10)
    keypoint[:, 3:6] = 0
    keypoint[1, 8] = 0  # person 1 only: the frame stays
    _, ours = check_against_mmaction(keypoint)
    assert ours['total_frames'] == 7
    assert not ours['keypoint'][1, 5].any()


def test_frames_of_the_other_person_only_are_dropped():
    keypoint = base_clip(T=10)
    keypoint[0, 7:] = 0  # person 1 alone in the last three frames
    keypoint[1, :4] = 0  # ... and with fewer frames: no swap
    _, ours = check_against_mmaction(keypoint)
    assert ours['total_frames'] == 7
    assert not ours['keypoint'][1, :4].any()


@pytest.mark.parametrize('valid0, valid1, swapped',
                         [(4, 6, True), (5, 5, False), (6, 4, False)])
def test_persons_swap_when_the_second_has_more_frames(valid0, valid1,
                                                      swapped):
    keypoint = base_clip(T=6)
    keypoint[1] += 10.  # tell the persons apart after centring
    keypoint[0, valid0:] = 0
    keypoint[1, :6 - valid1] = 0
    _, ours = check_against_mmaction(keypoint)
    main = keypoint[1, 6 - valid1] if swapped else keypoint[0, 0]
    np.testing.assert_array_equal(ours['body_center'], main[1])
    assert ours['total_frames'] == max(valid0, valid1)


def test_frames_within_isclose_tolerance_count_as_empty():
    keypoint = base_clip(M=1, T=6)
    keypoint[0, 1] = 1e-8     # |x| <= 1e-8: empty, dropped
    keypoint[0, 2] = -5e-9    # empty, dropped
    keypoint[0, 3] = 2e-8     # kept (and centred: it is not exactly 0)
    keypoint[0, 4] = 0
    keypoint[0, 4, 0, 0] = np.nan  # NaN is not close to 0: kept
    _, ours = check_against_mmaction(keypoint)
    assert ours['total_frames'] == 4
    assert np.isnan(ours['keypoint'][0, 2, 0, 0])


def test_clip_only_within_tolerance_raises():
    keypoint = np.full((1, 3, 25, 3), 1e-9, np.float32)
    with pytest.raises(IndexError):  # mmaction indexes with an empty list
        PreNormalize3D()(dict(keypoint=keypoint.copy()))
    with pytest.raises(ValueError, match="'tiny'.*keypoint"):
        FastPreNormalize3D()(dict(keypoint=keypoint, frame_dir='tiny'))


def spine_clip(spine, shoulder=(0.4, 0., 0.)):
    """Person 0, frame 0 with joint 1 - joint 0 = ``spine`` and
    joint 8 - joint 4 = ``shoulder``."""
    keypoint = base_clip(M=2, T=4, seed=3)
    keypoint[0, 0, 1] = keypoint[0, 0, 0] + np.float32(spine)
    keypoint[0, 0, 8] = keypoint[0, 0, 4] + np.float32(shoulder)
    return keypoint


# a zero vector must not reach 0 / 0 (mmaction returns before it)
@pytest.mark.filterwarnings('error::RuntimeWarning')
@pytest.mark.parametrize(
    'spine',
    [
        (0., 0., 0.5),  # parallel to z: no z rotation
        (0., 0., -0.5),  # antiparallel: cross product 0, not flipped
        (0., 0., 0.),  # zero vector
        (1e-7, 0., 0.5),  # cross product below 1e-6: no rotation
        (1e-3, -5e-4, 0.8),  # nearly parallel: float32 rounding matters
        (0.1, 0.5, 0.1),
    ])
def test_degenerate_spines_match(spine):
    for kwargs in SUPPORTED:
        check_against_mmaction(spine_clip(spine), **kwargs)


@pytest.mark.filterwarnings('error::RuntimeWarning')
@pytest.mark.parametrize('shoulder', [(0.3, 0., 0.), (-0.3, 0., 0.),
                                      (0., 0., 0.), (0.3, 2e-4, -1e-4)])
def test_degenerate_shoulders_match(shoulder):
    for kwargs in SUPPORTED:
        check_against_mmaction(spine_clip((0.1, 0.5, 0.1), shoulder),
                               **kwargs)


def test_rotation_by_hand():
    """Spine along +y, shoulders along +x: the z alignment is a quarter turn
    about +x (y -> z, z -> -y); the shoulders then already lie on x."""
    keypoint = np.zeros((1, 1, 25, 3), np.float32)
    keypoint[0, 0, 1] = [0., 1., 0.]  # centre joint: to the origin
    keypoint[0, 0, 0] = [0., .5, 0.]  # hip: spine along +y
    keypoint[0, 0, 8] = [.5, 1., 0.]
    keypoint[0, 0, 4] = [-.5, 1., 0.]
    keypoint[0, 0, 3] = [0., 1., 1.]  # 1 m in front of the spine
    # joint 2 is exactly zero (missing) and stays zero
    out = FastPreNormalize3D()(dict(keypoint=keypoint))['keypoint'][0, 0]
    np.testing.assert_allclose(out[0], [0., 0., -.5], atol=1e-12)
    np.testing.assert_allclose(out[1], [0., 0., 0.], atol=1e-12)
    np.testing.assert_allclose(out[2], [0., 0., 0.], atol=1e-12)
    np.testing.assert_allclose(out[3], [0., -1., 0.], atol=1e-12)
    np.testing.assert_allclose(out[8], [.5, 0., 0.], atol=1e-12)
    np.testing.assert_allclose(out[4], [-.5, 0., 0.], atol=1e-12)


def test_input_not_modified():
    keypoint = base_clip()
    keypoint[1, 2:4] = 0
    before = keypoint.copy()
    out = FastPreNormalize3D(align_spine=False, align_shoulder=False,
                             align_center=False)(dict(keypoint=keypoint))
    np.testing.assert_array_equal(keypoint, before)
    assert not np.shares_memory(out['keypoint'], keypoint)
    FastPreNormalize3D()(dict(keypoint=keypoint))
    np.testing.assert_array_equal(keypoint, before)


# ------------------------------------------- options mmaction does not have
def cut_clip():
    """20 joints, one zero frame and one zero joint; kept frames 0, 2, 3."""
    keypoint = base_clip(M=2, T=4, seed=5)[..., :20, :]
    keypoint[:, 1] = 0
    keypoint[0, 2, 7] = 0
    keypoint[1, 3] = 0
    return keypoint


def test_center_joint_by_hand():
    keypoint = cut_clip()
    out = FastPreNormalize3D(
        align_spine=False, align_shoulder=False, center_joint=1)(
            dict(keypoint=keypoint))
    kept = keypoint[:, [0, 2, 3]]
    present = (kept != 0).any(-1, keepdims=True)
    expected = np.where(present, kept - keypoint[0, 0, 1], 0)
    assert out['keypoint'].dtype == np.float32
    np.testing.assert_allclose(out['keypoint'], expected, atol=1e-6)
    np.testing.assert_array_equal(out['body_center'], keypoint[0, 0, 1])
    assert out['total_frames'] == 3


def test_mmaction_centres_other_layouts_on_the_last_joint():
    keypoint = cut_clip()
    reference = PreNormalize3D(align_spine=False, align_shoulder=False)(
        dict(keypoint=keypoint.copy()))
    np.testing.assert_array_equal(reference['body_center'],
                                  keypoint[0, 0, -1])
    assert not reference['keypoint'][0, 0, -1].any()


def test_center_joint_with_rotation_is_a_translation_of_mmaction():
    keypoint = cut_clip()
    reference, _ = run_both(dict(keypoint=keypoint))
    ours = FastPreNormalize3D(center_joint=1)(dict(keypoint=keypoint))
    present = (keypoint[:, [0, 2, 3]] != 0).any(-1, keepdims=True)
    expected = (reference['keypoint'] -
                reference['keypoint'][0, 0, 1]) * present
    np.testing.assert_allclose(ours['keypoint'], expected, atol=1e-5)


def test_align_center_false_crashes_mmaction():
    keypoint = base_clip()
    with pytest.raises(UnboundLocalError):
        PreNormalize3D(align_center=False)(dict(keypoint=keypoint))


def test_align_center_false_without_rotation_only_cuts():
    keypoint = cut_clip()
    out = FastPreNormalize3D(
        align_center=False, align_spine=False, align_shoulder=False)(
            dict(keypoint=keypoint, total_frames=4))
    np.testing.assert_array_equal(out['keypoint'], keypoint[:, [0, 2, 3]])
    assert out['keypoint'].dtype == np.float32
    np.testing.assert_array_equal(out['body_center'],
                                  np.zeros(3, np.float32))
    assert out['body_center'].dtype == np.float32
    assert out['total_frames'] == 3


def test_align_center_false_rotates_about_the_origin():
    """Uncentred, the rotation is mmaction's (it sees only differences):
    joint differences match its output and norms are kept."""
    keypoint = cut_clip()
    reference = PreNormalize3D()(
        dict(keypoint=keypoint.copy()))['keypoint']
    out = FastPreNormalize3D(align_center=False)(
        dict(keypoint=keypoint))['keypoint']
    kept = keypoint[:, [0, 2, 3]]
    present = (kept != 0).any(-1, keepdims=True)
    np.testing.assert_allclose(
        (out - out[0, 0, 2]) * present,
        (reference - reference[0, 0, 2]) * present, atol=1e-5)
    np.testing.assert_allclose(
        np.linalg.norm(out, axis=-1), np.linalg.norm(kept, axis=-1),
        rtol=1e-6)
    shoulders = out[0, 0, 8] - out[0, 0, 4]  # the last alignment
    np.testing.assert_allclose(shoulders[1:], 0, atol=1e-6)
    assert shoulders[0] > 0
    assert out.dtype == np.float64


# ------------------------------------------------------------ errors, misc
@pytest.mark.parametrize('keypoint', [
    np.ones((2, 5, 25), np.float32),
    np.ones((2, 5, 25, 2), np.float32),
    np.ones((3, 5, 25, 3), np.float32),
    [[[[1., 2., 3.]]]],
])
def test_bad_keypoint_names_sample_and_field(keypoint):
    with pytest.raises(ValueError, match="'S001'.*\"keypoint\""):
        FastPreNormalize3D()(dict(keypoint=keypoint, frame_dir='S001'))


def test_total_frames_mismatch_names_sample_and_field():
    with pytest.raises(ValueError, match="'S001'.*\"total_frames\""):
        FastPreNormalize3D()(
            dict(keypoint=base_clip(), total_frames=9, frame_dir='S001'))


def test_missing_joint_names_sample_and_argument():
    keypoint = base_clip()[..., :6, :]
    with pytest.raises(ValueError, match="xaxis.*'S001'.*\"keypoint\""):
        FastPreNormalize3D()(dict(keypoint=keypoint, frame_dir='S001'))
    with pytest.raises(ValueError, match='center_joint'):
        FastPreNormalize3D(center_joint=6, align_shoulder=False)(
            dict(keypoint=keypoint))
    FastPreNormalize3D(align_shoulder=False)(dict(keypoint=keypoint))


@pytest.mark.parametrize('kwargs', [
    dict(zaxis=[0]),
    dict(xaxis='84'),
    dict(zaxis=[0, 1.5]),
    dict(center_joint=True),
    dict(center_joint=1, align_center=False),
])
def test_bad_arguments(kwargs):
    with pytest.raises(ValueError):
        FastPreNormalize3D(**kwargs)


def test_registered_and_repr():
    transform = TRANSFORMS.build(
        dict(type='FastPreNormalize3D', zaxis=[0, 1], center_joint=1))
    assert isinstance(transform, FastPreNormalize3D)
    assert 'center_joint=1' in repr(transform)
