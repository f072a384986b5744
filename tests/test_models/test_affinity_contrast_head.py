"""AffinityContrastHead: loss dict, shapes, gradients, state, drop-in use."""
import copy

import pytest
import torch
import torch.nn.functional as F

from aclnet_plugin.models import (AffinityContrastHead, affinity_contrast_loss,
                                  marginal_contrast_loss)
from mmaction.models import GCNHead
from mmaction.registry import MODELS
from mmaction.structures import ActionDataSample


def samples(labels):
    return [ActionDataSample().set_gt_label(int(y)) for y in labels]


def make_head(num_classes=5, in_channels=8, **kwargs):
    head = AffinityContrastHead(num_classes, in_channels, **kwargs)
    head.init_weights()
    head.set_confusion_collection(False)
    return head


def feats(batch, in_channels=8, persons=2, requires_grad=True):
    torch.manual_seed(0)
    return torch.randn(batch, persons, in_channels, 4, 5,
                       requires_grad=requires_grad)


def test_loss_dict_and_gradients():
    head = make_head()
    x = feats(6)
    losses = head.loss(x, samples([0, 0, 1, 1, 2, 3]))
    assert set(losses) == {'loss_cls', 'loss_inter', 'loss_intra',
                           'top1_acc', 'top5_acc'}
    for key in ('loss_cls', 'loss_inter', 'loss_intra'):
        assert losses[key].dim() == 0 and losses[key].dtype == torch.float32
        assert torch.isfinite(losses[key])
    assert losses['loss_inter'] == 0  # no families yet
    assert losses['top5_acc'] == 1  # 5 classes: every label is in the top 5
    total = losses['loss_cls'] + losses['loss_inter'] + losses['loss_intra']
    total.backward()
    for name, param in head.named_parameters():
        assert param.grad is not None, name
    assert x.grad is not None and x.grad.abs().sum() > 0
    # the intra loss reaches the projection only
    head.zero_grad()
    head.loss(feats(6), samples([0, 0, 1, 1, 2, 3]))['loss_intra'].backward()
    assert head.projector.weight.grad.abs().sum() > 0
    assert head.fc.weight.grad is None or head.fc.weight.grad.abs().sum() == 0


def test_losses_match_the_pure_functions():
    head = make_head(memory_size=0)
    x = feats(6)
    labels = torch.tensor([0, 0, 1, 1, 2, 3])
    # install a family state by hand: class 0 <-> 1
    head.prototype_seen.fill_(1)
    head.prototypes.copy_(torch.randn(5, 256))
    head.family_mask[0, 1] = head.family_mask[1, 0] = 1
    head.temperatures.fill_(0.1)
    prototypes = head.prototypes.clone()
    losses = head.loss(x, samples(labels))
    embeddings = F.normalize(head.projector(head.pre_logits(x)), dim=1)
    inter = affinity_contrast_loss(embeddings, labels, prototypes,
                                   head.family_mask.bool(), head.temperatures)
    intra = marginal_contrast_loss(embeddings, labels)
    assert losses['loss_inter'].item() == pytest.approx(0.1 * inter.item(), 1e-5)
    assert losses['loss_intra'].item() == pytest.approx(0.1 * intra.item(), 1e-5)
    assert losses['loss_inter'] > 0


def test_prototypes_ema_and_first_sight():
    head = make_head(prototype_momentum=0.9)
    x = feats(4)
    labels = torch.tensor([0, 0, 1, 3])
    head.loss(x, samples(labels))
    emb = F.normalize(head.projector(head.pre_logits(x)), dim=1).detach()
    # first sight: the batch mean
    torch.testing.assert_close(head.prototypes[0], emb[:2].mean(0))
    torch.testing.assert_close(head.prototypes[3], emb[3])
    assert head.prototype_seen.tolist() == [1, 1, 0, 1, 0]
    assert head.prototypes[2].abs().sum() == 0
    before = head.prototypes.clone()
    x2 = feats(2) * 2
    head.loss(x2, samples([0, 2]))
    emb2 = F.normalize(head.projector(head.pre_logits(x2)), dim=1).detach()
    torch.testing.assert_close(head.prototypes[0],
                               0.9 * before[0] + 0.1 * emb2[0])
    torch.testing.assert_close(head.prototypes[2], emb2[1])
    torch.testing.assert_close(head.prototypes[1], before[1])  # absent
    assert not head.prototypes.requires_grad


def test_prototypes_from_correct_samples_only():
    head = make_head(prototype_samples='correct')
    x = feats(4)
    head.loss(x, samples([0, 1, 2, 3]))
    preds = head(x).argmax(1)
    seen = torch.zeros(5)
    for label, pred in zip([0, 1, 2, 3], preds.tolist()):
        seen[label] = max(seen[label], float(label == pred))
    assert torch.equal(head.prototype_seen, seen)


def test_confusion_counts_only_when_collecting():
    head = make_head()
    x = feats(6)
    labels = torch.tensor([0, 1, 2, 3, 4, 0])
    head.loss(x, samples(labels))
    assert head.confusion.sum() == 0
    head.set_confusion_collection(True)
    head.loss(x, samples(labels))
    preds = head(x).argmax(1)
    expected = torch.zeros(5, 5)
    for y, p in zip(labels.tolist(), preds.tolist()):
        if y != p:
            expected[y, p] += 1
    torch.testing.assert_close(head.confusion, expected)


def test_update_families_sets_mask_and_temperatures():
    head = make_head(num_classes=6, num_neighbors=2, overlap_threshold=1)
    head.confusion.copy_(torch.tensor([
        [0, 5, 3, 0, 0, 0],
        [4, 0, 2, 0, 0, 0],
        [1, 1, 0, 0, 0, 0],
        [0, 0, 0, 0, 7, 0],
        [0, 0, 0, 6, 0, 0],
        [0, 0, 0, 0, 0, 0.]]))
    out = head.update_families()
    # neighbours (K=2): 0:{1,2} 1:{0,2} 2:{0,1} 3:{4} 4:{3} 5:{}
    # threshold 1/2: direct neighbours w >= 0.5 + shared/deg; members are
    # neighbours that share >= 1 neighbour, or non-neighbours sharing > half
    assert head.families() == [[1, 2], [0, 2], [0, 1], [], [], []]
    assert out['families'].dtype == torch.bool
    assert head.temperatures.tolist() == pytest.approx([0.1] * 6)
    head.family_temperature.boundaries = (1, 2)
    head.update_families()
    assert head.temperatures.tolist() == pytest.approx(
        [0.5, 0.5, 0.5, 0.1, 0.1, 0.1])


def test_memory_queue_fills_in_order_and_wraps():
    head = make_head(memory_size=5)
    head.loss(feats(3), samples([0, 1, 2]))
    assert head.queue_labels.tolist() == [0, 1, 2, -1, -1]
    assert head.queue_ptr.item() == 3
    head.loss(feats(4), samples([3, 4, 1, 0]))  # slots 3, 4, 0, 1
    assert head.queue_labels.tolist() == [1, 0, 2, 3, 4]
    assert head.queue_ptr.item() == 2
    norms = head.queue_embeddings.norm(dim=1)
    torch.testing.assert_close(norms, torch.ones(5))


def test_memory_queue_joins_the_intra_contrast():
    head = make_head(memory_size=8)
    x = feats(2)
    labels = torch.tensor([0, 1])
    # no positives in the batch: loss 0 without a queue
    assert head.loss(x, samples(labels))['loss_intra'] == 0
    # now the queue holds the previous batch: positives for both anchors
    assert head.loss(x, samples(labels))['loss_intra'] != 0


def test_num_clips_greater_than_one():
    head = make_head()
    x = feats(6)  # 3 samples x 2 clips
    data = samples([0, 1, 2])
    losses = head.loss(x, data)
    assert torch.isfinite(losses['loss_cls'])
    assert losses['loss_intra'] != 0  # clips of a sample are positives
    head.eval()
    with torch.no_grad():
        out = head.predict(x, samples([0, 1, 2]))
    assert len(out) == 3
    scores = F.softmax(head(x), 1).view(3, 2, 5).mean(1)
    torch.testing.assert_close(out[1].pred_score, scores[1])
    with pytest.raises(ValueError, match='do not split'):
        head.loss(feats(5), data)


def test_drop_in_for_gcn_head():
    """Same predictions as GCNHead from a GCNHead checkpoint."""
    gcn = GCNHead(5, 8)
    gcn.init_weights()
    head = AffinityContrastHead(5, 8)
    missing = head.load_state_dict(gcn.state_dict(), strict=False)
    assert not missing.unexpected_keys
    assert all(k.startswith(('projector', 'confusion', 'prototype', 'family',
                             'temperatures', 'queue'))
               for k in missing.missing_keys)
    x = feats(4, requires_grad=False)
    gcn.eval(), head.eval()
    torch.testing.assert_close(head(x), gcn(x))
    a = head.predict(x, samples([0, 1, 2, 3]))
    b = gcn.predict(x, samples([0, 1, 2, 3]))
    for s, t in zip(a, b):
        torch.testing.assert_close(s.pred_score, t.pred_score)
        assert torch.equal(s.pred_label, t.pred_label)


def test_built_from_registry_with_paper_defaults():
    head = MODELS.build(dict(type='AffinityContrastHead', num_classes=60,
                             in_channels=256))
    assert head.embed_dim == 256
    assert head.loss_inter.loss_weight == 0.1
    assert head.loss_intra.loss_weight == 0.1
    assert head.loss_intra.margin == 0.1
    assert head.loss_intra.temperature == 0.1
    assert head.num_neighbors == 10 and head.overlap_threshold == 4
    assert head.family_temperature.num_neighbors == 10
    assert head.family_temperature.temperatures == (0.1, 0.5, 1.0)
    assert head.prototype_momentum == 0.9
    assert head.memory_size == 0
    for name, buf in head.named_buffers():
        assert buf.dtype == torch.float32, name


@pytest.mark.parametrize('kwargs, match', [
    (dict(num_neighbors=0), 'num_neighbors'),
    (dict(overlap_threshold=-1), 'overlap_threshold'),
    (dict(memory_size=-2), 'memory_size'),
    (dict(prototype_momentum=1.0), 'prototype_momentum'),
    (dict(prototype_samples='some'), 'prototype_samples'),
    (dict(projection='conv'), 'projection'),
    (dict(loss_intra=dict(type='MarginalContrastLoss', margin=-0.1)),
     'margin'),
    (dict(family_temperature=dict(type='FamilyAwareTemperature',
                                  temperatures=(0.1, 0.0, 1.0))),
     'temperatures'),
])
def test_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        AffinityContrastHead(5, 8, **kwargs)


def test_warns_once_without_hook(monkeypatch):
    from aclnet_plugin.models.heads import affinity_contrast_head as module
    logged = []
    monkeypatch.setattr(module, 'print_log',
                        lambda msg, **kwargs: logged.append((msg, kwargs)))
    head = AffinityContrastHead(5, 8)
    head.loss(feats(2), samples([0, 1]))
    head.loss(feats(2), samples([0, 1]))
    assert len(logged) == 1
    assert 'MotionFamilyHook' in logged[0][0]
    assert logged[0][1]['level'] == 30  # WARNING
    attached = AffinityContrastHead(5, 8)
    attached.set_confusion_collection(False)
    attached.loss(feats(2), samples([0, 1]))
    no_inter = AffinityContrastHead(
        5, 8, loss_inter=dict(type='AffinityContrastLoss', loss_weight=0.))
    no_inter.loss(feats(2), samples([0, 1]))
    assert len(logged) == 1


def test_mlp_projection():
    head = make_head(projection='mlp', embed_dim=16)
    losses = head.loss(feats(4), samples([0, 0, 1, 1]))
    assert head.prototypes.shape == (5, 16)
    assert torch.isfinite(losses['loss_intra'])


@pytest.mark.parametrize('recipe', ['equations', 'authors'])
def test_training_step_makes_no_host_sync(monkeypatch, recipe):
    """No .item(), .cpu(), .tolist() or Python branch on tensor values; in
    the authors' recipe with the families recomputed inside the step and a
    full queue."""
    head = make_head(memory_size=16, recipe=recipe)
    head.set_confusion_collection(True)
    head.family_mask[0, 1] = 1
    x = feats(8)
    data = samples([0, 0, 1, 1, 2, 2, 3, 4])
    if recipe == 'authors':
        head.loss(x, data)  # the queue holds 8 of 16: full for 8 more
        head.schedule_family_update()

    def forbidden(name):
        def fail(*args, **kwargs):
            raise AssertionError(f'host synchronisation: Tensor.{name}')
        return fail

    for name in ('item', 'cpu', 'tolist', 'numpy', '__bool__', '__int__',
                 '__float__', '__index__'):
        monkeypatch.setattr(torch.Tensor, name, forbidden(name))
    losses = head.loss(x, data)
    total = sum(v for k, v in losses.items() if 'loss' in k)
    total.backward()
    monkeypatch.undo()
    assert torch.isfinite(total)
    if recipe == 'authors':  # what ran without a sync did act
        assert losses['loss_intra'] != 0 and losses['loss_inter'] != 0
        assert head.take_family_update() is not None


def test_gcn_head_contract_in_channels_and_shapes():
    """What mmaction2's own GCNHead test checks holds for this head."""
    with pytest.raises(AssertionError, match='in_channels=5'):
        AffinityContrastHead(4, 5)(torch.rand(1, 2, 6, 75, 17))
    for dropout in (0., 0.1):
        head = AffinityContrastHead(num_classes=60, in_channels=256,
                                    dropout=dropout)
        head.init_weights()
        scores = head(torch.rand(1, 2, 256, 75, 25))
        assert (head.num_classes, head.in_channels) == (60, 256)
        assert scores.shape == torch.Size([1, 60])


def test_symmetric_confusion():
    """H[0, 1] = 5 and nothing else: with K = 1, n_a = 0 class 0's only
    neighbour is 1 while 1 has none; from H + H^T each has the other."""
    confusion = torch.zeros(3, 3)
    confusion[0, 1] = 5
    plain = make_head(num_classes=3, num_neighbors=1, overlap_threshold=0)
    both = make_head(num_classes=3, num_neighbors=1, overlap_threshold=0,
                     symmetric_confusion=True)
    for head in (plain, both):
        head.confusion.copy_(confusion)
        head.update_families()
    assert plain.families() == [[1], [], []]
    assert both.families() == [[1], [0], []]
    assert torch.equal(both.confusion, confusion)  # the counts stay H


def test_update_families_summary():
    """K = 2, n_a = 1 (w > 1/2). Neighbours: 0 -> {1, 2}, 1 -> {0, 2},
    2 -> {0}. w[0, 1] = 1/2 + 1/2, w[0, 2] = 1/2 + 0 (not > 1/2),
    w[1, 0] = w[1, 2] = 1/2 + 1/2, w[2, 0] = 1/2 + 0, w[2, 1] = 0 + 1/1:
    families 0: {1}, 1: {0, 2}, 2: {1}."""
    head = make_head(num_classes=6, num_neighbors=2, overlap_threshold=1)
    head.confusion[0, 1] = head.confusion[1, 0] = 3
    head.confusion[0, 2] = head.confusion[2, 0] = 1
    head.confusion[1, 2] = 1
    out = head.update_families()
    assert head.families() == [[1], [0, 2], [1], [], [], []]
    assert out['summary'] == dict(
        classes_with_family=3, mean_family_size=0.667, max_family_size=2,
        classes_in_own_family=0,
        classes_per_temperature={'0.1': 6, '0.5': 0, '1': 0})
    torch.testing.assert_close(out['temperatures'], head.temperatures)


def test_schedule_surface():
    head = AffinityContrastHead(5, 8)
    assert not head.has_family_schedule and not head.collecting_confusion
    head.set_confusion_collection(False)
    assert head.has_family_schedule and not head.collecting_confusion
    head.set_confusion_collection(True)
    assert head.collecting_confusion


@pytest.mark.parametrize('mode', ['projection', 'feature'])
def test_test_embedding_for_retrieval(mode):
    """With test_embedding the predictions are unchanged and every sample
    carries its clips' normalised embeddings, in clip order."""
    plain = make_head()
    head = make_head(test_embedding=mode)
    head.load_state_dict(plain.state_dict())
    plain.eval(), head.eval()
    x = feats(6, requires_grad=False)  # 3 samples x 2 clips
    with torch.no_grad():
        a = plain.predict(x, samples([0, 1, 2]))
        b = head.predict(x, samples([0, 1, 2]))
        feat = head.pre_logits(x)
        expected = (head.embed(feat) if mode == 'projection' else
                    F.normalize(feat, dim=1)).view(3, 2, -1)
    for s, t, e in zip(a, b, expected):
        torch.testing.assert_close(s.pred_score, t.pred_score)
        assert 'pred_embedding' not in s
        torch.testing.assert_close(t.pred_embedding, e)
    dim = 256 if mode == 'projection' else 8
    assert b[0].pred_embedding.shape == (2, dim)
    with pytest.raises(ValueError, match='test_embedding'):
        make_head(test_embedding='pooled')


def test_clips_of_a_sample_are_adjacent_rows():
    """With num_clips = 2, rows 0-1 are sample 0's clips and rows 2-3
    sample 1's (mmaction's RecognizerGCN order): prototypes and confusion
    take each row's label from its own sample (repeat_interleave)."""
    head = make_head()
    head.set_confusion_collection(True)
    x = feats(4)
    head.loss(x, samples([0, 3]))
    with torch.no_grad():
        emb = F.normalize(head.projector(head.pre_logits(x)), dim=1)
        preds = head(x).argmax(1)
    torch.testing.assert_close(head.prototypes[0], emb[0:2].mean(0))
    torch.testing.assert_close(head.prototypes[3], emb[2:4].mean(0))
    expected = torch.zeros(5, 5)
    for y, p in zip([0, 0, 3, 3], preds.tolist()):
        if y != p:
            expected[y, p] += 1
    torch.testing.assert_close(head.confusion, expected)


def test_unseen_prototypes_leave_the_family():
    """A family member whose prototype was never seen is not in the inter
    loss's denominator: the loss equals the one with that member removed,
    and differs from the one that keeps it."""
    head = make_head(memory_size=0)
    head.prototypes.copy_(F.normalize(torch.randn(5, 256), dim=1))
    head.prototype_seen.copy_(torch.tensor([1., 1., 0., 1., 1.]))
    head.family_mask[0, 1] = head.family_mask[0, 2] = 1
    head.temperatures.fill_(0.1)
    prototypes = head.prototypes.clone()
    x = feats(3)
    labels = torch.tensor([0, 0, 3])
    loss = head.loss(x, samples(labels))['loss_inter']
    emb = F.normalize(head.projector(head.pre_logits(x)), dim=1)
    without = torch.zeros(5, 5, dtype=torch.bool)
    without[0, 1] = True
    with_unseen = without.clone()
    with_unseen[0, 2] = True
    temps = torch.full((5, ), 0.1)
    expected = 0.1 * affinity_contrast_loss(emb, labels, prototypes, without,
                                            temps)
    wrong = 0.1 * affinity_contrast_loss(emb, labels, prototypes,
                                         with_unseen, temps)
    torch.testing.assert_close(loss, expected)
    assert not torch.isclose(loss, wrong)


def test_queue_keeps_the_newest_rows_of_a_large_batch():
    head = make_head(memory_size=3)
    x = feats(5)
    head.loss(x, samples([0, 1, 2, 3, 4]))
    with torch.no_grad():
        emb = F.normalize(head.projector(head.pre_logits(x)), dim=1)
    assert head.queue_labels.tolist() == [2, 3, 4]
    torch.testing.assert_close(head.queue_embeddings, emb[2:])
    assert head.queue_ptr.item() == 0  # 5 rows into 3 slots: (0 + 3) % 3


def test_queue_contribution_to_the_intra_loss_exactly():
    """The intra loss of a batch with a filled queue is the marginal loss of
    the batch against the queue's embeddings and labels (before this step's
    push), scaled by lambda2."""
    head = make_head(memory_size=4)
    head.loss(feats(4) * 3, samples([0, 1, 2, 0]))  # fills the queue
    queue_emb = head.queue_embeddings.clone()
    queue_labels = head.queue_labels.clone()
    x = feats(2)
    labels = torch.tensor([0, 1])
    loss = head.loss(x, samples(labels))['loss_intra']
    emb = F.normalize(head.projector(head.pre_logits(x)), dim=1)
    expected = marginal_contrast_loss(emb, labels, queue_emb,
                                      queue_labels.long())
    torch.testing.assert_close(loss, 0.1 * expected)
    assert loss != 0


def test_non_finite_rows_leave_the_state_alone():
    """A sample with NaN features (a batch the optimiser wrapper will skip)
    updates no prototype, no confusion count and no queue entry."""
    head = make_head(memory_size=4)
    head.set_confusion_collection(True)
    x = feats(3, requires_grad=False)
    x[1] = float('nan')
    head.loss(x, samples([0, 1, 2]))
    with torch.no_grad():
        emb = F.normalize(head.projector(head.pre_logits(x)), dim=1)
    assert head.prototype_seen.tolist() == [1, 0, 1, 0, 0]
    torch.testing.assert_close(head.prototypes[0], emb[0])
    assert torch.isfinite(head.prototypes).all()
    assert head.confusion[1].sum() == 0
    # the queue takes the valid rows only, in order
    assert head.queue_labels.tolist() == [0, 2, -1, -1]
    assert head.queue_ptr.item() == 2
    assert torch.isfinite(head.queue_embeddings).all()


def test_soft_labels_from_mixup_train_as_gcn_head():
    """mmaction's MixupBlending gives float (C,) labels: the classifier's
    loss is GCNHead's soft cross-entropy on the same weights, and the
    contrastive losses and the state use the argmax class."""
    from mmaction.models.utils import MixupBlending
    torch.manual_seed(0)
    x = feats(4)
    data = samples([0, 1, 2, 3])
    _, data = MixupBlending(num_classes=5, alpha=0.4)(x.detach(), data)
    soft = torch.stack([s.gt_label for s in data])
    assert soft.shape == (4, 5) and soft.is_floating_point()
    gcn = GCNHead(5, 8)
    gcn.init_weights()
    head = make_head()
    head.load_state_dict(gcn.state_dict(), strict=False)
    head.set_confusion_collection(True)
    losses = head.loss(x, data)
    expected = gcn.loss(x, data)['loss_cls']
    torch.testing.assert_close(losses['loss_cls'], expected)
    manual = -(soft * F.log_softmax(head(x), dim=1)).sum(1).mean()
    torch.testing.assert_close(losses['loss_cls'], manual)
    assert head.prototype_seen.tolist() == [
        float(c in soft.argmax(1).tolist()) for c in range(5)]
    assert torch.isfinite(losses['loss_intra'])


def test_inter_loss_scale():
    head = make_head()
    head.prototype_seen.fill_(1)
    head.prototypes.copy_(torch.randn(5, 256))
    head.family_mask[0, 1] = head.family_mask[1, 0] = 1
    scaled = copy.deepcopy(head)  # the same prototypes for both
    full = head.loss(feats(4), samples([0, 1, 0, 1]))['loss_inter']
    scaled.set_inter_loss_scale(0.25)
    quarter = scaled.loss(feats(4), samples([0, 1, 0, 1]))['loss_inter']
    torch.testing.assert_close(quarter, 0.25 * full, rtol=1e-4, atol=1e-6)
    with pytest.raises(ValueError, match='scale'):
        head.set_inter_loss_scale(1.5)


def test_confusion_decay_weighs_recent_epochs_more():
    """With decay 0.5, an epoch's counts weigh half at the next recompute:
    class 0, confused with 1 three times early and with 2 twice late, is
    a neighbour of 1 with cumulative counts (3 > 2) and of 2 with decayed
    ones (1.5 < 2)."""
    families = {}
    for decay in (1.0, 0.5):
        head = make_head(num_classes=3, num_neighbors=1,
                         overlap_threshold=0, confusion_decay=decay)
        head.confusion[0, 1] = 3  # the early epoch
        head.update_families()
        head.confusion[0, 2] += 2  # the late epoch
        head.update_families()
        families[decay] = head.families()[0]
        assert head.confusion[0, 1].item() == pytest.approx(3 * decay**2)
    assert families == {1.0: [1], 0.5: [2]}
    with pytest.raises(ValueError, match='confusion_decay'):
        make_head(confusion_decay=0)


@pytest.mark.parametrize('projection', ['linear', 'mlp'])
def test_initialisation_log_says_what_the_projections_hold(monkeypatch,
                                                           projection):
    """GCNHead's N(0, 0.01) for fc; with the topology input the projections
    get PyTorch's default Linear initialisation, and mmengine's log says so
    (not NormalInit), for the head alone and inside a recognizer."""
    from mmengine.model import BaseModule
    info = {}

    def dump(module):  # what mmengine writes into the log, per parameter
        info.update({name: module._params_init_info[param]['init_info']
                     for name, param in module.named_parameters()})

    monkeypatch.setattr(BaseModule, '_dump_init_info', dump)
    head = AffinityContrastHead(5, 8, contrast_input='topology',
                                num_joints=21, projection=projection)
    head.init_weights()
    assert info['fc.weight'].startswith('NormalInit: mean=0, std=0.01')
    projections = [k for k in info if 'projector' in k]
    assert len(projections) == (4 if projection == 'linear' else 8)
    for key in projections:
        assert info[key].startswith('PyTorchDefaultInit'), (key, info[key])
    # and the weights are PyTorch's: uniform within 1 / sqrt(fan_in)
    first = (head.inter_projector if projection == 'linear' else
             head.inter_projector[0])
    bound = 1 / first.in_features**0.5
    assert first.weight.abs().max() <= bound
    assert first.weight.std() > 0.4 * bound  # not N(0, 0.01)
    # inside a recognizer too
    info.clear()
    model = MODELS.build(dict(
        type='RecognizerGCN',
        backbone=dict(type='ACLNetGCN', graph_cfg=dict(layout='fpha-hand'),
                      base_channels=8, num_stages=2, out_topology=True),
        cls_head=dict(type='AffinityContrastHead', num_classes=5,
                      in_channels=8, contrast_input='topology',
                      num_joints=21, projection=projection)))
    model.init_weights()
    assert all(v.startswith('PyTorchDefaultInit')
               for k, v in info.items() if 'projector' in k)
    assert info['cls_head.fc.weight'].startswith('NormalInit')


def test_authors_counts_are_exact_under_half_precision_autocast():
    """514 samples, 257 of class 0 and 257 of class 1, all predicted as
    class 0: the pair term adds 257 x 257 at (0, 1), from a one-hot matmul
    that bfloat16 (8 significant bits) would round (257 -> 256)."""
    head = make_head(num_classes=3, in_channels=4, recipe='authors')
    head.set_confusion_collection(True)
    with torch.no_grad():
        head.fc.weight.zero_()
        head.fc.bias.copy_(torch.tensor([5., 0., 0.]))
    x = torch.randn(514, 1, 4, 1, 1)
    with torch.autocast('cpu', dtype=torch.bfloat16):
        head.loss(x, samples([0] * 257 + [1] * 257))
    # errors: the 257 of class 1 at (1, 0); pairs: 257 x 257 at (0, 1)
    expected = torch.zeros(3, 3)
    expected[1, 0] = 257
    expected[0, 1] = 257 * 257
    assert torch.equal(head.confusion, expected)
