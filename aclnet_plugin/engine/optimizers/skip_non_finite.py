"""An optimiser wrapper that skips the batches whose loss is not finite."""
from typing import Dict, Optional

import torch
from mmengine.logging import print_log
from mmengine.optim import OptimWrapper

from mmaction.registry import OPTIM_WRAPPERS


@OPTIM_WRAPPERS.register_module()
class SkipNonFiniteOptimWrapper(OptimWrapper):
    """mmengine's ``OptimWrapper``, but a batch whose total loss is NaN or
    infinite changes nothing: no backward, no step, the gradients zeroed.

    The opt-in alternative to :class:`FiniteLossHook`'s stop, for data with
    rare degenerate batches. Deciding needs the loss on the host, one
    synchronisation per step, which is why it is not the default. Every
    skipped batch is logged (as a warning) and counted in
    :attr:`num_skipped`; :attr:`skipped_last` says whether the last batch
    was skipped, so the hook lets it pass.

        optim_wrapper = dict(type='SkipNonFiniteOptimWrapper', optimizer=...)
    """

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.num_skipped = 0
        self.skipped_last = False

    def update_params(self,
                      loss: torch.Tensor,
                      step_kwargs: Optional[Dict] = None,
                      zero_kwargs: Optional[Dict] = None) -> None:
        self.skipped_last = not bool(torch.isfinite(loss).all())
        if self.skipped_last:
            self.num_skipped += 1
            self.zero_grad(**(zero_kwargs or {}))
            print_log(
                f'SkipNonFiniteOptimWrapper: loss {float(loss.detach())} is not '
                f'finite; batch skipped ({self.num_skipped} so far)',
                logger='current', level=30)
            return
        super().update_params(loss, step_kwargs, zero_kwargs)
