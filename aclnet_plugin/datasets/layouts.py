"""Skeleton layouts as data: joints, their tree, left/right pairs and limbs.

A :class:`SkeletonLayout` describes one joint layout once, and everything a
pipeline or a model needs is derived from it: the bones (joint minus parent,
as mmaction's ``JointToBone``), the k-bones (joint minus grandparent), the
left/right flip permutation and an mmaction ``Graph`` layout dict.

Layouts are kept in a module-level registry: :func:`get_layout` looks one up
by name and :func:`register_layout` adds a new one. Built in:

- ``'nturgb+d'``: NTU RGB+D, Kinect v2, 25 joints.
- ``'coco'``: the 17 COCO keypoints.
- ``'coco20'``: the 17 COCO keypoints plus hip centre, shoulder centre and
  their midpoint (see :class:`~aclnet_plugin.datasets.transforms.Coco17To20`).
- ``'nw-ucla'``: Northwestern-UCLA, Kinect v1, 20 joints (also KGBD's
  walks, whose converter orders the joints this way).
- ``'fpha-hand'``: the F-PHAB hand, 21 joints; its limbs are the fingers,
  and it has no left/right pairs (so no flip).

Every built-in layout also names its occlusion ``parts``, the joint groups
that :class:`~aclnet_plugin.datasets.transforms.OcclusionMask` zeroes for the
occlusion analysis of the paper's Table IX: ``left_arm``, ``right_arm``,
``two_hands``, ``two_legs`` and ``trunk`` for a body, the five fingers
(``thumb``, ``index``, ``middle``, ``ring``, ``pinky``) for the hand.
"""
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Tuple

__all__ = ['SkeletonLayout', 'LAYOUTS', 'get_layout', 'register_layout']


@dataclass(frozen=True)
class SkeletonLayout:
    """A skeleton joint layout.

    All joint indices are 0-based.

    Args:
        name (str): The layout's name (its key in the registry).
        num_joints (int): V, the number of joints.
        parents (tuple[int]): The parent of every joint. The joints and
            parents must form one tree; the root is its own parent. Bones
            are ``joint - parent`` (the root's bone is zero).
        left (tuple[int]): Joints of the left side.
        right (tuple[int]): Joints of the right side, ``right[i]`` being the
            mirror image of ``left[i]``.
        limbs (dict[str, tuple[int]]): Named groups of joints, e.g.
            ``'left_arm'``. Stored as a copy.
        center (int): The centre joint of the spatial graph (as mmaction's
            ``Graph.center``).
        ndim (int): The coordinates per joint: 3 (x, y, z) for depth-sensor
            layouts, 2 (x, y) for image pose layouts, where a third channel
            is a confidence score. Defaults to 3.
        graph_edges (tuple[tuple[int, int]], optional): ``(child, parent)``
            edges of the spatial graph, when it differs from the bone tree
            (mmaction's built-in ``'nturgb+d'`` and ``'coco'`` graphs do).
            Defaults to None: the bones.
        parts (dict[str, tuple[int]]): Named groups of joints to occlude
            (the paper's Table IX), e.g. ``'two_legs'``; unlike ``limbs``
            (what ``LimbDrop`` drops in training) they are what the
            occlusion analysis zeroes at test time. Stored as a copy.
            Defaults to an empty dict.
    """

    name: str
    num_joints: int
    parents: Tuple[int, ...]
    left: Tuple[int, ...]
    right: Tuple[int, ...]
    limbs: Dict[str, Tuple[int, ...]] = field(hash=False)
    center: int
    ndim: int = 3
    graph_edges: Optional[Tuple[Tuple[int, int], ...]] = None
    parts: Dict[str, Tuple[int, ...]] = field(default_factory=dict,
                                              hash=False)

    def __post_init__(self) -> None:
        num = self.num_joints
        if not isinstance(num, int) or num < 1:
            raise ValueError(f'num_joints must be a positive integer, '
                             f'got {num!r}')
        parents = tuple(int(p) for p in self.parents)
        left = tuple(int(j) for j in self.left)
        right = tuple(int(j) for j in self.right)
        limbs = {
            str(k): tuple(int(j) for j in v)
            for k, v in dict(self.limbs).items()
        }
        parts = {
            str(k): tuple(int(j) for j in v)
            for k, v in dict(self.parts).items()
        }
        edges = self.graph_edges
        if edges is not None:
            edges = tuple((int(i), int(j)) for i, j in edges)
        object.__setattr__(self, 'parents', parents)
        object.__setattr__(self, 'left', left)
        object.__setattr__(self, 'right', right)
        object.__setattr__(self, 'limbs', limbs)
        object.__setattr__(self, 'parts', parts)
        object.__setattr__(self, 'graph_edges', edges)

        def check(name, joints):
            bad = [j for j in joints if not 0 <= j < num]
            if bad:
                raise ValueError(f'{name} of layout {self.name!r} has joint '
                                 f'indices outside [0, {num}): {bad}')

        if len(parents) != num:
            raise ValueError(f'parents of layout {self.name!r} has '
                             f'{len(parents)} entries, expected {num}')
        check('parents', parents)
        roots = [j for j in range(num) if parents[j] == j]
        if len(roots) != 1:
            raise ValueError(f'parents of layout {self.name!r} must have '
                             f'exactly one root, got {roots}')
        for j in range(num):  # every joint reaches the root: no cycles
            k = j
            for _ in range(num):
                k = parents[k]
            if k != roots[0]:
                raise ValueError(f'parents of layout {self.name!r} do not '
                                 f'form a tree (joint {j} is on a cycle)')
        if len(left) != len(right):
            raise ValueError(f'left and right of layout {self.name!r} must '
                             f'have the same length')
        check('left', left)
        check('right', right)
        if len(set(left + right)) != 2 * len(left):
            raise ValueError(f'left and right of layout {self.name!r} must '
                             f'be distinct joints')
        for limb, joints in limbs.items():
            if not joints:
                raise ValueError(f'limb {limb!r} of layout {self.name!r} '
                                 f'is empty')
            check(f'limb {limb!r}', joints)
        for part, joints in parts.items():
            if not joints:
                raise ValueError(f'part {part!r} of layout {self.name!r} '
                                 f'is empty')
            check(f'part {part!r}', joints)
        check('center', (self.center, ))
        if self.ndim not in (2, 3):
            raise ValueError(f'ndim of layout {self.name!r} must be 2 or 3, '
                             f'got {self.ndim!r}')
        if edges is not None:
            check('graph_edges', [j for e in edges for j in e])

    @property
    def root(self) -> int:
        """int: The root joint (its own parent)."""
        return next(j for j, p in enumerate(self.parents) if j == p)

    @property
    def bones(self) -> List[Tuple[int, int]]:
        """list[tuple[int, int]]: ``(child, parent)`` pairs, root excluded."""
        return [(j, p) for j, p in enumerate(self.parents) if j != p]

    @property
    def grandparents(self) -> Tuple[int, ...]:
        """tuple[int]: The parent of the parent of every joint."""
        return tuple(self.parents[p] for p in self.parents)

    @property
    def flip_index(self) -> Tuple[int, ...]:
        """tuple[int]: The permutation swapping left and right joints.

        ``flipped[..., i, :] = joints[..., flip_index[i], :]``.
        """
        index = list(range(self.num_joints))
        for i, j in zip(self.left, self.right):
            index[i], index[j] = j, i
        return tuple(index)

    @property
    def inward(self) -> List[Tuple[int, int]]:
        """list[tuple[int, int]]: ``(child, parent)`` graph edges.

        ``graph_edges`` when given, else :attr:`bones`.
        """
        if self.graph_edges is not None:
            return list(self.graph_edges)
        return self.bones

    def graph_cfg(self, mode: str = 'spatial', **kwargs) -> Dict:
        """An mmaction ``Graph`` config for this layout.

        Args:
            mode (str): The graph mode, ``'spatial'`` or ``'stgcn_spatial'``.
                Defaults to ``'spatial'``.
            **kwargs: Further ``Graph`` arguments (e.g. ``max_hop``).

        Returns:
            dict: ``dict(layout=dict(num_node, inward, center), mode=mode)``,
            usable as a GCN backbone's ``graph_cfg``.
        """
        layout = dict(
            num_node=self.num_joints,
            inward=[list(e) for e in self.inward],
            center=self.center)
        return dict(layout=layout, mode=mode, **kwargs)


LAYOUTS: Dict[str, SkeletonLayout] = {}


def register_layout(layout: SkeletonLayout,
                    force: bool = False) -> SkeletonLayout:
    """Add a layout to the registry under its name.

    Args:
        layout (SkeletonLayout): The layout.
        force (bool): Replace a layout of the same name. Defaults to False.

    Returns:
        SkeletonLayout: The layout.
    """
    if not isinstance(layout, SkeletonLayout):
        raise TypeError(f'layout must be a SkeletonLayout, got '
                        f'{type(layout).__name__}')
    if layout.name in LAYOUTS and not force:
        raise ValueError(f'layout {layout.name!r} is already registered '
                         f'(use force=True to replace it)')
    LAYOUTS[layout.name] = layout
    return layout


def get_layout(name, arg: str = 'layout') -> SkeletonLayout:
    """Look a layout up by name.

    Args:
        name (str | SkeletonLayout): A registered name, or a layout (returned
            as is).
        arg (str): The argument name used in the error message.
            Defaults to ``'layout'``.

    Returns:
        SkeletonLayout: The layout.
    """
    if isinstance(name, SkeletonLayout):
        return name
    if name not in LAYOUTS:
        raise ValueError(f'{arg} must be one of {sorted(LAYOUTS)} or a '
                         f'SkeletonLayout, got {name!r}')
    return LAYOUTS[name]


def _zero_based(pairs):
    return [(i - 1, j - 1) for i, j in pairs]


def _ntu_parents() -> Tuple[int, ...]:
    # The bone pairs of mmaction's JointToBone (from 2s-AGCN): the hand tips
    # (22, 24) hang from the thumbs (23, 25) and the thumbs from the hands.
    pairs = [(1, 2), (2, 21), (3, 21), (4, 3), (5, 21), (6, 5), (7, 6), (8, 7),
             (9, 21), (10, 9), (11, 10), (12, 11), (13, 1), (14, 13),
             (15, 14), (16, 15), (17, 1), (18, 17), (19, 18), (20, 19),
             (21, 21), (22, 23), (23, 8), (24, 25), (25, 12)]
    parents = dict(_zero_based(pairs))
    return tuple(parents[j] for j in range(25))


NTURGBD = register_layout(
    SkeletonLayout(
        name='nturgb+d',
        num_joints=25,
        parents=_ntu_parents(),
        # 1-based: 5-8, 13-16, 22-23 left; 9-12, 17-20, 24-25 right
        left=(4, 5, 6, 7, 12, 13, 14, 15, 21, 22),
        right=(8, 9, 10, 11, 16, 17, 18, 19, 23, 24),
        limbs=dict(
            left_arm=(4, 5, 6, 7, 21, 22),
            right_arm=(8, 9, 10, 11, 23, 24),
            left_leg=(12, 13, 14, 15),
            right_leg=(16, 17, 18, 19),
            trunk=(0, 1, 2, 3, 20),
            two_hands=(6, 7, 21, 22, 10, 11, 23, 24)),
        center=20,  # spine shoulder, as mmaction's Graph
        ndim=3,
        # mmaction's Graph('nturgb+d'): the hand tips hang from the hands.
        graph_edges=tuple(
            _zero_based([(1, 2), (2, 21), (3, 21), (4, 3), (5, 21), (6, 5),
                         (7, 6), (8, 7), (9, 21), (10, 9), (11, 10), (12, 11),
                         (13, 1), (14, 13), (15, 14), (16, 15), (17, 1),
                         (18, 17), (19, 18), (20, 19), (22, 8), (23, 8),
                         (24, 12), (25, 12)])),
        # Table IX's occlusions, from the limbs above
        parts=dict(
            left_arm=(4, 5, 6, 7, 21, 22),
            right_arm=(8, 9, 10, 11, 23, 24),
            two_hands=(6, 7, 21, 22, 10, 11, 23, 24),
            two_legs=(12, 13, 14, 15, 16, 17, 18, 19),
            trunk=(0, 1, 2, 3, 20))))

# COCO: 0 nose, 1/2 eyes, 3/4 ears, 5/6 shoulders, 7/8 elbows, 9/10 wrists,
# 11/12 hips, 13/14 knees, 15/16 ankles (odd = left, even = right).
_COCO_LEFT = (1, 3, 5, 7, 9, 11, 13, 15)
_COCO_RIGHT = (2, 4, 6, 8, 10, 12, 14, 16)

COCO = register_layout(
    SkeletonLayout(
        name='coco',
        num_joints=17,
        # mmaction's JointToBone('coco'): everything hangs from the nose.
        parents=(0, 0, 0, 1, 2, 0, 0, 5, 6, 7, 8, 0, 0, 11, 12, 13, 14),
        left=_COCO_LEFT,
        right=_COCO_RIGHT,
        limbs=dict(
            left_arm=(5, 7, 9),
            right_arm=(6, 8, 10),
            left_leg=(11, 13, 15),
            right_leg=(12, 14, 16),
            trunk=(0, 1, 2, 3, 4),
            two_hands=(9, 10)),
        center=0,
        ndim=2,
        # mmaction's Graph('coco'): the hips hang from the shoulders.
        graph_edges=((15, 13), (13, 11), (16, 14), (14, 12), (11, 5),
                     (12, 6), (9, 7), (7, 5), (10, 8), (8, 6), (5, 0), (6, 0),
                     (1, 0), (3, 1), (2, 0), (4, 2)),
        # arms: shoulder, elbow, wrist; hands: the wrists; legs: hip, knee,
        # ankle; trunk: the head's five points
        parts=dict(
            left_arm=(5, 7, 9),
            right_arm=(6, 8, 10),
            two_hands=(9, 10),
            two_legs=(11, 12, 13, 14, 15, 16),
            trunk=(0, 1, 2, 3, 4))))

COCO20 = register_layout(
    SkeletonLayout(
        name='coco20',
        num_joints=20,
        # 17 hip centre, 18 shoulder centre, 19 their midpoint (the root)
        parents=(18, 0, 0, 1, 2, 18, 18, 5, 6, 7, 8, 17, 17, 11, 12, 13, 14,
                 19, 19, 19),
        left=_COCO_LEFT,
        right=_COCO_RIGHT,
        limbs=dict(
            left_arm=(5, 7, 9),
            right_arm=(6, 8, 10),
            left_leg=(11, 13, 15),
            right_leg=(12, 14, 16),
            trunk=(0, 1, 2, 3, 4, 17, 18, 19),
            two_hands=(9, 10)),
        center=19,
        ndim=2,
        # as 'coco', the trunk with the three centre joints
        parts=dict(
            left_arm=(5, 7, 9),
            right_arm=(6, 8, 10),
            two_hands=(9, 10),
            two_legs=(11, 12, 13, 14, 15, 16),
            trunk=(0, 1, 2, 3, 4, 17, 18, 19))))

NWUCLA = register_layout(
    SkeletonLayout(
        name='nw-ucla',
        num_joints=20,
        # 1-based bones (1, 2) (2, 3) (4, 3) (5, 3) ... : root 3 (shoulder
        # centre)
        parents=tuple(p - 1 for p in (2, 3, 3, 3, 3, 5, 6, 7, 3, 9, 10, 11, 1,
                                      13, 14, 15, 1, 17, 18, 19)),
        left=(4, 5, 6, 7, 12, 13, 14, 15),
        right=(8, 9, 10, 11, 16, 17, 18, 19),
        limbs=dict(
            left_arm=(4, 5, 6, 7),
            right_arm=(8, 9, 10, 11),
            left_leg=(12, 13, 14, 15),
            right_leg=(16, 17, 18, 19),
            trunk=(0, 1, 2, 3),
            two_hands=(6, 7, 10, 11)),
        center=1,  # spine
        ndim=3,
        # Table IX's occlusions, from the limbs above
        parts=dict(
            left_arm=(4, 5, 6, 7),
            right_arm=(8, 9, 10, 11),
            two_hands=(6, 7, 10, 11),
            two_legs=(12, 13, 14, 15, 16, 17, 18, 19),
            trunk=(0, 1, 2, 3))))

# F-PHAB hand (dataset README): 0 wrist; 1-5 the MCPs of the thumb, index,
# middle, ring and pinky; then PIP, DIP, TIP of each finger in that order
# (6-8 thumb, 9-11 index, 12-14 middle, 15-17 ring, 18-20 pinky).
FPHA_HAND = register_layout(
    SkeletonLayout(
        name='fpha-hand',
        num_joints=21,
        # each MCP hangs from the wrist; PIP from MCP, DIP from PIP, TIP
        # from DIP
        parents=(0, 0, 0, 0, 0, 0, 1, 6, 7, 2, 9, 10, 3, 12, 13, 4, 15, 16,
                 5, 18, 19),
        # one hand: no left/right pairs, so flip_index is the identity
        left=(),
        right=(),
        limbs=dict(
            thumb=(1, 6, 7, 8),
            index=(2, 9, 10, 11),
            middle=(3, 12, 13, 14),
            ring=(4, 15, 16, 17),
            pinky=(5, 18, 19, 20)),
        center=0,  # the wrist
        ndim=3,
        # occluding a finger: all four of its joints
        parts=dict(
            thumb=(1, 6, 7, 8),
            index=(2, 9, 10, 11),
            middle=(3, 12, 13, 14),
            ring=(4, 15, 16, 17),
            pinky=(5, 18, 19, 20))))
