"""Hooks the end-to-end tests import through ``custom_imports``."""
import os
import os.path as osp

import torch
from mmengine.dist import get_rank
from mmengine.hooks import Hook

from aclnet_plugin.engine.hooks import MotionFamilyHook
from mmaction.registry import HOOKS


@HOOKS.register_module()
class DumpHeadStateHook(Hook):
    """Save every rank's head buffers after every training epoch.

    Between MotionFamilyHook (ABOVE_NORMAL, 40), whose family update is
    state too, and mmengine's SyncBuffersHook (NORMAL, 50), which averages
    every float buffer across ranks at epoch end and would hide any
    divergence.
    """

    priority = 45

    def after_train_epoch(self, runner) -> None:
        head = MotionFamilyHook.find_head(runner)
        state = {k: v.detach().cpu().clone() for k, v in head.named_buffers()}
        out_dir = osp.join(runner.work_dir, 'head_states')
        os.makedirs(out_dir, exist_ok=True)
        torch.save(state, osp.join(
            out_dir, f'rank{get_rank()}_epoch{runner.epoch + 1}.pt'))
