"""Stop training on a non-finite loss, before a checkpoint saves it."""
import math

from mmengine.hooks import Hook

from mmaction.registry import HOOKS


@HOOKS.register_module()
class FiniteLossHook(Hook):
    """Stop training at the first NaN or infinite loss, naming where.

    After every training iteration each loss term the model returned
    (``loss_cls``, ``loss_inter``, ``loss_intra``, ... and their sum
    ``loss``) is checked; the first that is not finite stops training with a
    ``FloatingPointError`` that names the epoch, the iteration and the
    terms. It runs before any checkpoint of that epoch is written, so the
    last checkpoint on disk is the last good one. mmengine's RuntimeInfoHook
    has already brought the values to the host for the log, so the check
    costs no synchronisation.

    To skip such batches instead of stopping, use
    ``optim_wrapper=dict(type='SkipNonFiniteOptimWrapper', ...)``: a batch
    it skipped passes this hook.

    It is in the ``default_hooks`` of the project's configs; ``enabled=False``
    turns it off (``--cfg-options default_hooks.finite_loss.enabled=False``;
    mmengine 0.10 accepts ``None`` only for its own default hooks).

    Args:
        enabled (bool): Whether to check. Defaults to True.
    """

    priority = 'HIGH'  # after RuntimeInfoHook, before checkpoints and logs

    def __init__(self, enabled: bool = True) -> None:
        self.enabled = bool(enabled)

    def after_train_iter(self, runner, batch_idx: int, data_batch=None,
                         outputs=None) -> None:
        if not self.enabled or not outputs:
            return
        if getattr(runner.optim_wrapper, 'skipped_last', False):
            return
        bad = {}
        for name, value in outputs.items():
            if 'loss' not in name:
                continue
            if hasattr(value, 'detach'):  # mmengine's log_vars keep the graph
                value = value.detach()
            value = float(value)
            if not math.isfinite(value):
                bad[name] = value
        if bad:
            terms = ', '.join(f'{k} = {v}' for k, v in bad.items())
            raise FloatingPointError(
                f'non-finite loss in epoch {runner.epoch + 1}, iteration '
                f'{batch_idx + 1} of the epoch (iteration {runner.iter + 1} '
                f'of training): {terms}. Training stopped; the last '
                f'checkpoint in {runner.work_dir} is the last good one. '
                'Check the data (tools/check_data.py) and the learning rate, '
                "or skip such batches with optim_wrapper=dict(type="
                "'SkipNonFiniteOptimWrapper', ...).")
