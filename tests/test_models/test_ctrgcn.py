"""CTRGCN backbone: size, shapes, CTR-GC maths, use inside RecognizerGCN."""
import pytest
import torch

from aclnet_plugin.models import CTRGCN
from aclnet_plugin.models.backbones.ctrgcn import CTRGC, MultiScaleTCN
from mmaction.registry import MODELS
from mmaction.structures import ActionDataSample

NTU = dict(layout='nturgb+d', mode='spatial')
COCO = dict(layout='coco', mode='spatial')


def num_params(module):
    return sum(p.numel() for p in module.parameters() if p.requires_grad)


def test_parameter_count_matches_the_paper():
    backbone = CTRGCN(graph_cfg=NTU)
    total = num_params(backbone) + 256 * 60 + 60  # + Linear(256, 60)
    print(f'CTR-GCN backbone {num_params(backbone)}, with a 60-class head '
          f'{total}')
    assert abs(total - 1.46e6) / 1.46e6 < 0.03, total
    widths = [block.tcn.branches[0][0].in_channels for block in backbone.gcn]
    assert widths == [64, 64, 64, 64, 128, 128, 128, 256, 256, 256]
    assert backbone.gcn[0].residual is None
    assert all(block.residual is not None for block in backbone.gcn[1:])
    assert backbone.out_channels == 256


def test_output_shape():
    backbone = CTRGCN(graph_cfg=NTU)
    backbone.init_weights()
    with torch.no_grad():
        out = backbone(torch.randn(2, 2, 64, 25, 3))
    assert out.shape == (2, 2, 256, 16, 25)


@pytest.mark.parametrize('frames,expected', [(13, 4), (7, 2)])
def test_odd_lengths_and_options(frames, expected):
    backbone = CTRGCN(graph_cfg=COCO, in_channels=2, base_channels=8,
                      data_bn_type='MVC', adaptive=False, tcn_dropout=0.1)
    backbone.init_weights()
    # a fixed topology: a buffer, not a parameter
    assert 'gcn.0.gcn.PA' not in dict(backbone.named_parameters())
    assert 'gcn.0.gcn.PA' in dict(backbone.named_buffers())
    out = backbone(torch.randn(3, 2, frames, 17, 2))
    assert out.shape == (3, 2, 32, expected, 17)


def test_ctrgc_relation_channels_and_init_topology():
    assert CTRGC(3, 64).rel_channels == 8
    assert CTRGC(9, 64).rel_channels == 8
    assert CTRGC(64, 64).rel_channels == 8
    assert CTRGC(256, 256).rel_channels == 32
    torch.manual_seed(0)
    ctrgc = CTRGC(16, 24)
    x = torch.randn(2, 16, 5, 6)
    A = torch.rand(6, 6)
    # alpha = 0 (its initial value): the refined topology is A itself
    expected = torch.einsum('uv,nctv->nctu', A, ctrgc.conv3(x))
    assert torch.allclose(ctrgc(x, A, torch.zeros(1)), expected, atol=1e-6)
    # alpha != 0: a sample- and channel-specific topology
    x1 = ctrgc.conv1(x).mean(-2)
    x2 = ctrgc.conv2(x).mean(-2)
    rel = torch.tanh(x1[..., :, None] - x2[..., None, :])
    topo = 0.5 * ctrgc.conv4(rel) + A
    assert topo.shape == (2, 24, 6, 6)
    expected = torch.einsum('ncuv,nctv->nctu', topo, ctrgc.conv3(x))
    assert torch.allclose(ctrgc(x, A, 0.5), expected, atol=1e-5)


def test_multiscale_tcn_shapes():
    tcn = MultiScaleTCN(64, 64, stride=2)
    assert [b[0].out_channels for b in tcn.branches] == [16, 16, 16, 16]
    assert tcn(torch.randn(2, 64, 9, 5)).shape == (2, 64, 5, 5)
    uneven = MultiScaleTCN(10, 10)
    assert uneven(torch.randn(1, 10, 4, 3)).shape == (1, 10, 4, 3)


def test_initialisation():
    backbone = CTRGCN(graph_cfg=NTU, base_channels=16)
    backbone.init_weights()
    unit = backbone.gcn[0].gcn
    assert float(unit.alpha.detach()) == 0
    A = torch.tensor(backbone.graph.A, dtype=torch.float32)
    assert torch.equal(unit.PA.detach(), A)
    assert torch.all(unit.bn.weight == 1e-6)
    assert torch.all(backbone.gcn[0].tcn.branches[0][1].weight == 1)
    assert torch.all(unit.convs[0].conv1.bias == 0)


def batch(num_samples, joints, channels, frames=4, num_classes=60):
    torch.manual_seed(0)
    inputs = torch.randn(num_samples, 1, 2, frames, joints, channels)
    data = [
        ActionDataSample().set_gt_label(i % num_classes)
        for i in range(num_samples)
    ]
    return inputs, data


def build_recognizer(head, graph_cfg=NTU, in_channels=3):
    model = MODELS.build(
        dict(
            type='RecognizerGCN',
            backbone=dict(
                type='CTRGCN', graph_cfg=graph_cfg, in_channels=in_channels),
            cls_head=dict(type=head, num_classes=60, in_channels=256)))
    model.init_weights()
    if head == 'AffinityContrastHead':
        model.cls_head.set_confusion_collection(False)
    return model


@pytest.mark.parametrize('head,graph_cfg,joints,channels', [
    ('GCNHead', NTU, 25, 3),  # 3D
    ('GCNHead', COCO, 17, 2),  # 2D
    ('GCNHead', COCO, 17, 3),  # 2D with scores
    ('AffinityContrastHead', NTU, 25, 3),
    ('AffinityContrastHead', COCO, 17, 3),
])
def test_recognizer_loss_and_predict(head, graph_cfg, joints, channels):
    model = build_recognizer(head, graph_cfg, channels)
    assert isinstance(model.backbone, CTRGCN)
    inputs, data = batch(4, joints, channels)
    losses = model(inputs, data, mode='loss')
    total = sum(v for k, v in losses.items() if 'loss' in k)
    assert torch.isfinite(total)
    total.backward()
    for name, param in model.named_parameters():
        if param.requires_grad:
            assert param.grad is not None, name
    # the refinement is live: alpha and the learnt topology get gradients
    unit = model.backbone.gcn[3].gcn
    assert unit.alpha.grad.abs().sum() > 0
    assert unit.PA.grad.abs().sum() > 0
    model.eval()
    with torch.no_grad():
        out = model(inputs, batch(4, joints, channels)[1], mode='predict')
    assert len(out) == 4 and out[0].pred_score.shape == (60, )
