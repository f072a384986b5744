"""FastUniformSampleFrames gives mmaction's UniformSampleFrames' results,
random draws included."""
import numpy as np
import pytest

from aclnet_plugin.datasets import FastUniformSampleFrames
from mmaction.datasets.transforms import UniformSampleFrames


def clip(rng, persons, frames, transitions=True):
    keypoint = rng.normal(size=(persons, frames, 17, 3)).astype(np.float32)
    if transitions and persons > 1 and frames > 4:
        # the second person leaves and comes back: "transitional" frames
        keypoint[1, frames // 4:frames // 2] = 0
    return dict(keypoint=keypoint, total_frames=frames, start_index=0)


@pytest.mark.parametrize('test_mode', [False, True])
@pytest.mark.parametrize('clip_len, num_clips', [(8, 1), (16, 3), (5, 10)])
@pytest.mark.parametrize('frames', [1, 3, 8, 12, 16, 31, 100, 301])
def test_same_indices_and_random_state(test_mode, clip_len, num_clips,
                                       frames):
    rng = np.random.default_rng(frames * 7 + clip_len)
    results = clip(rng, 2, frames)
    kwargs = dict(clip_len=clip_len, num_clips=num_clips, test_mode=test_mode)
    outputs, states = [], []
    for transform in (UniformSampleFrames(**kwargs),
                      FastUniformSampleFrames(**kwargs)):
        np.random.seed(1234)
        out = transform(dict(results))
        outputs.append(out)
        states.append(np.random.randint(1 << 30, size=4))
    stock, fast = outputs
    assert fast['frame_inds'].dtype == stock['frame_inds'].dtype
    np.testing.assert_array_equal(fast['frame_inds'], stock['frame_inds'])
    for key in ('clip_len', 'frame_interval', 'num_clips'):
        assert fast[key] == stock[key]
    np.testing.assert_array_equal(states[0], states[1])  # same draws


def test_start_index_and_mismatch():
    rng = np.random.default_rng(0)
    results = dict(clip(rng, 1, 20), start_index=3)
    out = FastUniformSampleFrames(clip_len=5, test_mode=True)(results)
    assert out['frame_inds'].min() >= 3 and out['frame_inds'].max() < 23
    bad = dict(clip(rng, 1, 20), total_frames=19, frame_dir='c7')
    with pytest.raises(ValueError, match="'c7'.*total_frames"):
        FastUniformSampleFrames(clip_len=5)(bad)
