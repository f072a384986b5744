"""The head under real 2-process gloo training: shared contrast and state."""
import os
import socket

import pytest
import torch
import torch.distributed as dist
import torch.multiprocessing as mp
import torch.nn.functional as F

from aclnet_plugin.models import marginal_contrast_loss

IN_CHANNELS = 8


def free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


COLLECTIVES = ('all_reduce', 'all_gather', 'all_gather_into_tensor',
               'all_gather_object', 'broadcast', 'reduce_scatter', 'barrier')


def count_collectives():
    """Count the torch.distributed collectives called from now on."""
    calls = {name: 0 for name in COLLECTIVES}
    for name in COLLECTIVES:
        original = getattr(dist, name)

        def counted(*args, _name=name, _original=original, **kwargs):
            calls[_name] += 1
            return _original(*args, **kwargs)

        setattr(dist, name, counted)
    return calls


def worker(rank, port, out_dir):
    """One process group for every scenario below: each saves what its
    test checks to ``{out_dir}/{scenario}_rank{rank}.pt``."""
    os.environ.update(MASTER_ADDR='127.0.0.1', MASTER_PORT=str(port))
    dist.init_process_group('gloo', rank=rank, world_size=2)
    torch.set_num_threads(1)
    import aclnet_plugin  # noqa: F401
    for scenario in (shared_scenario, uneven_scenario, topology_scenario,
                     authors_scenario):
        scenario(rank, out_dir)
        dist.barrier()
    dist.destroy_process_group()


@pytest.fixture(scope='module')
def gloo_run(tmp_path_factory):
    """The scenarios of this module, run once by two processes on gloo."""
    out_dir = tmp_path_factory.mktemp('gloo')
    mp.spawn(worker, args=(free_port(), str(out_dir)), nprocs=2)
    return lambda name: [torch.load(out_dir / f'{name}_rank{r}.pt')
                         for r in (0, 1)]


def shared_scenario(rank, out_dir):
    from aclnet_plugin.models import AffinityContrastHead
    from mmaction.structures import ActionDataSample

    torch.manual_seed(0)  # same weights on both ranks
    head = AffinityContrastHead(4, IN_CHANNELS, memory_size=6)
    head.init_weights()
    head.set_confusion_collection(False)
    head.set_confusion_collection(True)
    torch.manual_seed(100 + rank)  # different data on each rank
    x = torch.randn(2, 1, IN_CHANNELS, 3, 5, requires_grad=True)
    # rank 0 holds classes (0, 1), rank 1 (0, 2): class 0 has its only
    # positive on the other rank
    labels = [0, 1] if rank == 0 else [0, 2]
    data = [ActionDataSample().set_gt_label(y) for y in labels]
    calls = count_collectives()
    losses = head.loss(x, data)
    losses['loss_intra'].backward()
    calls = dict(calls)
    emb = F.normalize(head.projector(head.pre_logits(x)), dim=1).detach()
    state = {k: v.clone() for k, v in head.named_buffers()}
    torch.save(dict(state=state, emb=emb, labels=torch.tensor(labels),
                    loss_intra=losses['loss_intra'].detach(),
                    grad=x.grad.clone(),
                    preds=head(x).argmax(1).detach(), calls=calls),
               os.path.join(out_dir, f'shared_rank{rank}.pt'))


def test_two_ranks_share_contrast_set_and_state(gloo_run):
    r0, r1 = gloo_run('shared')
    for key in r0['state']:
        assert torch.equal(r0['state'][key], r1['state'][key]), key
    # one all-gather per step serves contrast set, prototypes, confusion
    # and queue; nothing else crosses ranks
    for r in (r0, r1):
        assert r['calls']['all_gather'] == 1, r['calls']
        assert sum(r['calls'].values()) == 1, r['calls']

    # the intra loss of rank 0 contrasts its anchors with rank 1's samples
    expected = marginal_contrast_loss(r0['emb'], r0['labels'], r1['emb'],
                                      r1['labels'])
    torch.testing.assert_close(r0['loss_intra'], 0.1 * expected)
    assert r0['loss_intra'] != 0  # alone, rank 0 would have no positive
    assert r0['grad'].abs().sum() > 0

    # prototypes: class 0 is the mean over both ranks
    mean0 = (r0['emb'][0] + r1['emb'][0]) / 2
    torch.testing.assert_close(r0['state']['prototypes'][0], mean0)
    assert r0['state']['prototype_seen'].tolist() == [1, 1, 1, 0]
    # queue: both ranks' samples in rank order
    assert r0['state']['queue_labels'].tolist() == [0, 1, 0, 2, -1, -1]
    # confusion: both ranks' mistakes
    expected_confusion = torch.zeros(4, 4)
    for r in (r0, r1):
        for y, p in zip(r['labels'].tolist(), r['preds'].tolist()):
            if y != p:
                expected_confusion[y, p] += 1
    torch.testing.assert_close(r0['state']['confusion'], expected_confusion)


def uneven_scenario(rank, out_dir):
    """Step 1: both ranks hold 3 samples; step 2: rank 1 only 2 (its last
    batch with drop_last=False and no padding sampler)."""
    from aclnet_plugin.models import AffinityContrastHead
    from mmaction.structures import ActionDataSample

    torch.manual_seed(0)
    head = AffinityContrastHead(4, IN_CHANNELS, memory_size=16)
    head.init_weights()
    head.set_confusion_collection(True)
    torch.manual_seed(100 + rank)
    embeddings, labels = [], []
    for step, size in enumerate((3, 3 if rank == 0 else 2)):
        x = torch.randn(size, 1, IN_CHANNELS, 3, 5)
        y = [(step + i + rank) % 4 for i in range(size)]
        head.loss(x, [ActionDataSample().set_gt_label(v) for v in y])
        with torch.no_grad():
            embeddings.append(F.normalize(
                head.projector(head.pre_logits(x)), dim=1))
        labels += y
    state = {k: v.clone() for k, v in head.named_buffers()}
    torch.save(dict(state=state, emb=torch.cat(embeddings),
                    labels=torch.tensor(labels)),
               os.path.join(out_dir, f'uneven_rank{rank}.pt'))


def test_a_shorter_last_batch_on_one_rank(gloo_run):
    r0, r1 = gloo_run('uneven')
    for key in r0['state']:
        assert torch.equal(r0['state'][key], r1['state'][key]), key
    # every real sample of both ranks is in the queue, the empty row is -1
    labels = sorted(r0['state']['queue_labels'].tolist())
    real = sorted(r0['labels'].tolist() + r1['labels'].tolist())
    assert [v for v in labels if v >= 0] == real
    assert labels.count(-1) == 16 - len(real)
    # and no empty row reached a prototype: each seen class's prototype is a
    # convex mix of its real embeddings only (all of unit length)
    assert torch.isfinite(r0['state']['prototypes']).all()
    assert r0['state']['prototype_seen'].tolist() == [1, 1, 1, 1]


def topology_scenario(rank, out_dir):
    """The topology input: two embeddings per sample cross ranks."""
    from aclnet_plugin.models import AffinityContrastHead
    from mmaction.structures import ActionDataSample

    torch.manual_seed(0)
    head = AffinityContrastHead(4, IN_CHANNELS, memory_size=6,
                                contrast_input='topology', num_joints=3)
    head.init_weights()
    head.set_confusion_collection(True)
    torch.manual_seed(100 + rank)
    x = torch.randn(2, 1, IN_CHANNELS, 3, 5)
    topology = torch.randn(2, 9, requires_grad=True)
    labels = [0, 1] if rank == 0 else [0, 2]
    data = [ActionDataSample().set_gt_label(y) for y in labels]
    calls = count_collectives()
    losses = head.loss((x, topology), data)
    losses['loss_intra'].backward()
    calls = dict(calls)
    with torch.no_grad():
        inter, intra = head.embeddings(None, topology)
    state = {k: v.clone() for k, v in head.named_buffers()}
    torch.save(dict(state=state, inter=inter, intra=intra,
                    labels=torch.tensor(labels),
                    loss_intra=losses['loss_intra'].detach(),
                    grad=topology.grad.clone(), calls=calls),
               os.path.join(out_dir, f'topology_rank{rank}.pt'))


def test_two_ranks_with_the_topology_input(gloo_run):
    r0, r1 = gloo_run('topology')
    for key in r0['state']:
        assert torch.equal(r0['state'][key], r1['state'][key]), key
    for r in (r0, r1):  # still one all-gather, both embeddings in it
        assert r['calls']['all_gather'] == 1, r['calls']
        assert sum(r['calls'].values()) == 1, r['calls']
    assert not torch.allclose(r0['inter'], r0['intra'])
    # the intra loss contrasts the intra embeddings of both ranks
    expected = marginal_contrast_loss(r0['intra'], r0['labels'],
                                      r1['intra'], r1['labels'])
    torch.testing.assert_close(r0['loss_intra'], 0.1 * expected)
    assert r0['grad'].abs().sum() > 0
    # prototypes from the inter embeddings, the queue from the intra ones
    mean0 = (r0['inter'][0] + r1['inter'][0]) / 2
    torch.testing.assert_close(r0['state']['prototypes'][0], mean0)
    torch.testing.assert_close(
        r0['state']['queue_embeddings'][:4],
        torch.cat([r0['intra'], r1['intra']]))
    assert r0['state']['queue_labels'].tolist() == [0, 1, 0, 2, -1, -1]


def authors_data(step):
    """Step ``step``'s global batch: 8 rows, rank r holds rows 4r to 4r+3."""
    g = torch.Generator().manual_seed(step)
    return (torch.randn(8, 1, IN_CHANNELS, 3, 5, generator=g),
            torch.randn(8, 9, generator=g),
            torch.randint(0, 5, (8, ), generator=g))


def authors_head():
    from aclnet_plugin.models import AffinityContrastHead
    torch.manual_seed(0)  # same weights and N(0, 1) prototypes everywhere
    head = AffinityContrastHead(5, IN_CHANNELS, memory_size=12,
                                contrast_input='topology', num_joints=3,
                                recipe='authors', num_neighbors=2,
                                overlap_threshold=0)
    head.init_weights()
    return head


def authors_steps(head, rows):
    """Four steps: counting from step 0, families refreshed in step 2 (so
    the inter loss acts in steps 2 and 3), the queue full from step 1."""
    from mmaction.structures import ActionDataSample
    head.set_confusion_collection(True)
    out = []
    for step in range(4):
        if step == 2:
            head.schedule_family_update()
        x, topology, labels = (t[rows] for t in authors_data(step))
        topology.requires_grad_(True)
        data = [ActionDataSample().set_gt_label(int(y)) for y in labels]
        losses = head.loss((x, topology), data)
        (losses['loss_inter'] + losses['loss_intra']).backward()
        out.append(dict(losses={k: v.detach() for k, v in losses.items()},
                        grad=topology.grad.clone()))
    return out


def authors_scenario(rank, out_dir):
    """The authors' recipe on two ranks: the global batch is counted,
    averaged and queued; every rank ends with the same state."""
    head = authors_head()
    calls = count_collectives()
    steps = authors_steps(head, slice(4 * rank, 4 * rank + 4))
    calls = dict(calls)
    state = {k: v.clone() for k, v in head.named_buffers()}
    torch.save(dict(state=state, steps=steps, calls=calls),
               os.path.join(out_dir, f'authors_rank{rank}.pt'))


def test_two_ranks_in_the_authors_recipe(gloo_run):
    r0, r1 = gloo_run('authors')
    for key in r0['state']:
        assert torch.equal(r0['state'][key], r1['state'][key]), key
    for r in (r0, r1):  # one all-gather a step, nothing else
        assert r['calls']['all_gather'] == 4, r['calls']
        assert sum(r['calls'].values()) == 4, r['calls']
    # one process with the global batch reaches the same state: the counts
    # (the pair term of the global batch), the families, the prototypes and
    # the queue are the global batch's
    single = authors_head()
    single_steps = authors_steps(single, slice(0, 8))
    for key, value in single.named_buffers():
        torch.testing.assert_close(r0['state'][key], value, msg=key)
    assert r0['state']['confusion'].sum() > 0
    assert r0['state']['family_mask'].any()
    for step in (2, 3):  # the inter loss acts, with a gradient
        assert r0['steps'][step]['losses']['loss_inter'] > 0
        assert single_steps[step]['losses']['loss_inter'] > 0
    assert r0['steps'][3]['grad'].abs().sum() > 0
    assert r1['steps'][3]['grad'].abs().sum() > 0
