import copy
import pickle

import numpy as np
import pytest
import torch

from aclnet_plugin.datasets import (LAYOUTS, SkeletonLayout, get_layout,
                                    register_layout)
from mmaction.datasets.transforms import JointToBone
from mmaction.models.utils.graph import Graph, get_hop_distance

NAMES = ['nturgb+d', 'coco', 'coco20', 'nw-ucla']
LIMBS = {'left_arm', 'right_arm', 'left_leg', 'right_leg', 'trunk',
         'two_hands'}


def chain(**kwargs):
    """0 <- 1 <- 2 <- 3, with 1/2 a left/right pair."""
    args = dict(
        name='chain', num_joints=4, parents=(0, 0, 1, 2), left=(1, ),
        right=(2, ), limbs=dict(tip=(3, )), center=0)
    args.update(kwargs)
    return SkeletonLayout(**args)


def to_zero_based(pairs):
    return sorted((i - 1, j - 1) for i, j in pairs)


@pytest.mark.parametrize('name', NAMES)
def test_layout_structure(name):
    layout = get_layout(name)
    assert name in LAYOUTS and layout.name == name
    V = layout.num_joints
    assert len(layout.parents) == V
    assert layout.parents[layout.root] == layout.root
    assert len(layout.bones) == V - 1
    assert all(c != p for c, p in layout.bones)
    assert layout.grandparents == tuple(
        layout.parents[layout.parents[j]] for j in range(V))
    # flip_index: an involution swapping exactly the left/right pairs
    flip = np.array(layout.flip_index)
    assert sorted(flip) == list(range(V))
    assert (flip[flip] == np.arange(V)).all()
    for i, j in zip(layout.left, layout.right):
        assert flip[i] == j and flip[j] == i
    unpaired = set(range(V)) - set(layout.left) - set(layout.right)
    assert all(flip[j] == j for j in unpaired)
    assert set(layout.limbs) == LIMBS
    # the left limbs mirror onto the right ones
    for side in ('arm', 'leg'):
        left = [flip[j] for j in layout.limbs[f'left_{side}']]
        assert sorted(left) == sorted(layout.limbs[f'right_{side}'])
    assert 0 <= layout.center < V


def test_centres_and_roots():
    assert (get_layout('nturgb+d').center, get_layout('nturgb+d').root) == (
        20, 20)
    assert (get_layout('coco').center, get_layout('coco').root) == (0, 0)
    assert (get_layout('coco20').center, get_layout('coco20').root) == (19,
                                                                        19)
    assert (get_layout('nw-ucla').center, get_layout('nw-ucla').root) == (1,
                                                                          2)


@pytest.mark.parametrize('name', ['nturgb+d', 'coco'])
def test_bones_match_joint_to_bone(name):
    pairs = JointToBone(dataset=name).pairs
    expected = sorted((i, j) for i, j in pairs if i != j)
    assert sorted(get_layout(name).bones) == expected


@pytest.mark.parametrize('name', ['nturgb+d', 'coco'])
@pytest.mark.parametrize('mode', ['spatial', 'stgcn_spatial'])
def test_graph_matches_mmaction(name, mode):
    ours = Graph(**get_layout(name).graph_cfg(mode))
    theirs = Graph(layout=name, mode=mode)
    np.testing.assert_array_equal(ours.A, theirs.A)
    assert ours.center == theirs.center


def test_nw_ucla_bones():
    bones = [(1, 2), (2, 3), (4, 3), (5, 3), (6, 5), (7, 6), (8, 7), (9, 3),
             (10, 9), (11, 10), (12, 11), (13, 1), (14, 13), (15, 14),
             (16, 15), (17, 1), (18, 17), (19, 18), (20, 19)]
    layout = get_layout('nw-ucla')
    assert sorted(layout.bones) == to_zero_based(bones)
    assert layout.inward == layout.bones


def test_coco20_tree():
    layout = get_layout('coco20')
    assert layout.num_joints == 20
    parents = layout.parents
    assert parents[17] == parents[18] == 19  # hip/shoulder centre -> spine
    assert parents[11] == parents[12] == 17  # hips -> hip centre
    assert parents[5] == parents[6] == 18  # shoulders -> shoulder centre
    assert layout.flip_index[17:] == (17, 18, 19)


def test_flip_index_ntu_hands():
    flip = get_layout('nturgb+d').flip_index
    # 1-based: 22 L hand tip <-> 24 R hand tip, 23 L thumb <-> 25 R thumb
    assert flip[21] == 23 and flip[22] == 24
    assert flip[20] == 20 and flip[0] == 0


def test_chain_helpers():
    layout = chain()
    assert layout.bones == [(1, 0), (2, 1), (3, 2)]
    assert layout.grandparents == (0, 0, 0, 1)
    assert layout.flip_index == (0, 2, 1, 3)
    assert layout.inward == layout.bones
    cfg = layout.graph_cfg(max_hop=2)
    assert cfg == dict(
        layout=dict(num_node=4, inward=[[1, 0], [2, 1], [3, 2]], center=0),
        mode='spatial', max_hop=2)


@pytest.mark.parametrize('name', NAMES)
@pytest.mark.parametrize('mode', ['spatial', 'stgcn_spatial'])
def test_graph_builds(name, mode):
    layout = get_layout(name)
    graph = Graph(**layout.graph_cfg(mode))
    V = layout.num_joints
    assert graph.A.shape[1:] == (V, V)
    # connected: every joint reaches every other one
    assert np.isfinite(get_hop_distance(V, graph.inward, max_hop=V)).all()


@pytest.mark.parametrize('name', NAMES)
def test_stgcn_forward(name):
    from mmaction.registry import MODELS
    layout = get_layout(name)
    V, C = layout.num_joints, 3
    backbone = MODELS.build(
        dict(
            type='STGCN', graph_cfg=layout.graph_cfg(), in_channels=C,
            base_channels=4, num_stages=2, inflate_stages=[],
            down_stages=[]))
    backbone.eval()
    x = torch.randn(1, 1, 2, 8, V, C)  # N, clips, M, T, V, C
    with torch.no_grad():
        out = backbone(x.reshape(-1, *x.shape[2:]))
    assert out.shape == (1, 2, 4, 8, V)


def test_get_layout_errors():
    with pytest.raises(ValueError, match='layout'):
        get_layout('kinect-v9')
    layout = get_layout('coco')
    assert get_layout(layout) is layout


def test_register_layout(monkeypatch):
    monkeypatch.setattr('aclnet_plugin.datasets.layouts.LAYOUTS',
                        dict(LAYOUTS))
    from aclnet_plugin.datasets import layouts
    layout = chain()
    assert register_layout(layout) is layout
    assert get_layout('chain') is layout
    with pytest.raises(ValueError, match='already registered'):
        register_layout(chain(center=1))
    register_layout(chain(center=1), force=True)
    assert get_layout('chain').center == 1
    assert 'chain' not in LAYOUTS  # the module dict was replaced
    assert 'chain' in layouts.LAYOUTS
    with pytest.raises(TypeError):
        register_layout(dict(name='x'))


@pytest.mark.parametrize(
    'kwargs, match',
    [(dict(parents=(0, 0, 1)), 'parents'),
     (dict(parents=(0, 0, 1, 7)), 'parents'),
     (dict(parents=(0, 1, 1, 2)), 'one root'),
     (dict(parents=(0, 2, 1, 2)), 'tree'),
     (dict(left=(1, 3)), 'same length'),
     (dict(left=(2, )), 'distinct'),
     (dict(limbs=dict(tip=())), 'empty'),
     (dict(limbs=dict(tip=(4, ))), 'limb'),
     (dict(center=4), 'center'),
     (dict(ndim=4), 'ndim'),
     (dict(num_joints=0), 'num_joints')])
def test_bad_layouts(kwargs, match):
    with pytest.raises(ValueError, match=match):
        chain(**kwargs)


def test_frozen_hashable_picklable():
    layout = get_layout('nturgb+d')
    with pytest.raises(AttributeError):
        layout.center = 0
    assert hash(layout) == hash(copy.deepcopy(layout))
    restored = pickle.loads(pickle.dumps(layout))
    assert restored == layout
    assert restored.limbs == layout.limbs
    assert chain() == chain() and chain() != chain(center=1)


# The F-PHAB hand, from ../shared/datasets/fpha/README.md, written out here
# independently of the layout code.
FPHA_JOINTS = ['Wrist', 'TMCP', 'IMCP', 'MMCP', 'RMCP', 'PMCP', 'TPIP',
               'TDIP', 'TTIP', 'IPIP', 'IDIP', 'ITIP', 'MPIP', 'MDIP', 'MTIP',
               'RPIP', 'RDIP', 'RTIP', 'PPIP', 'PDIP', 'PTIP']
# (child, parent): each xMCP to the wrist; xPIP to xMCP, xDIP to xPIP, xTIP
# to xDIP
FPHA_BONES = [
    ('TMCP', 'Wrist'), ('IMCP', 'Wrist'), ('MMCP', 'Wrist'), ('RMCP', 'Wrist'),
    ('PMCP', 'Wrist'),
    ('TPIP', 'TMCP'), ('TDIP', 'TPIP'), ('TTIP', 'TDIP'),
    ('IPIP', 'IMCP'), ('IDIP', 'IPIP'), ('ITIP', 'IDIP'),
    ('MPIP', 'MMCP'), ('MDIP', 'MPIP'), ('MTIP', 'MDIP'),
    ('RPIP', 'RMCP'), ('RDIP', 'RPIP'), ('RTIP', 'RDIP'),
    ('PPIP', 'PMCP'), ('PDIP', 'PPIP'), ('PTIP', 'PDIP'),
]


def fpha_index(*names):
    return tuple(FPHA_JOINTS.index(n) for n in names)


def test_fpha_hand_bones_match_readme():
    layout = get_layout('fpha-hand')
    assert layout.num_joints == 21 and layout.ndim == 3
    assert sorted(layout.bones) == sorted(
        fpha_index(c, p) for c, p in FPHA_BONES)
    assert layout.root == layout.center == fpha_index('Wrist')[0]
    assert layout.inward == layout.bones  # the graph is the bone tree


def test_fpha_hand_limbs_are_the_fingers():
    limbs = get_layout('fpha-hand').limbs
    fingers = dict(thumb='T', index='I', middle='M', ring='R', pinky='P')
    assert set(limbs) == set(fingers)
    for limb, x in fingers.items():
        assert sorted(limbs[limb]) == sorted(
            fpha_index(x + 'MCP', x + 'PIP', x + 'DIP', x + 'TIP'))
    # five disjoint fingers: everything but the wrist
    joints = sorted(j for limb in limbs.values() for j in limb)
    assert joints == list(range(1, 21))


def test_fpha_hand_flip_is_the_identity():
    layout = get_layout('fpha-hand')
    assert layout.left == () and layout.right == ()
    assert layout.flip_index == tuple(range(21))


@pytest.mark.parametrize('mode', ['spatial', 'stgcn_spatial'])
def test_fpha_hand_graph_builds(mode):
    graph = Graph(**get_layout('fpha-hand').graph_cfg(mode))
    assert graph.A.shape[1:] == (21, 21)
    assert graph.center == 0
    assert np.isfinite(get_hop_distance(21, graph.inward, max_hop=21)).all()


def test_fpha_hand_recognizer_forward():
    from mmaction.registry import MODELS
    from mmaction.structures import ActionDataSample
    model = MODELS.build(
        dict(
            type='RecognizerGCN',
            backbone=dict(
                type='STGCN',
                graph_cfg=get_layout('fpha-hand').graph_cfg(),
                in_channels=3,
                base_channels=4,
                num_stages=2,
                inflate_stages=[],
                down_stages=[]),
            cls_head=dict(type='GCNHead', num_classes=45, in_channels=4)))
    model.eval()
    x = torch.randn(1, 1, 1, 16, 21, 3)  # N, clips, M, T, V, C
    with torch.no_grad():
        assert model.extract_feat(x)[0].shape == (1, 1, 4, 16, 21)
        out = model(x, [ActionDataSample()], mode='predict')
    assert out[0].pred_score.shape == (45, )


@pytest.fixture(scope='module')
def fpha_clips():
    """Two real F-PHAB clips, (T, 21, 3) in millimetres, read with numpy."""
    import io
    import os
    import tarfile

    from conftest import find_shared
    source = find_shared('fpha', 'fpha_hand_pose.tar.xz')
    if source is None:
        pytest.skip('F-PHAB not found (../shared or FPHA_ROOT)')
    wanted = {f'Hand_pose_annotation_v1/{name}/skeleton.txt': name
              for name in ('Subject_2/pour_milk/1', 'Subject_2/close_milk/1')}
    texts = {}
    if os.path.isdir(source):
        for path, name in wanted.items():
            with open(os.path.join(source, path)) as f:
                texts[name] = f.read()
    else:
        with tarfile.open(source, mode='r|*') as tar:  # both near the start
            for member in tar:
                if member.name in wanted:
                    texts[wanted[member.name]] = tar.extractfile(
                        member).read().decode()
                    if len(texts) == len(wanted):
                        break
    return {
        name: np.loadtxt(io.StringIO(text))[:, 1:].reshape(-1, 21, 3)
        for name, text in texts.items()
    }


def bone_variation(joints, bones):
    """std / mean over time of the length of each (child, parent) bone."""
    child, parent = np.array(bones).T
    lengths = np.linalg.norm(joints[:, child] - joints[:, parent], axis=-1)
    return lengths.std(0) / lengths.mean(0)


# Measured on all 1175 sequences: the palm bones (xMCP to the wrist) and the
# distal bones (xTIP to xDIP) are rigid in every clip (std / mean < 1e-5),
# but the PIP and DIP bones (xPIP to xMCP, xDIP to xPIP) stretch in most
# clips (median std / mean 1-5 %; all 20 bones rigid in 22 clips only).
# So the whole tree is checked on a clip where the README's "constant" holds
# for every bone, and the rigid bones on one where the others stretch.
@pytest.mark.parametrize('name, which', [
    ('Subject_2/pour_milk/1', 'all'),
    ('Subject_2/close_milk/1', 'rigid'),
])
def test_fpha_hand_bone_lengths_constant_on_real_clip(fpha_clips, name,
                                                      which):
    joints = fpha_clips[name]
    bones = get_layout('fpha-hand').bones
    if which == 'rigid':
        bones = [(c, p) for c, p in bones
                 if FPHA_JOINTS[c].endswith(('MCP', 'TIP'))]
        assert len(bones) == 10
    variation = bone_variation(joints, bones)
    assert (variation < 0.02).all(), dict(
        zip([f'{FPHA_JOINTS[c]}-{FPHA_JOINTS[p]}' for c, p in bones],
            variation.round(4)))


def test_fpha_hand_skeleton_feat_bones(fpha_clips):
    from aclnet_plugin.datasets import SkeletonFeat
    keypoint = (fpha_clips['Subject_2/pour_milk/1'] / 1000)[None]
    out = SkeletonFeat(layout='fpha-hand', feats=['b'])(
        dict(keypoint=keypoint.astype(np.float32)))['keypoint']
    assert out.shape == keypoint.shape
    np.testing.assert_array_equal(out[..., 0, :], 0)  # the wrist: the root
    tip, dip = fpha_index('ITIP', 'IDIP')
    np.testing.assert_allclose(out[..., tip, :],
                               keypoint[..., tip, :] - keypoint[..., dip, :],
                               atol=1e-6)
