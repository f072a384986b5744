"""How the learned topology of an ACLNetGCN grows over training."""
from typing import Optional

import torch
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper

from mmaction.registry import HOOKS
from ...models.backbones.aclnet_gcn import ACLNetGCN


@HOOKS.register_module()
class TopologyMonitorHook(Hook):
    """Logs, every training epoch, the size of the last block's learned
    topology of an :class:`ACLNetGCN` and the scalars that scale it.

    The sample-dependent topology of the last block (its channel-wise and
    adaptive terms, the contrastive input of the paper's model) is exactly 0
    at the start, since ``alpha = beta = 0``, and grows as they learn. Per
    epoch the hook logs ``alpha`` and ``beta`` of that block and the root
    mean square of its topology vector (channels averaged, one V x V map a
    person), averaged over the epoch's training clips, as a log line and as
    visualizer scalars ``topology/alpha``, ``topology/beta`` and
    ``topology/rms``. It works whatever the head, so a cross-entropy
    baseline and ACLNet can be compared. The sums stay on the device: one
    host synchronisation an epoch.
    """

    priority = 'NORMAL'

    def __init__(self) -> None:
        self._handle = None
        self._sum: Optional[torch.Tensor] = None
        self._count = 0
        self._unit = None

    @staticmethod
    def find_backbone(runner) -> ACLNetGCN:
        model = runner.model.module if is_model_wrapper(
            runner.model) else runner.model
        backbone = getattr(model, 'backbone', None)
        if not isinstance(backbone, ACLNetGCN):
            raise TypeError('TopologyMonitorHook needs an ACLNetGCN '
                            f'backbone, got {type(backbone).__name__}')
        return backbone

    def before_train(self, runner) -> None:
        self._unit = self.find_backbone(runner).gcn[-1].gcn
        self._handle = self._unit.register_forward_hook(self._record)

    def after_train(self, runner) -> None:
        if self._handle is not None:
            self._handle.remove()
            self._handle = None

    def _record(self, module, inputs, outputs) -> None:
        if not module.training:
            return
        topology = outputs[1].detach()  # (B, K, mid, V, V)
        rms = topology.mean(dim=(1, 2)).pow(2).mean(dim=(1, 2)).sqrt()
        total = rms.sum()
        self._sum = total if self._sum is None else self._sum + total
        self._count += rms.numel()

    def after_train_epoch(self, runner) -> None:
        if self._unit is None or not self._count:
            return
        values = torch.stack([
            self._unit.alpha.detach().reshape(()),
            self._unit.beta.detach().reshape(()), self._sum / self._count
        ]).cpu().tolist()
        self._sum, self._count = None, 0
        scalars = dict(zip(('alpha', 'beta', 'rms'), values))
        runner.logger.info(
            f'Topology at epoch {runner.epoch + 1}: alpha '
            f'{scalars["alpha"]:.6f}, beta {scalars["beta"]:.6f}, rms of '
            f'the last block\'s topology {scalars["rms"]:.6f}')
        visualizer = getattr(runner, 'visualizer', None)
        if visualizer is not None:
            visualizer.add_scalars(
                {f'topology/{k}': v for k, v in scalars.items()},
                step=runner.iter)
