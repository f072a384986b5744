"""TopologyMonitorHook: alpha, beta and the size of the learned topology."""
import types

import pytest
import torch

from aclnet_plugin.engine import TopologyMonitorHook
from aclnet_plugin.models import ACLNetGCN
from conftest import tiny_config, use_topology_input


def fake_runner(model):
    records = []

    class Logger:
        def info(self, text):
            records.append(text)

    class Visualizer:
        scalars = []

        def add_scalars(self, values, step):
            self.scalars.append((step, values))

    return types.SimpleNamespace(model=model, logger=Logger(), epoch=0,
                                 iter=7, visualizer=Visualizer(),
                                 records=records)


def test_epoch_means_against_a_hand_computation():
    torch.manual_seed(0)
    backbone = ACLNetGCN(dict(layout='nw-ucla'), base_channels=8)
    model = torch.nn.Module()
    model.backbone = backbone
    runner = fake_runner(model)
    hook = TopologyMonitorHook()
    hook.before_train(runner)
    unit = backbone.gcn[-1].gcn
    with torch.no_grad():
        unit.alpha.fill_(0.5)
        unit.beta.fill_(-0.25)
    expected = []
    captured = unit.register_forward_hook(
        lambda m, i, o: expected.append(o[1].detach()))
    for batch in (3, 2):  # uneven batches: a mean over clips
        backbone(torch.randn(batch, 2, 8, 20, 3))
    backbone.eval()
    backbone(torch.randn(4, 2, 8, 20, 3))  # validation: not counted
    captured.remove()
    hook.after_train_epoch(runner)
    rms = [t.mean(dim=(1, 2)).pow(2).mean(dim=(1, 2)).sqrt()
           for t in expected[:2]]
    mean = torch.cat(rms).mean().item()
    [(step, values)] = runner.visualizer.scalars
    assert step == 7
    assert values['topology/alpha'] == 0.5
    assert values['topology/beta'] == -0.25
    assert values['topology/rms'] == pytest.approx(mean, rel=1e-6)
    assert mean > 0
    assert runner.records[0].startswith('Topology at epoch 1: alpha 0.500000')
    hook.after_train(runner)
    assert not unit._forward_hooks  # removed


def test_needs_the_authors_backbone():
    from mmaction.models import STGCN
    model = torch.nn.Module()
    model.backbone = STGCN(graph_cfg=dict(layout='nturgb+d', mode='spatial'),
                           base_channels=8)
    with pytest.raises(TypeError, match='needs an ACLNetGCN'):
        TopologyMonitorHook().before_train(fake_runner(model))


@pytest.mark.parametrize('head', ['topology', 'GCNHead'])
def test_logged_in_a_real_run(tiny_dataset, tmp_path, head):
    """Training grows alpha, beta and the topology from 0, with the
    topology-fed head and with plain cross-entropy."""
    from mmengine.runner import Runner
    cfg = use_topology_input(
        tiny_config(tiny_dataset, tmp_path, max_epochs=2, start_epoch=1))
    if head == 'GCNHead':
        cfg.model.backbone.out_topology = False
        cfg.model.cls_head = dict(type='GCNHead', num_classes=12,
                                  in_channels=32)
        cfg.custom_hooks = []
    cfg.custom_hooks.append(dict(type='TopologyMonitorHook'))
    Runner.from_cfg(cfg).train()
    [log] = tmp_path.glob('*/*.log')
    lines = [line.split(' - INFO - ', 1)[1]
             for line in log.read_text().splitlines()
             if ' - INFO - Topology at epoch' in line]
    assert [line.split(':')[0] for line in lines] == [
        'Topology at epoch 1', 'Topology at epoch 2']
    last = dict(part.rsplit(' ', 1) for part in
                lines[-1].split(': ', 1)[1].split(', '))
    assert float(last['alpha']) != 0 and float(last['beta']) != 0
    assert float(last["rms of the last block's topology"]) > 0
