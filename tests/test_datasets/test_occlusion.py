"""Occlusion parts of the layouts (Table IX) and OcclusionMask."""
import numpy as np
import pytest

from aclnet_plugin.datasets import OcclusionMask, SkeletonLayout, get_layout
from mmaction.registry import TRANSFORMS

BODY = ['nturgb+d', 'coco', 'coco20', 'nw-ucla']
BODY_PARTS = ['left_arm', 'right_arm', 'two_hands', 'two_legs', 'trunk']
FINGERS = ['thumb', 'index', 'middle', 'ring', 'pinky']


def chain(**kwargs):
    args = dict(name='chain', num_joints=4, parents=(0, 0, 1, 2), left=(1, ),
                right=(2, ), limbs=dict(tip=(3, )), center=0)
    args.update(kwargs)
    return SkeletonLayout(**args)


def clip(V, seed=0, M=2, T=5, C=3):
    rng = np.random.RandomState(seed)
    keypoint = rng.randn(M, T, V, C).astype(np.float32) + 5  # no zeros
    score = rng.rand(M, T, V).astype(np.float32) + 0.1
    return keypoint, score


@pytest.mark.parametrize('name', BODY)
def test_body_parts_are_the_limbs(name):
    """Table IX's five parts, each made of the layout's limbs."""
    layout = get_layout(name)
    parts, limbs = layout.parts, layout.limbs
    assert list(parts) == BODY_PARTS
    for part in ('left_arm', 'right_arm', 'two_hands', 'trunk'):
        assert sorted(parts[part]) == sorted(limbs[part]), part
    assert sorted(parts['two_legs']) == sorted(limbs['left_leg'] +
                                               limbs['right_leg'])
    for joints in parts.values():
        assert all(isinstance(j, int) for j in joints)
        assert len(set(joints)) == len(joints)
    # the arms mirror each other; the other parts are their own mirror
    flip = layout.flip_index
    assert sorted(flip[j] for j in parts['left_arm']) == sorted(
        parts['right_arm'])
    for part in ('two_hands', 'two_legs', 'trunk'):
        assert sorted(flip[j] for j in parts[part]) == sorted(parts[part])


def test_coco_parts_by_keypoint_name():
    coco = get_layout('coco').parts
    # 0 nose, 1/2 eyes, 3/4 ears, 5/6 shoulders, 7/8 elbows, 9/10 wrists,
    # 11/12 hips, 13/14 knees, 15/16 ankles
    assert coco == dict(left_arm=(5, 7, 9), right_arm=(6, 8, 10),
                        two_hands=(9, 10),
                        two_legs=(11, 12, 13, 14, 15, 16),
                        trunk=(0, 1, 2, 3, 4))
    coco20 = get_layout('coco20').parts
    assert {k: v for k, v in coco20.items() if k != 'trunk'} == {
        k: v for k, v in coco.items() if k != 'trunk'}
    assert sorted(coco20['trunk']) == [0, 1, 2, 3, 4, 17, 18, 19]


def test_ntu_parts_by_joint_number():
    parts = get_layout('nturgb+d').parts
    one_based = {k: sorted(j + 1 for j in v) for k, v in parts.items()}
    assert one_based == dict(
        left_arm=[5, 6, 7, 8, 22, 23], right_arm=[9, 10, 11, 12, 24, 25],
        two_hands=[7, 8, 11, 12, 22, 23, 24, 25],
        two_legs=list(range(13, 21)), trunk=[1, 2, 3, 4, 21])


def test_hand_parts_are_the_fingers():
    hand = get_layout('fpha-hand')
    assert list(hand.parts) == FINGERS
    assert hand.parts == hand.limbs
    every = sorted(j for joints in hand.parts.values() for j in joints)
    assert every == list(range(1, 21))  # all but the wrist, once each


def test_parts_default_empty_and_copied():
    assert chain().parts == {}
    given = dict(tip=[3], middle=(1, 2))
    layout = chain(parts=given)
    given['tip'].append(0)
    assert layout.parts == dict(tip=(3, ), middle=(1, 2))
    assert hash(layout) == hash(chain())  # parts are not hashed


@pytest.mark.parametrize('parts, message', [
    (dict(tip=()), "part 'tip' of layout 'chain' is empty"),
    (dict(tip=(3, 4)), r"part 'tip' of layout 'chain' has joint indices "
     r'outside \[0, 4\): \[4\]'),
    (dict(tip=(-1, )), r"part 'tip'.*outside"),
])
def test_parts_validated(parts, message):
    with pytest.raises(ValueError, match=message):
        chain(parts=parts)


@pytest.mark.parametrize('name, part', [('nturgb+d', 'two_legs'),
                                        ('coco', 'left_arm'),
                                        ('nw-ucla', 'trunk'),
                                        ('fpha-hand', 'index')])
def test_occlusion_mask_zeroes_exactly_the_part(name, part):
    layout = get_layout(name)
    keypoint, score = clip(layout.num_joints)
    mask = TRANSFORMS.build(dict(type='OcclusionMask', layout=name,
                                 part=part))
    assert isinstance(mask, OcclusionMask)
    out = mask(dict(keypoint=keypoint.copy(), keypoint_score=score.copy()))
    hidden = sorted(layout.parts[part])
    kept = [j for j in range(layout.num_joints) if j not in hidden]
    # every person, every frame, every coordinate of the part
    zero = (out['keypoint'] == 0).all(axis=(0, 1, 3))
    assert np.flatnonzero(zero).tolist() == hidden
    assert (out['keypoint_score'][:, :, hidden] == 0).all()
    np.testing.assert_array_equal(out['keypoint'][:, :, kept],
                                  keypoint[:, :, kept])
    np.testing.assert_array_equal(out['keypoint_score'][:, :, kept],
                                  score[:, :, kept])
    assert (keypoint != 0).all(), 'the input was modified'


def test_occlusion_mask_without_score():
    keypoint, _ = clip(25)
    out = OcclusionMask(part='trunk')(dict(keypoint=keypoint))
    assert 'keypoint_score' not in out
    assert (out['keypoint'][:, :, [0, 1, 2, 3, 20]] == 0).all()
    assert repr(OcclusionMask(part='trunk')) == (
        "OcclusionMask(layout='nturgb+d', part='trunk')")


def test_occlusion_mask_errors():
    with pytest.raises(ValueError, match=r"part must be one of the parts of "
                       r"layout 'coco' \(\['left_arm'.*got 'thumb'"):
        OcclusionMask(layout='coco', part='thumb')
    with pytest.raises(ValueError, match="layout 'chain' names no occlusion"):
        OcclusionMask(layout=chain(), part='tip')
    with pytest.raises(ValueError, match='layout'):
        OcclusionMask(layout='unknown')
    keypoint, _ = clip(17)
    with pytest.raises(ValueError, match=r"OcclusionMask\(layout='nturgb\+d'"
                       r'\) expects 25 joints'):
        OcclusionMask()(dict(keypoint=keypoint))
