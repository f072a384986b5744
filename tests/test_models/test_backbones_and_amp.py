"""The head with mmaction2's skeleton backbones, and under mixed precision."""
import pytest
import torch

from mmaction.registry import MODELS
from mmaction.structures import ActionDataSample

BACKBONES = {
    'stgcn': dict(type='STGCN', graph_cfg=dict(layout='nturgb+d',
                                               mode='stgcn_spatial'),
                  base_channels=8),
    'stgcnpp': dict(type='STGCN', gcn_adaptive='init', gcn_with_res=True,
                    tcn_type='mstcn', graph_cfg=dict(layout='nturgb+d',
                                                     mode='spatial'),
                    base_channels=8),
    'aagcn': dict(type='AAGCN', graph_cfg=dict(layout='nturgb+d',
                                               mode='spatial'),
                  base_channels=8),
}


def build(backbone, **head):
    model = MODELS.build(dict(
        type='RecognizerGCN', backbone=BACKBONES[backbone],
        cls_head=dict(type='AffinityContrastHead', num_classes=6,
                      in_channels=32, memory_size=8, **head)))
    model.init_weights()
    model.cls_head.set_confusion_collection(False)
    return model


def batch(num_samples=4, num_clips=1, frames=12):
    torch.manual_seed(0)
    inputs = torch.randn(num_samples, num_clips, 2, frames, 25, 3)
    data = [ActionDataSample().set_gt_label(i % 3)
            for i in range(num_samples)]
    return inputs, data


@pytest.mark.parametrize('backbone', sorted(BACKBONES))
@pytest.mark.parametrize('num_clips', [1, 2])
def test_backbone_train_and_predict(backbone, num_clips):
    model = build(backbone)
    head = model.cls_head
    head.set_confusion_collection(True)
    head.family_mask[0, 1] = head.family_mask[1, 0] = 1
    inputs, data = batch(num_clips=num_clips)
    losses = model(inputs, data, mode='loss')
    total = sum(v for k, v in losses.items() if 'loss' in k)
    assert torch.isfinite(total)
    total.backward()
    assert all(p.grad is not None for p in model.parameters()
               if p.requires_grad)
    assert head.confusion.sum() <= 4 * num_clips
    model.eval()
    with torch.no_grad():
        out = model(inputs, batch(num_clips=num_clips)[1], mode='predict')
    assert len(out) == 4 and out[0].pred_score.shape == (6, )


@pytest.mark.parametrize('recipe', ['equations', 'authors'])
def test_mixed_precision_losses_are_float32_and_finite(recipe):
    model = build('stgcnpp', recipe=recipe)
    head = model.cls_head
    head.family_mask[0, 1] = head.family_mask[1, 0] = 1
    inputs, data = batch()
    model(inputs, data, mode='loss')  # prototypes seen
    if recipe == 'authors':  # counted and refreshed in the step
        head.set_confusion_collection(True)
        head.schedule_family_update()
    with torch.autocast('cpu', dtype=torch.bfloat16):
        losses = model(inputs, batch()[1], mode='loss')
        projected = head.projector(torch.randn(2, 32))
    if recipe == 'authors':
        assert head.take_family_update() is not None
    assert projected.dtype == torch.bfloat16  # autocast really was on
    for key in ('loss_inter', 'loss_intra'):
        assert losses[key].dtype == torch.float32, key
        assert torch.isfinite(losses[key]), key
    assert losses['loss_inter'] > 0
    sum(v for k, v in losses.items() if 'loss' in k).backward()
    assert head.prototypes.dtype == torch.float32
    assert head.queue_embeddings.dtype == torch.float32


@pytest.mark.skipif(not torch.cuda.is_available(), reason='needs a GPU')
def test_mixed_precision_fp16_on_gpu():
    model = build('stgcnpp').cuda()
    inputs, data = batch()
    with torch.autocast('cuda', dtype=torch.float16):
        losses = model(inputs.cuda(), [d.cuda() for d in data], mode='loss')
    for key in ('loss_cls', 'loss_inter', 'loss_intra'):
        assert torch.isfinite(losses[key]), key
    assert losses['loss_intra'].dtype == torch.float32


def test_whole_recognizer_step_makes_no_host_sync(monkeypatch):
    """Backbone + head forward and backward: no .item()/.cpu()/tensor bool."""
    model = build('stgcnpp')
    head = model.cls_head
    head.set_confusion_collection(True)
    head.family_mask[0, 1] = head.family_mask[1, 0] = 1
    inputs, data = batch()

    def forbidden(name):
        def fail(*args, **kwargs):
            raise AssertionError(f'host synchronisation: Tensor.{name}')
        return fail

    for name in ('item', 'cpu', 'tolist', 'numpy', '__bool__', '__int__',
                 '__float__'):
        monkeypatch.setattr(torch.Tensor, name, forbidden(name))
    losses = model(inputs, data, mode='loss')
    sum(v for k, v in losses.items() if 'loss' in k).backward()
    monkeypatch.undo()
    assert torch.isfinite(losses['loss_intra'])


@pytest.mark.skipif(not torch.cuda.is_available(), reason='needs a GPU')
@pytest.mark.parametrize('amp', [False, True])
def test_training_step_on_gpu_under_sync_debug_error(amp):
    """A whole training step (forward, three losses, backward, SGD step)
    with families, prototypes and a full queue, under
    ``torch.cuda.set_sync_debug_mode('error')``: any host-device
    synchronisation raises. Several steps, so the queue wraps around."""
    model = build('stgcnpp').cuda()
    head = model.cls_head
    head.set_confusion_collection(True)
    head.family_mask[0, 1] = head.family_mask[1, 0] = 1
    inputs, data = batch()
    inputs, data = inputs.cuda(), [d.cuda() for d in data]
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    torch.cuda.synchronize()
    torch.cuda.set_sync_debug_mode('error')
    try:
        for _ in range(4):
            optimizer.zero_grad(set_to_none=True)
            with torch.autocast('cuda', dtype=torch.float16, enabled=amp):
                losses = model(inputs, data, mode='loss')
            sum(v for k, v in losses.items() if 'loss' in k).backward()
            optimizer.step()
    finally:
        torch.cuda.set_sync_debug_mode(0)
    assert head.prototype_seen[:3].all()  # labels 0-2 were seen
    assert (head.queue_labels >= 0).all()  # the queue is full
    assert torch.isfinite(losses['loss_intra']) and torch.isfinite(
        losses['loss_inter'])
    # the check is live: a synchronising op does raise under the mode
    torch.cuda.set_sync_debug_mode('error')
    try:
        with pytest.raises(RuntimeError):
            head.confusion.sum().item()
    finally:
        torch.cuda.set_sync_debug_mode(0)
