"""CTR-GCN backbone (Chen et al., ICCV 2021) for mmaction2 1.x.

Channel-wise Topology Refinement Graph Convolution for Skeleton-Based Action
Recognition, `paper <https://arxiv.org/abs/2107.12213>`__. Written from the
paper's description; it takes and returns tensors laid out as
:class:`mmaction.models.STGCN` does, so :class:`mmaction.models.GCNHead` and
:class:`mmaction.models.RecognizerGCN` work unchanged.
"""
from typing import Dict, List, Optional, Sequence, Union

import torch
import torch.nn as nn
from mmengine.model import BaseModule, ModuleList
from torch import Tensor

from mmaction.models.utils import Graph
from mmaction.registry import MODELS

EPS = 1e-4


class CTRGC(BaseModule):
    """Channel-wise topology refinement graph convolution, one subset.

    The input is projected twice to ``rel_channels``, averaged over time,
    and the pairwise joint differences ``tanh(x1_u - x2_v)`` give a
    channel-specific relation, which ``conv4`` lifts to ``out_channels``.
    The refined topology ``alpha * conv4(M) + A`` (one ``V x V`` matrix per
    sample and output channel) aggregates ``conv3(x)`` over the joints.

    Args:
        in_channels (int): Input channels C_in.
        out_channels (int): Output channels C_out.
        rel_reduction (int): ``rel_channels = in_channels // rel_reduction``.
            Defaults to 8.
        min_rel_channels (int): ``rel_channels`` used when the input is a raw
            skeleton (``in_channels`` in ``raw_in_channels``) or the
            reduction would go below 1. Defaults to 8.
        raw_in_channels (Sequence[int]): Input widths treated as raw
            coordinates. Defaults to ``(3, 9)``.
        init_cfg (dict or list[dict], optional): Initialisation config.
            Defaults to None.
    """

    def __init__(self,
                 in_channels: int,
                 out_channels: int,
                 rel_reduction: int = 8,
                 min_rel_channels: int = 8,
                 raw_in_channels: Sequence[int] = (3, 9),
                 init_cfg: Optional[Union[Dict, List[Dict]]] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        self.in_channels = in_channels
        self.out_channels = out_channels
        if in_channels in tuple(raw_in_channels):
            rel_channels = min_rel_channels
        else:
            rel_channels = in_channels // rel_reduction
            if rel_channels < 1:
                rel_channels = min_rel_channels
        self.rel_channels = rel_channels
        self.conv1 = nn.Conv2d(in_channels, rel_channels, kernel_size=1)
        self.conv2 = nn.Conv2d(in_channels, rel_channels, kernel_size=1)
        self.conv3 = nn.Conv2d(in_channels, out_channels, kernel_size=1)
        self.conv4 = nn.Conv2d(rel_channels, out_channels, kernel_size=1)
        self.tanh = nn.Tanh()

    def forward(self,
                x: Tensor,
                A: Tensor,
                alpha: Union[Tensor, float] = 1.) -> Tensor:
        """Refine the topology and aggregate.

        Args:
            x (Tensor): Features of shape (B, C_in, T, V).
            A (Tensor): Shared topology of this subset, shape (V, V).
            alpha (Tensor or float): Scale of the channel-specific
                refinement (a scalar).

        Returns:
            Tensor: Aggregated features of shape (B, C_out, T, V).
        """
        x1 = self.conv1(x).mean(-2)  # (B, R, V)
        x2 = self.conv2(x).mean(-2)  # (B, R, V)
        x3 = self.conv3(x)  # (B, C_out, T, V)
        rel = self.tanh(x1.unsqueeze(-1) - x2.unsqueeze(-2))  # (B, R, V, V)
        topology = self.conv4(rel) * alpha + A  # (B, C_out, V, V)
        return torch.einsum('ncuv,nctv->nctu', topology, x3)


class CTRGCUnit(BaseModule):
    """The spatial module of a CTR-GCN block.

    One :class:`CTRGC` per subset of the graph, summed, then BN, the unit's
    residual (1x1 conv + BN when the widths differ, identity otherwise) and
    ReLU. The shared topology ``PA`` (K, V, V) is learnable (initialised
    from the graph) when ``adaptive``, a fixed buffer otherwise; ``alpha``
    is a learnable scalar initialised to 0, shared by the subsets.

    Args:
        in_channels (int): Input channels C_in.
        out_channels (int): Output channels C_out.
        A (Tensor): Graph adjacency of shape (K, V, V).
        adaptive (bool): Learn the shared topology. Defaults to True.
        residual (bool): Use the unit's residual. Defaults to True.
        rel_reduction (int): See :class:`CTRGC`. Defaults to 8.
        bn_init (float): Initial weight of the BN after the aggregation
            (a small value lets each block start near its residual).
            Defaults to 1e-6.
        init_cfg (dict or list[dict], optional): Initialisation config.
            Defaults to None.
    """

    def __init__(self,
                 in_channels: int,
                 out_channels: int,
                 A: Tensor,
                 adaptive: bool = True,
                 residual: bool = True,
                 rel_reduction: int = 8,
                 bn_init: float = 1e-6,
                 init_cfg: Optional[Union[Dict, List[Dict]]] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        self.num_subsets = A.size(0)
        self.bn_init = bn_init
        self.convs = ModuleList([
            CTRGC(in_channels, out_channels, rel_reduction=rel_reduction)
            for _ in range(self.num_subsets)
        ])
        if adaptive:
            self.PA = nn.Parameter(A.clone())
        else:
            self.register_buffer('PA', A.clone())
        self.alpha = nn.Parameter(torch.zeros(1))
        if not residual:
            self.down = None
        elif in_channels != out_channels:
            self.down = nn.Sequential(
                nn.Conv2d(in_channels, out_channels, kernel_size=1),
                nn.BatchNorm2d(out_channels))
        else:
            self.down = nn.Identity()
        self.bn = nn.BatchNorm2d(out_channels)
        self.relu = nn.ReLU(inplace=True)

    def init_weights(self) -> None:
        """Run the configured initialisation, then set ``bn`` to
        ``bn_init``."""
        super().init_weights()
        nn.init.constant_(self.bn.weight, self.bn_init)
        nn.init.constant_(self.bn.bias, 0)

    def forward(self, x: Tensor) -> Tensor:
        """Spatial graph convolution.

        Args:
            x (Tensor): Features of shape (B, C_in, T, V).

        Returns:
            Tensor: Features of shape (B, C_out, T, V).
        """
        y = None
        for i, conv in enumerate(self.convs):
            z = conv(x, self.PA[i], self.alpha)
            y = z if y is None else y + z
        y = self.bn(y)
        if self.down is not None:
            y = y + self.down(x)
        return self.relu(y)


class MultiScaleTCN(BaseModule):
    """Multi-scale temporal convolution of CTR-GCN.

    ``len(dilations) + 2`` branches of ``out_channels // num_branches``
    channels each (the first branch takes the remainder), concatenated:
    for each dilation, 1x1 conv-BN-ReLU then a ``kernel_size x 1`` temporal
    conv-BN with that dilation; a 1x1 conv-BN-ReLU then ``3 x 1`` max pooling
    and BN; a strided 1x1 conv-BN. The temporal stride applies in every
    branch.

    Args:
        in_channels (int): Input channels C_in.
        out_channels (int): Output channels C_out.
        kernel_size (int): Temporal kernel of the dilated branches.
            Defaults to 5.
        stride (int): Temporal stride. Defaults to 1.
        dilations (Sequence[int]): Dilations of the temporal-conv branches.
            Defaults to ``(1, 2)``.
        pool_size (int): Temporal window of the max-pool branch.
            Defaults to 3.
        dropout (float): Dropout on the concatenated output. Defaults to 0.
        init_cfg (dict or list[dict], optional): Initialisation config.
            Defaults to None.
    """

    def __init__(self,
                 in_channels: int,
                 out_channels: int,
                 kernel_size: int = 5,
                 stride: int = 1,
                 dilations: Sequence[int] = (1, 2),
                 pool_size: int = 3,
                 dropout: float = 0.,
                 init_cfg: Optional[Union[Dict, List[Dict]]] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        num_branches = len(dilations) + 2
        assert out_channels >= num_branches, (
            f'out_channels ({out_channels}) must be >= the number of '
            f'branches ({num_branches})')
        branch = out_channels // num_branches
        widths = [branch] * num_branches
        widths[0] += out_channels - branch * num_branches

        def reduce(c):
            return [
                nn.Conv2d(in_channels, c, kernel_size=1),
                nn.BatchNorm2d(c),
                nn.ReLU(inplace=True)
            ]

        branches = []
        for c, d in zip(widths, dilations):
            pad = (kernel_size + (kernel_size - 1) * (d - 1) - 1) // 2
            branches.append(
                nn.Sequential(
                    *reduce(c),
                    nn.Conv2d(
                        c,
                        c,
                        kernel_size=(kernel_size, 1),
                        stride=(stride, 1),
                        padding=(pad, 0),
                        dilation=(d, 1)), nn.BatchNorm2d(c)))
        c = widths[len(dilations)]
        branches.append(
            nn.Sequential(
                *reduce(c),
                nn.MaxPool2d(
                    kernel_size=(pool_size, 1),
                    stride=(stride, 1),
                    padding=(pool_size // 2, 0)), nn.BatchNorm2d(c)))
        c = widths[-1]
        branches.append(
            nn.Sequential(
                nn.Conv2d(in_channels, c, kernel_size=1, stride=(stride, 1)),
                nn.BatchNorm2d(c)))
        self.branches = ModuleList(branches)
        self.drop = nn.Dropout(dropout) if dropout > 0 else nn.Identity()

    def forward(self, x: Tensor) -> Tensor:
        """Temporal convolution.

        Args:
            x (Tensor): Features of shape (B, C_in, T, V).

        Returns:
            Tensor: Features of shape (B, C_out, ceil(T / stride), V).
        """
        return self.drop(torch.cat([b(x) for b in self.branches], dim=1))


class CTRGCNBlock(BaseModule):
    """A CTR-GCN block: ``relu(tcn(gcn(x)) + residual(x))``.

    Args:
        in_channels (int): Input channels C_in.
        out_channels (int): Output channels C_out.
        A (Tensor): Graph adjacency of shape (K, V, V).
        stride (int): Temporal stride. Defaults to 1.
        residual (bool): Use the block's residual (identity, or a strided
            1x1 conv + BN when the shape changes). Defaults to True.
        adaptive (bool): Learn the shared topology. Defaults to True.
        rel_reduction (int): See :class:`CTRGC`. Defaults to 8.
        gcn_bn_init (float): See :class:`CTRGCUnit`. Defaults to 1e-6.
        tcn_kernel_size (int): See :class:`MultiScaleTCN`. Defaults to 5.
        tcn_dilations (Sequence[int]): See :class:`MultiScaleTCN`.
            Defaults to ``(1, 2)``.
        tcn_dropout (float): See :class:`MultiScaleTCN`. Defaults to 0.
        init_cfg (dict or list[dict], optional): Initialisation config.
            Defaults to None.
    """

    def __init__(self,
                 in_channels: int,
                 out_channels: int,
                 A: Tensor,
                 stride: int = 1,
                 residual: bool = True,
                 adaptive: bool = True,
                 rel_reduction: int = 8,
                 gcn_bn_init: float = 1e-6,
                 tcn_kernel_size: int = 5,
                 tcn_dilations: Sequence[int] = (1, 2),
                 tcn_dropout: float = 0.,
                 init_cfg: Optional[Union[Dict, List[Dict]]] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        self.gcn = CTRGCUnit(
            in_channels,
            out_channels,
            A,
            adaptive=adaptive,
            rel_reduction=rel_reduction,
            bn_init=gcn_bn_init)
        self.tcn = MultiScaleTCN(
            out_channels,
            out_channels,
            kernel_size=tcn_kernel_size,
            stride=stride,
            dilations=tcn_dilations,
            dropout=tcn_dropout)
        if not residual:
            self.residual = None
        elif in_channels == out_channels and stride == 1:
            self.residual = nn.Identity()
        else:
            self.residual = nn.Sequential(
                nn.Conv2d(
                    in_channels,
                    out_channels,
                    kernel_size=1,
                    stride=(stride, 1)), nn.BatchNorm2d(out_channels))
        self.relu = nn.ReLU(inplace=True)

    def forward(self, x: Tensor) -> Tensor:
        """One block.

        Args:
            x (Tensor): Features of shape (B, C_in, T, V).

        Returns:
            Tensor: Features of shape (B, C_out, ceil(T / stride), V).
        """
        y = self.tcn(self.gcn(x))
        if self.residual is not None:
            y = y + self.residual(x)
        return self.relu(y)


@MODELS.register_module()
class CTRGCN(BaseModule):
    """CTR-GCN backbone.

    Channel-wise Topology Refinement Graph Convolution for Skeleton-Based
    Action Recognition (Chen et al., ICCV 2021), `paper
    <https://arxiv.org/abs/2107.12213>`__. A data BN, then ``num_stages``
    :class:`CTRGCNBlock` s: the first maps ``in_channels`` to
    ``base_channels`` without the block residual, the widths multiply by
    ``ch_ratio`` at ``inflate_stages`` and the time is strided by 2 at
    ``down_stages`` (1-based). With the defaults: 64, 64, 64, 64, 128, 128,
    128, 256, 256, 256 channels, T_out = ceil(ceil(T / 2) / 2).

    Args:
        graph_cfg (dict): Config of :class:`mmaction.models.utils.Graph`;
            mode ``'spatial'`` gives the paper's 3 subsets.
        in_channels (int): Channels per joint C (3 for 3D, 2 or 3 for 2D
            with scores). Defaults to 3.
        base_channels (int): Width of the first blocks. Defaults to 64.
        data_bn_type (str): ``'VC'`` (BN over joint x channel, persons
            shared), ``'MVC'`` (per person too) or anything else for none.
            Defaults to ``'VC'``.
        ch_ratio (int): Width multiplier at each inflation. Defaults to 2.
        num_person (int): Persons M, used when ``data_bn_type == 'MVC'``.
            Defaults to 2.
        num_stages (int): Number of blocks. Defaults to 10.
        inflate_stages (Sequence[int]): Blocks that inflate the width.
            Defaults to ``(5, 8)``.
        down_stages (Sequence[int]): Blocks with temporal stride 2.
            Defaults to ``(5, 8)``.
        adaptive (bool): Learn the shared topologies. Defaults to True.
        rel_reduction (int): Reduction of the relation channels in CTR-GC.
            Defaults to 8.
        gcn_bn_init (float): Initial weight of the BN after each CTR-GC
            aggregation. Defaults to 1e-6.
        tcn_kernel_size (int): Temporal kernel of the dilated branches.
            Defaults to 5.
        tcn_dilations (Sequence[int]): Dilations of the temporal branches.
            Defaults to ``(1, 2)``.
        tcn_dropout (float): Dropout after each temporal module but the
            first block's. Defaults to 0.
        init_cfg (dict or list[dict], optional): Initialisation config.
            Defaults to Kaiming-normal (fan_out) convolutions with zero bias
            and unit/zero BNs.

    Example:
        >>> import torch
        >>> from aclnet_plugin.models import CTRGCN
        >>> model = CTRGCN(graph_cfg=dict(layout='nturgb+d', mode='spatial'))
        >>> model.init_weights()
        >>> x = torch.randn(2, 2, 64, 25, 3)  # (N, M, T, V, C)
        >>> model(x).shape  # (N, M, C_out, T_out, V)
        torch.Size([2, 2, 256, 16, 25])
    """

    def __init__(self,
                 graph_cfg: Dict,
                 in_channels: int = 3,
                 base_channels: int = 64,
                 data_bn_type: str = 'VC',
                 ch_ratio: int = 2,
                 num_person: int = 2,
                 num_stages: int = 10,
                 inflate_stages: Sequence[int] = (5, 8),
                 down_stages: Sequence[int] = (5, 8),
                 adaptive: bool = True,
                 rel_reduction: int = 8,
                 gcn_bn_init: float = 1e-6,
                 tcn_kernel_size: int = 5,
                 tcn_dilations: Sequence[int] = (1, 2),
                 tcn_dropout: float = 0.,
                 init_cfg: Optional[Union[Dict, List[Dict]]] = [
                     dict(
                         type='Kaiming',
                         layer='Conv2d',
                         mode='fan_out',
                         distribution='normal',
                         bias=0),
                     dict(
                         type='Constant',
                         layer=['BatchNorm1d', 'BatchNorm2d'],
                         val=1,
                         bias=0)
                 ]) -> None:
        super().__init__(init_cfg=init_cfg)
        self.graph = Graph(**graph_cfg)
        A = torch.tensor(self.graph.A, dtype=torch.float32)
        num_joints = A.size(1)
        self.in_channels = in_channels
        self.base_channels = base_channels
        self.ch_ratio = ch_ratio
        self.num_stages = num_stages
        self.inflate_stages = tuple(inflate_stages)
        self.down_stages = tuple(down_stages)
        self.data_bn_type = data_bn_type
        if data_bn_type == 'MVC':
            self.data_bn = nn.BatchNorm1d(num_person * in_channels *
                                          num_joints)
        elif data_bn_type == 'VC':
            self.data_bn = nn.BatchNorm1d(in_channels * num_joints)
        else:
            self.data_bn = nn.Identity()

        blocks = []
        inflate_times = 0
        c_in = in_channels
        for i in range(1, num_stages + 1):
            if i in self.inflate_stages:
                inflate_times += 1
            c_out = int(base_channels * ch_ratio**inflate_times + EPS)
            blocks.append(
                CTRGCNBlock(
                    c_in,
                    c_out,
                    A,
                    stride=2 if i in self.down_stages else 1,
                    residual=i > 1,
                    adaptive=adaptive,
                    rel_reduction=rel_reduction,
                    gcn_bn_init=gcn_bn_init,
                    tcn_kernel_size=tcn_kernel_size,
                    tcn_dilations=tcn_dilations,
                    tcn_dropout=tcn_dropout if i > 1 else 0.))
            c_in = c_out
        self.out_channels = c_in
        self.gcn = ModuleList(blocks)

    def forward(self, x: Tensor) -> Tensor:
        """Extract features.

        Args:
            x (Tensor): Skeletons of shape (N, M, T, V, C).

        Returns:
            Tensor: Features of shape (N, M, C_out, T_out, V).
        """
        N, M, T, V, C = x.size()
        x = x.permute(0, 1, 3, 4, 2).contiguous()  # (N, M, V, C, T)
        if self.data_bn_type == 'MVC':
            x = self.data_bn(x.view(N, M * V * C, T))
        else:
            x = self.data_bn(x.view(N * M, V * C, T))
        x = x.view(N, M, V, C, T).permute(0, 1, 3, 4, 2).contiguous().view(
            N * M, C, T, V)
        for block in self.gcn:
            x = block(x)
        return x.reshape((N, M) + x.shape[1:])
