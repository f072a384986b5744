"""ACLNetGCN (the authors' backbone) and the head's topology input."""
import pytest
import torch

from aclnet_plugin.models import ACLNetGCN, AffinityContrastHead
from mmaction.models import GCNHead
from mmaction.registry import MODELS
from mmaction.structures import ActionDataSample

NTU = dict(layout='nturgb+d')


def expected_parameters(widths, strides, V, C=3, K=8):
    """The parameter count of the architecture in PAPER_MODEL.md, written
    out per layer (conv weight + bias, BN weight + bias)."""

    def conv(i, o, k=1):
        return i * o * k + o

    def bn(c):
        return 2 * c

    total = bn(V * C)  # data BN
    c_in = C
    for index, (c_out, stride) in enumerate(zip(widths, strides)):
        # spatial unit: graphs, pre (conv, BN), post, phi, psi, alpha, beta,
        # unit residual where the width changes, BN
        total += K * V * V + conv(c_in, c_out) + bn(c_out) + conv(c_out, c_out)
        total += 2 * conv(c_in, c_out) + 2 + bn(c_out)
        if c_in != c_out:
            total += conv(c_in, c_out) + bn(c_out)
        # temporal unit: 6 branches of c_out // 6 (the first takes the rest);
        # 4 dilated (1x1, BN, k=3 conv), max pool (1x1, BN), plain 1x1
        w = c_out // 6
        widths6 = [c_out - 5 * w] + [w] * 5
        for b, width in enumerate(widths6):
            total += conv(c_out, width)
            if b < 5:
                total += bn(width)
            if b < 4:
                total += conv(width, width, 3)
        total += bn(c_out) + conv(c_out, c_out) + bn(c_out) + V
        # block residual: none in block 1, conv + BN where the shape changes
        if index > 0 and (c_in != c_out or stride != 1):
            total += conv(c_in, c_out) + bn(c_out)
        c_in = c_out
    return total


def num_params(module):
    return sum(p.numel() for p in module.parameters())


def test_parameter_count():
    backbone = ACLNetGCN(NTU)
    widths = [96] * 4 + [192] * 3 + [384] * 3
    strides = [1, 1, 1, 1, 2, 1, 1, 2, 1, 1]
    assert num_params(backbone) == expected_parameters(widths, strides, 25)
    fc = 384 * 60 + 60
    projections = 2 * (625 * 256 + 256)
    baseline = num_params(backbone) + fc
    print(f'ACLNetGCN for NTU-60: {baseline} with the classifier, '
          f'{baseline + projections} with the two projections '
          '(paper: 3.56M, 3.86M)')
    assert baseline == 3_728_656
    head = AffinityContrastHead(60, 384, contrast_input='topology',
                                num_joints=25)
    assert num_params(head) - fc == projections
    assert backbone.out_channels == 384


@pytest.mark.parametrize('layout,V', [('nturgb+d', 25), ('nw-ucla', 20),
                                      ('coco20', 20), ('fpha-hand', 21),
                                      ('coco', 17)])
@pytest.mark.parametrize('persons', [1, 2])
def test_output_shapes(layout, V, persons):
    torch.manual_seed(0)
    backbone = ACLNetGCN(dict(layout=layout), base_channels=8,
                         out_topology=True)
    x = torch.randn(3, persons, 13, V, 3)
    feat, topology = backbone(x)
    assert feat.shape == (3, persons, 32, 4, V)  # 13 -> 7 -> 4 frames
    assert topology.shape == (3, V * V)
    backbone.out_topology = False
    assert backbone(x).shape == (3, persons, 32, 4, V)


def test_layout_as_a_dict_and_bad_graph_configs():
    layout = dict(num_node=7, inward=[(i, 0) for i in range(1, 7)], center=0)
    backbone = ACLNetGCN(dict(layout=layout), base_channels=8)
    assert backbone.num_joints == 7
    assert backbone.gcn[0].gcn.A.shape == (8, 7, 7)
    with pytest.raises(ValueError, match="mode must be 'random'"):
        ACLNetGCN(dict(layout='nturgb+d', mode='spatial'))
    with pytest.raises(ValueError, match='unknown graph_cfg keys'):
        ACLNetGCN(dict(layout='nturgb+d', max_hop=2))
    with pytest.raises(ValueError, match='multiple of the number of subsets'):
        ACLNetGCN(NTU, base_channels=12)


def test_graphs_start_from_one_draw_of_the_prior():
    torch.manual_seed(0)
    backbone = ACLNetGCN(NTU, base_channels=16)
    graphs = [block.gcn.A for block in backbone.gcn]
    assert all(torch.equal(g, graphs[0]) for g in graphs)
    assert graphs[0].data_ptr() != graphs[1].data_ptr()  # each its own
    # N(0.04, 0.02^2): 8 x 25 x 25 = 5000 draws
    assert abs(graphs[0].mean().item() - 0.04) < 0.002
    assert abs(graphs[0].std().item() - 0.02) < 0.002
    for block in backbone.gcn:
        assert block.gcn.alpha.item() == 0 and block.gcn.beta.item() == 0
        assert torch.equal(block.tcn.global_weight,
                           torch.zeros_like(block.tcn.global_weight))


def test_spatial_unit_against_a_loop_reference():
    """The effective adjacency and the message of one subset, joint by
    joint, for a non-zero alpha and beta."""
    from aclnet_plugin.models.backbones.aclnet_gcn import TopologyGraphConv
    torch.manual_seed(0)
    V, K = 4, 2
    unit = TopologyGraphConv(3, 4, torch.rand(K, V, V)).eval()
    with torch.no_grad():
        unit.alpha.fill_(0.7)
        unit.beta.fill_(-0.3)
    x = torch.randn(1, 3, 5, V)
    out, topology = unit(x)
    mid = 2
    pooled = x.mean(dim=2, keepdim=True)
    phi = unit.conv1(pooled).view(K, mid, V)
    psi = unit.conv2(pooled).view(K, mid, V)
    feats = unit.pre(x).view(K, mid, 5, V)
    messages = torch.zeros(K, mid, 5, V)
    for k in range(K):
        scores = torch.zeros(V, V)
        for v in range(V):
            for w in range(V):
                scores[v, w] = (phi[k, :, v] * psi[k, :, w]).sum()
        adaptive = torch.softmax(scores, dim=0)  # over v, for each w
        for c in range(mid):
            for v in range(V):
                for w in range(V):
                    term = 0.7 * torch.tanh(phi[k, c, v] - psi[k, c, w]) \
                        - 0.3 * adaptive[v, w]
                    torch.testing.assert_close(topology[0, k, c, v, w], term)
                    messages[k, c, :, w] += feats[k, c, :, v] * (
                        unit.A[k, v, w] + term)
    expected = unit.relu(
        unit.bn(unit.post(messages.reshape(1, K * mid, 5, V))) +
        unit.down(x))
    torch.testing.assert_close(out, expected)


def test_global_joint_column():
    """Each joint gets its own output plus the global column's output times
    its weight (a constant input over the joints makes them all equal)."""
    from aclnet_plugin.models.backbones.aclnet_gcn import GlobalJointTCN
    torch.manual_seed(0)
    tcn = GlobalJointTCN(12, 12, num_joints=5).eval()
    x = torch.randn(2, 12, 9, 5)
    with torch.no_grad():
        base = tcn(x)
        tcn.global_weight.copy_(torch.tensor([0., 1., 0., 0., 2.]))
        moved = tcn(x)
    assert torch.equal(moved[..., 0], base[..., 0])  # weight 0: unchanged
    assert not torch.allclose(moved[..., 1], base[..., 1])
    # the global column's branch outputs, for joint 4 at twice the weight
    with torch.no_grad():
        column = torch.cat([x, x.mean(-1, keepdim=True)], -1)
        out = torch.cat([b(column) for b in tcn.branches], dim=1)
        local = out[..., :5] + out[..., 5:] * tcn.global_weight
        torch.testing.assert_close(moved, tcn.bn(tcn.transform(local)))


def _batch(labels):
    return [ActionDataSample().set_gt_label(y) for y in labels]


def _model(seed=0, **head):
    torch.manual_seed(seed)
    backbone = ACLNetGCN(NTU, base_channels=16, out_topology=True)
    head = AffinityContrastHead(4, 64, contrast_input='topology',
                                num_joints=25, **head)
    head.init_weights()
    return backbone, head


def test_topology_is_exactly_zero_at_initialisation():
    backbone, _ = _model()
    backbone.init_weights()
    _, topology = backbone(torch.randn(4, 2, 16, 25, 3))
    assert torch.equal(topology, torch.zeros_like(topology))


def _contrastive_grads(backbone, head, x, labels):
    backbone.zero_grad()
    head.zero_grad()
    losses = head.loss(backbone(x), _batch(labels))
    (losses['loss_inter'] + losses['loss_intra']).backward()  # no CE
    return losses, {
        name: p.grad.abs().sum().item() if p.grad is not None else 0.
        for name, p in backbone.named_parameters()
    }


def test_contrastive_losses_alone_reach_alpha_and_beta_through_the_topology():
    """With cross-entropy left out, the two losses move the last block's
    alpha and beta, and reach the backbone through its topology only.

    At the very start (alpha = beta = 0) every sample has the same
    embedding and the contrastive gradients vanish exactly: cross-entropy
    moves alpha and beta first (one step here), then the contrast acts."""
    backbone, head = _model(memory_size=0, num_neighbors=2,
                            overlap_threshold=0)
    backbone.init_weights()
    last = len(backbone.gcn) - 1
    x = torch.randn(6, 2, 16, 25, 3)
    labels = [0, 0, 1, 1, 2, 3]
    # families: 0 <-> 1 (class 0 confused with 1 and the reverse), seen
    head.confusion.copy_(torch.tensor([[0., 3, 1, 0], [3, 0, 1, 0],
                                       [1, 1, 0, 0], [0, 0, 0, 0]]))
    head.update_families()
    assert head.family_mask[0, 1] and head.family_mask[1, 0]

    _, grads = _contrastive_grads(backbone, head, x, labels)
    # the start: a saddle (zero but for rounding)
    assert grads[f'gcn.{last}.gcn.alpha'] < 1e-7
    assert grads[f'gcn.{last}.gcn.beta'] < 1e-7

    # one plain cross-entropy step moves every alpha and beta off 0
    params = list(backbone.parameters()) + list(head.parameters())
    optimizer = torch.optim.SGD(params, lr=0.1)
    losses = head.loss(backbone(x), _batch(labels))
    losses['loss_cls'].backward()
    optimizer.step()
    assert backbone.gcn[last].gcn.alpha.item() != 0
    assert backbone.gcn[last].gcn.beta.item() != 0

    losses, grads = _contrastive_grads(backbone, head, x, labels)
    assert losses['loss_inter'].item() > 0 and losses['loss_intra'] != 0
    print({k: v for k, v in grads.items() if 'alpha' in k or 'beta' in k})
    assert grads[f'gcn.{last}.gcn.alpha'] > 1e-4
    assert grads[f'gcn.{last}.gcn.beta'] > 1e-4
    assert grads[f'gcn.{last}.gcn.conv1.weight'] > 1e-4  # phi, psi
    # nothing after the topology in the last block, nor the classifier, is
    # reached: the losses shape the graph, not the classifier's feature
    after = [name for name in grads
             if name.startswith((f'gcn.{last}.gcn.post', f'gcn.{last}.tcn',
                                 f'gcn.{last}.gcn.bn'))]
    assert after and all(grads[name] == 0 for name in after)
    assert head.fc.weight.grad is None or not head.fc.weight.grad.any()


def test_prototypes_of_the_inter_embedding_queue_of_the_intra_one():
    backbone, head = _model(memory_size=8)
    backbone.init_weights()
    torch.nn.init.normal_(head.inter_projector.weight)
    torch.nn.init.normal_(head.intra_projector.weight)
    with torch.no_grad():
        backbone.gcn[-1].gcn.alpha.fill_(0.5)
    x = torch.randn(4, 1, 16, 25, 3)
    with torch.no_grad():
        feats = backbone(x)
        head.loss(feats, _batch([0, 1, 2, 3]))
        inter, intra = head.embeddings(head.pre_logits(feats[0]), feats[1])
    assert not torch.allclose(inter, intra)
    torch.testing.assert_close(head.prototypes, inter)
    torch.testing.assert_close(head.queue_embeddings[:4], intra)


def test_gcn_head_works_on_the_backbone():
    backbone = ACLNetGCN(NTU, base_channels=16)
    head = GCNHead(num_classes=5, in_channels=64)
    scores = head(backbone(torch.randn(2, 2, 16, 25, 3)))
    assert scores.shape == (2, 5)


def test_the_head_and_backbone_must_agree_on_the_topology():
    from mmaction.models import STGCN
    head = AffinityContrastHead(4, 64, contrast_input='topology',
                                num_joints=25)
    stgcn = STGCN(graph_cfg=dict(layout='nturgb+d', mode='spatial'),
                  base_channels=16)
    with pytest.raises(ValueError, match='STGCN does not return one'):
        head.check_backbone(stgcn)
    with pytest.raises(ValueError, match='out_topology=True'):
        head.loss(torch.randn(2, 1, 64, 4, 25), _batch([0, 1]))
    with pytest.raises(ValueError, match='num_joints=20'):
        head.check_backbone(ACLNetGCN(dict(layout='nw-ucla'), base_channels=8,
                                      out_topology=True))
    with pytest.raises(ValueError, match='441 values a sample'):
        head.loss((torch.randn(2, 1, 64, 4, 21), torch.randn(2, 441)),
                  _batch([0, 1]))
    head.check_backbone(ACLNetGCN(NTU, base_channels=8, out_topology=True))
    feature_head = AffinityContrastHead(4, 64)
    with pytest.raises(ValueError, match="contrast_input='topology'"):
        feature_head.check_backbone(
            ACLNetGCN(NTU, base_channels=8, out_topology=True))
    feature_head.check_backbone(stgcn)
    with pytest.raises(ValueError, match='needs num_joints'):
        AffinityContrastHead(4, 64, contrast_input='topology')
    with pytest.raises(ValueError, match="'feature' or 'topology'"):
        AffinityContrastHead(4, 64, contrast_input='pooled')


def test_registered_and_built_from_a_config():
    backbone = MODELS.build(dict(type='ACLNetGCN', graph_cfg=NTU,
                                 base_channels=8, out_topology=True))
    assert isinstance(backbone, ACLNetGCN)
