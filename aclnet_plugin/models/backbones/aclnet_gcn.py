"""The ACLNet authors' GCN backbone, with its sample-dependent topology.

Written from the description of the model the paper's figures come from
(``shared/docs/PAPER_MODEL.md``: PySKL's DG-STGCN family, ProtoGCN's backbone
without its prototype network). Its tensors are laid out as
:class:`mmaction.models.STGCN`'s, so :class:`mmaction.models.GCNHead` and
:class:`mmaction.models.RecognizerGCN` work on it unchanged; with
``out_topology=True`` it also returns the last block's learned topology,
the contrastive input of the paper's model (see
:class:`~aclnet_plugin.models.AffinityContrastHead`, ``contrast_input``).
"""
from typing import Dict, List, Optional, Sequence, Tuple, Union

import torch
import torch.nn as nn
from mmengine.model import BaseModule, ModuleList
from torch import Tensor

from mmaction.models.utils import Graph, mstcn, unit_tcn
from mmaction.registry import MODELS
from ...datasets.layouts import LAYOUTS

EPS = 1e-4


def num_graph_nodes(layout) -> int:
    """V of a layout: a name of ``aclnet_plugin``'s layouts or mmaction's,
    or an mmaction layout dict (``num_node``, ``inward``, ``center``)."""
    if isinstance(layout, str) and layout in LAYOUTS:
        return LAYOUTS[layout].num_joints
    if isinstance(layout, dict):
        return int(layout['num_node'])
    return Graph(layout=layout).num_node


class TopologyGraphConv(BaseModule):
    """The spatial unit: learned graphs refined per sample (eq. of the
    authors' code, in PAPER_MODEL.md section 1).

    ``K`` subsets of ``mid = out_channels // K`` channels each. A 1x1 conv
    (BN, ReLU) gives each subset's features ``x_k``; two more 1x1 convs of
    the time-averaged input give ``phi`` and ``psi`` (K * mid channels). The
    effective adjacency of subset ``k`` is

    ``A_k + alpha * tanh(phi_v - psi_w)`` (one V x V map per channel,
    CTR-GCN's channel-wise term) ``+ beta * softmax_v(sum_c phi_v psi_w)``
    (one map per subset, 2s-AGCN's adaptive term),

    messages ``x_k @ adjacency`` go through a 1x1 conv to ``out_channels``
    and BN, a residual (1x1 conv + BN where the width changes) is added,
    then ReLU. ``alpha`` and ``beta`` are learnable scalars initialised to
    0, so the sample-dependent terms start at exactly 0.

    Args:
        in_channels (int): Input channels C_in.
        out_channels (int): Output channels C_out, a multiple of the number
            of subsets.
        graph (Tensor): Initial learnable graphs ``A``, shape (K, V, V).
    """

    def __init__(self, in_channels: int, out_channels: int,
                 graph: Tensor) -> None:
        super().__init__()
        K, V, _ = graph.shape
        if out_channels % K:
            raise ValueError(f'out_channels ({out_channels}) must be a '
                             f'multiple of the number of subsets ({K})')
        self.num_subsets = K
        self.mid_channels = mid = out_channels // K
        self.A = nn.Parameter(graph.clone())
        self.pre = nn.Sequential(
            nn.Conv2d(in_channels, K * mid, 1), nn.BatchNorm2d(K * mid),
            nn.ReLU())
        self.post = nn.Conv2d(K * mid, out_channels, 1)
        self.conv1 = nn.Conv2d(in_channels, K * mid, 1)  # phi
        self.conv2 = nn.Conv2d(in_channels, K * mid, 1)  # psi
        self.alpha = nn.Parameter(torch.zeros(1))
        self.beta = nn.Parameter(torch.zeros(1))
        if in_channels != out_channels:
            self.down = nn.Sequential(
                nn.Conv2d(in_channels, out_channels, 1),
                nn.BatchNorm2d(out_channels))
        else:
            self.down = nn.Identity()
        self.bn = nn.BatchNorm2d(out_channels)
        self.relu = nn.ReLU()

    def forward(self, x: Tensor) -> Tuple[Tensor, Tensor]:
        """Spatial graph convolution.

        Args:
            x (Tensor): Features (B, C_in, T, V).

        Returns:
            tuple[Tensor, Tensor]: Features (B, C_out, T, V), and the
            sample-dependent terms alone, without ``A``, (B, K, mid, V, V).
        """
        B, _, T, V = x.shape
        K, mid = self.num_subsets, self.mid_channels
        feats = self.pre(x).view(B, K, mid, T, V)
        # A 1x1 conv commutes with the mean over time: convolve the mean.
        pooled = x.mean(dim=2, keepdim=True)
        phi = self.conv1(pooled).view(B, K, mid, V)
        psi = self.conv2(pooled).view(B, K, mid, V)
        channelwise = torch.tanh(phi.unsqueeze(-1) - psi.unsqueeze(-2))
        adaptive = torch.einsum('bkcv,bkcw->bkvw', phi, psi).softmax(dim=-2)
        topology = self.alpha * channelwise + \
            self.beta * adaptive.unsqueeze(2)  # (B, K, mid, V, V)
        adjacency = self.A[None, :, None] + topology
        out = torch.einsum('bkctv,bkcvw->bkctw', feats, adjacency)
        out = self.post(out.reshape(B, K * mid, T, V))
        return self.relu(self.bn(out) + self.down(x)), topology


class GlobalJointTCN(mstcn):
    """ST-GCN++'s multi-scale temporal unit with a global-joint column.

    The six branches of :class:`mmaction.models.utils.mstcn` (a 1x1 conv,
    BN, ReLU, then a k=3 conv of dilation 1, 2, 3 or 4, a 3-wide max pool,
    or a plain 1x1 conv) run on the joints and on one more column, the mean
    over joints. That column's output is added back to every joint with a
    learnable per-joint weight initialised to 0; then BN, ReLU, a 1x1 conv
    and BN (mstcn's ``transform`` and ``bn``). No dropout.

    Args:
        in_channels (int): Input channels.
        out_channels (int): Output channels.
        num_joints (int): V, the joints weighted by the global column.
        stride (int): Temporal stride. Defaults to 1.
    """

    def __init__(self, in_channels: int, out_channels: int, num_joints: int,
                 stride: int = 1) -> None:
        super().__init__(in_channels, out_channels, stride=stride)
        self.global_weight = nn.Parameter(torch.zeros(num_joints))

    def inner_forward(self, x: Tensor) -> Tensor:
        V = x.shape[-1]
        x = torch.cat([x, x.mean(dim=-1, keepdim=True)], dim=-1)
        out = torch.cat([branch(x) for branch in self.branches], dim=1)
        out = out[..., :V] + out[..., V:] * self.global_weight
        return self.transform(out)


class TopologyGCNBlock(BaseModule):
    """``relu(tcn(gcn(x)) + residual(x))``, also returning the topology.

    Args:
        in_channels (int): Input channels C_in.
        out_channels (int): Output channels C_out.
        graph (Tensor): Initial graphs (K, V, V).
        stride (int): Temporal stride. Defaults to 1.
        residual (bool): Add the block's residual (identity, or a strided
            1x1 conv + BN where the shape changes). Defaults to True.
    """

    def __init__(self,
                 in_channels: int,
                 out_channels: int,
                 graph: Tensor,
                 stride: int = 1,
                 residual: bool = True) -> None:
        super().__init__()
        self.gcn = TopologyGraphConv(in_channels, out_channels, graph)
        self.tcn = GlobalJointTCN(
            out_channels, out_channels, graph.shape[-1], stride=stride)
        if not residual:
            self.residual = None
        elif in_channels == out_channels and stride == 1:
            self.residual = nn.Identity()
        else:
            self.residual = unit_tcn(
                in_channels, out_channels, kernel_size=1, stride=stride)
        self.relu = nn.ReLU()

    def forward(self, x: Tensor) -> Tuple[Tensor, Tensor]:
        y, topology = self.gcn(x)
        y = self.tcn(y)
        if self.residual is not None:
            y = y + self.residual(x)
        return self.relu(y), topology


@MODELS.register_module()
class ACLNetGCN(BaseModule):
    """The backbone of the ACLNet paper's figures (its authors' code).

    A data BN over joints x channels ('VC', persons shared), then
    ``num_stages`` :class:`TopologyGCNBlock` s: the first maps
    ``in_channels`` to ``base_channels`` without the block residual; the
    width doubles and the time is strided by 2 at ``inflate_stages`` /
    ``down_stages``. With the defaults: 96 x 4, 192 x 3, 384 x 3 channels,
    T_out = ceil(ceil(T / 2) / 2). No physical skeleton is used: each block
    learns ``num_subsets`` V x V graphs, all initialised from the same draw
    of N(0.04, 0.02^2).

    With ``out_topology=True`` the forward also returns the last block's
    sample-dependent topology (its channel-wise and adaptive terms, without
    the static graphs), averaged over persons and channels and flattened: a
    (N, V * V) vector, exactly 0 at initialisation (``alpha = beta = 0``),
    which the paper's model feeds to its contrastive losses.

    Initialisation is PyTorch's default for every layer, as in the authors'
    code (mmaction's own initialisation of the temporal convs is skipped)
    unless an ``init_cfg`` is given.

    Args:
        graph_cfg (dict): ``layout``: a layout name of
            :mod:`aclnet_plugin.datasets.layouts` or mmaction's, or an
            mmaction layout dict; only its number of joints V is used.
            Optional PySKL-style keys: ``mode='random'`` (the only one),
            ``num_filter`` (subsets K, default 8), ``init_off`` (mean, 0.04)
            and ``init_std`` (0.02) of the initial graphs.
        in_channels (int): Channels per joint C. Defaults to 3.
        base_channels (int): Width of the first blocks, a multiple of K.
            Defaults to 96.
        ch_ratio (int): Width multiplier at each inflation. Defaults to 2.
        num_stages (int): Number of blocks. Defaults to 10.
        inflate_stages (Sequence[int]): Blocks (1-based) that inflate the
            width. Defaults to ``(5, 8)``.
        down_stages (Sequence[int]): Blocks with temporal stride 2.
            Defaults to ``(5, 8)``.
        out_topology (bool): Also return the last block's topology vector.
            Defaults to False (a plain feature, for any head).
        init_cfg (dict or list[dict], optional): Initialisation config.
            Defaults to None (PyTorch's default initialisation).

    Example:
        >>> import torch
        >>> from aclnet_plugin.models import ACLNetGCN
        >>> model = ACLNetGCN(dict(layout='nturgb+d'), out_topology=True)
        >>> feat, topology = model(torch.randn(2, 2, 64, 25, 3))
        >>> feat.shape, topology.shape  # (N, M, C_out, T_out, V), (N, V*V)
        (torch.Size([2, 2, 384, 16, 25]), torch.Size([2, 625]))
    """

    def __init__(self,
                 graph_cfg: Dict,
                 in_channels: int = 3,
                 base_channels: int = 96,
                 ch_ratio: int = 2,
                 num_stages: int = 10,
                 inflate_stages: Sequence[int] = (5, 8),
                 down_stages: Sequence[int] = (5, 8),
                 out_topology: bool = False,
                 init_cfg: Optional[Union[Dict, List[Dict]]] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        graph_cfg = dict(graph_cfg)
        mode = graph_cfg.pop('mode', 'random')
        if mode != 'random':
            raise ValueError("ACLNetGCN learns its graphs from a random "
                             f"start: graph_cfg mode must be 'random', got "
                             f'{mode!r}')
        num_joints = num_graph_nodes(graph_cfg.pop('layout'))
        num_subsets = graph_cfg.pop('num_filter', 8)
        mean = graph_cfg.pop('init_off', 0.04)
        std = graph_cfg.pop('init_std', 0.02)
        if graph_cfg:
            raise ValueError(f'ACLNetGCN: unknown graph_cfg keys '
                             f'{sorted(graph_cfg)}')
        graph = torch.randn(num_subsets, num_joints, num_joints) * std + mean
        self.num_joints = num_joints
        self.in_channels = in_channels
        self.out_topology = bool(out_topology)
        self.data_bn = nn.BatchNorm1d(in_channels * num_joints)

        blocks = []
        inflate_times = 0
        c_in = in_channels
        for i in range(1, num_stages + 1):
            if i in inflate_stages:
                inflate_times += 1
            c_out = int(base_channels * ch_ratio**inflate_times + EPS)
            blocks.append(
                TopologyGCNBlock(
                    c_in,
                    c_out,
                    graph,
                    stride=2 if i in down_stages else 1,
                    residual=i > 1))
            c_in = c_out
        self.out_channels = c_in
        self.gcn = ModuleList(blocks)

    def init_weights(self) -> None:
        """PyTorch's default initialisation (the authors'), unless an
        ``init_cfg`` asks for another."""
        if self.init_cfg is not None:
            super().init_weights()

    def forward(self, x: Tensor) -> Union[Tensor, Tuple[Tensor, Tensor]]:
        """Extract features.

        Args:
            x (Tensor): Skeletons (N, M, T, V, C).

        Returns:
            Tensor | tuple[Tensor, Tensor]: Features (N, M, C_out, T_out, V),
            and with ``out_topology`` the topology vector (N, V * V).
        """
        N, M, T, V, C = x.shape
        x = x.permute(0, 1, 3, 4, 2).reshape(N * M, V * C, T)
        x = self.data_bn(x)
        x = x.view(N * M, V, C, T).permute(0, 2, 3, 1).contiguous()
        for block in self.gcn:
            x, topology = block(x)
        x = x.reshape((N, M) + x.shape[1:])
        if not self.out_topology:
            return x
        # persons, then the K * mid channels, averaged: (N, V * V)
        topology = topology.reshape(N, M, -1, V, V).mean(dim=(1, 2))
        return x, topology.reshape(N, V * V)
