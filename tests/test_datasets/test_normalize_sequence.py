"""NormalizeSequence and JointNoise: hand-worked frames and invariances."""
import numpy as np
import pytest

from aclnet_plugin.datasets import JointNoise, NormalizeSequence
from mmaction.registry import TRANSFORMS


def rotation_y(angle):
    c, s = np.cos(angle), np.sin(angle)
    return np.array([[c, 0, s], [0, 1, 0], [-s, 0, c]])


def test_centre_per_frame_hand_worked():
    # two frames of three joints; centre = mean of joints 0 and 1
    keypoint = np.array([[[[1, 2, 3], [3, 2, 1], [5, 5, 5]],
                          [[0, 0, 2], [2, 0, 0], [1, 1, 1]]]], np.float32)
    out = NormalizeSequence(center_joints=[0, 1])(
        dict(keypoint=keypoint.copy()))['keypoint']
    expected = np.array([[[[-1, 0, 1], [1, 0, -1], [3, 3, 3]],
                          [[-1, 0, 1], [1, 0, -1], [0, 1, 0]]]], np.float32)
    np.testing.assert_allclose(out, expected, atol=1e-6)
    assert out.dtype == np.float32


def test_missing_joints_stay_zero_and_are_not_averaged():
    keypoint = np.array([[[[0, 0, 0], [4, 4, 4], [5, 6, 7]]]], np.float32)
    out = NormalizeSequence(center_joints=[0, 1])(
        dict(keypoint=keypoint.copy()))['keypoint']
    # the centre is joint 1 alone (joint 0 is missing)
    np.testing.assert_allclose(out[0, 0], [[0, 0, 0], [0, 0, 0], [1, 2, 3]])


def test_yaw_turns_the_hips_onto_x_and_keeps_lengths():
    rng = np.random.default_rng(0)
    body = rng.normal(size=(5, 3))
    body[0] = [0.1, 0, 0]  # the hips: joint 0 at +x, joint 1 at -x
    body[1] = [-0.1, 0, 0]
    body[2] = [0, 0.5, 0.05]
    frames = []
    for angle in (0.3, 1.7, -2.5):  # the walker turns about y
        frames.append(body @ rotation_y(angle).T + [0, 0, 3])
    keypoint = np.stack(frames)[None].astype(np.float32)
    out = NormalizeSequence(center_joints=[0, 1], yaw_joints=[0, 1])(
        dict(keypoint=keypoint))['keypoint']
    for t in range(3):
        hips = out[0, t, 1] - out[0, t, 0]
        assert hips[0] > 0 and abs(hips[2]) < 1e-6 and abs(hips[1]) < 1e-6
        # the same canonical pose in every frame
        np.testing.assert_allclose(out[0, t], out[0, 0], atol=1e-5)
        # distances between joints are kept (a rotation, no mirror)
        d_in = np.linalg.norm(keypoint[0, t, 2] - keypoint[0, t, 3])
        d_out = np.linalg.norm(out[0, t, 2] - out[0, t, 3])
        assert d_out == pytest.approx(d_in, rel=1e-5)
    # a proper rotation: the triple product keeps its sign
    def triple(x):
        return np.linalg.det(np.stack([x[1] - x[0], x[2] - x[0],
                                       x[3] - x[0]]))
    assert np.sign(triple(out[0, 0])) == np.sign(triple(keypoint[0, 0]))


def test_scale_by_the_median_torso():
    # 2D: shoulders (0, 1) and hips (2, 3); torso lengths 2, 4, 4 -> 4
    frames = []
    for torso in (2, 4, 4):
        frames.append([[-1, 0], [1, 0], [-1, torso], [1, torso]])
    keypoint = np.array(frames, np.float32)[None] * 10 + 100  # pixels
    out = NormalizeSequence(center_joints=[2, 3], scale_joints=[[0, 1],
                                                                [2, 3]],
                            num_coords=2)(dict(keypoint=keypoint))['keypoint']
    np.testing.assert_allclose(out[0, 1], [[-0.25, -1], [0.25, -1],
                                           [-0.25, 0], [0.25, 0]], atol=1e-6)
    np.testing.assert_allclose(out[0, 0, 0], [-0.25, -0.5], atol=1e-6)


def test_score_channel_untouched_with_two_coordinates():
    keypoint = np.array([[[[2, 2, 0.7], [4, 4, 0.9]]]], np.float32)
    out = NormalizeSequence(center_joints=[0], num_coords=2)(
        dict(keypoint=keypoint))['keypoint']
    np.testing.assert_allclose(out[0, 0, :, 2], [0.7, 0.9])
    np.testing.assert_allclose(out[0, 0, 1, :2], [2, 2])


def test_errors_name_the_sample():
    with pytest.raises(ValueError, match="'walk7'.*keypoint"):
        NormalizeSequence(center_joints=[30])(
            dict(keypoint=np.ones((1, 2, 20, 3)), frame_dir='walk7'))
    with pytest.raises(ValueError, match='yaw_joints'):
        NormalizeSequence(center_joints=[0], yaw_joints=[0, 1],
                          num_coords=2)
    with pytest.raises(ValueError, match='center_joints'):
        NormalizeSequence(center_joints=[])


def test_joint_noise_spares_missing_joints_and_has_its_std():
    np.random.seed(0)
    keypoint = np.ones((1, 400, 20, 3), np.float32)
    keypoint[:, :, 5] = 0
    out = JointNoise(std=0.01)(dict(keypoint=keypoint.copy()))['keypoint']
    assert not out[:, :, 5].any()
    noise = (out - keypoint)[:, :, [j for j in range(20) if j != 5]]
    assert noise.std() == pytest.approx(0.01, rel=0.05)
    assert abs(noise.mean()) < 1e-3
    assert TRANSFORMS.build(dict(type='JointNoise', std=0.0))(
        dict(keypoint=keypoint.copy()))['keypoint'].tolist() == \
        keypoint.tolist()
