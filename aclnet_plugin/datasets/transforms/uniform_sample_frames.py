"""mmaction's UniformSampleFrames without its dead per-frame loop."""
from typing import Dict

import numpy as np

from mmaction.datasets.transforms import UniformSampleFrames
from mmaction.registry import TRANSFORMS


@TRANSFORMS.register_module()
class FastUniformSampleFrames(UniformSampleFrames):
    """``UniformSampleFrames`` with the same arguments and the same results.

    mmaction2 1.2.0's transform counts, for every frame of a skeleton clip,
    the persons present (a Python loop calling ``np.all`` per frame and
    person), marks the frames where that count changes and then mixes the
    sampled indices with their integer parts at those frames. The sampled
    indices are integers already, so the mix changes nothing: the loop costs
    most of the transform's time (it grows with the clip's length) and no
    result depends on it. This class samples exactly as mmaction's does,
    drawing the same random numbers in the same order (and, in test mode,
    seeding NumPy's global generator the same way), and leaves that loop
    out.

    Required Keys:

        - total_frames
        - start_index (optional)

    Added Keys:

        - frame_inds: int32 (num_clips * clip_len, )
        - clip_len
        - frame_interval (None)
        - num_clips

    Args:
        clip_len (int): Frames of each clip.
        num_clips (int): Clips to sample. Defaults to 1.
        test_mode (bool): Test-time sampling (seeded, deterministic).
            Defaults to False.
        seed (int): The seed of test-time sampling. Defaults to 255.
    """

    def transform(self, results: Dict) -> Dict:
        num_frames = results['total_frames']
        if 'keypoint' in results and \
                results['keypoint'].shape[1] != num_frames:
            raise ValueError(
                f'FastUniformSampleFrames: sample '
                f'{results.get("frame_dir")!r} has "total_frames" = '
                f'{num_frames} but "keypoint" of shape '
                f'{results["keypoint"].shape} (M, T, V, C)')
        if self.test_mode:
            inds = self._get_test_clips(num_frames, self.clip_len)
        else:
            inds = self._get_train_clips(num_frames, self.clip_len)
        inds = np.mod(inds, num_frames) + results.get('start_index', 0)
        results['frame_inds'] = inds.astype(np.int32)
        results['clip_len'] = self.clip_len
        results['frame_interval'] = None
        results['num_clips'] = self.num_clips
        return results
