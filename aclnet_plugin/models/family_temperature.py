"""Family-aware temperature (eq. 9)."""
from typing import Optional, Sequence

import torch
from torch import Tensor, nn

from mmaction.registry import MODELS
from ..utils import check_int


@MODELS.register_module()
class FamilyAwareTemperature(nn.Module):
    """Temperature of the inter-class loss from the size of a Motion Family.

    With the defaults, ``tau = 0.1`` for ``|W| <= K``, ``0.5`` for
    ``K < |W| <= 2K`` and ``1.0`` for ``|W| > 2K`` (eq. 9). In general the
    i-th boundary is ``i * K`` unless ``boundaries`` are given.

    Args:
        num_neighbors (int): K, the neighbour count of the families.
            Defaults to 10.
        temperatures (Sequence[float]): One temperature per size band,
            smallest families first. Defaults to (0.1, 0.5, 1.0).
        boundaries (Sequence[float], optional): Upper family size of every
            band but the last, increasing. Defaults to None
            (``K, 2K, ...``).
    """

    def __init__(self,
                 num_neighbors: int = 10,
                 temperatures: Sequence[float] = (0.1, 0.5, 1.0),
                 boundaries: Optional[Sequence[float]] = None) -> None:
        super().__init__()
        check_int('num_neighbors', num_neighbors, 1)
        temperatures = tuple(float(t) for t in temperatures)
        if not temperatures or min(temperatures) <= 0:
            raise ValueError('temperatures must be a non-empty sequence of '
                             f'positive numbers, got {temperatures!r}')
        if boundaries is None:
            boundaries = [num_neighbors * i for i in range(1, len(temperatures))]
        boundaries = tuple(float(b) for b in boundaries)
        if len(boundaries) != len(temperatures) - 1:
            raise ValueError(f'{len(temperatures)} temperatures need '
                             f'{len(temperatures) - 1} boundaries, got '
                             f'{boundaries!r}')
        if any(b1 >= b2 for b1, b2 in zip(boundaries, boundaries[1:])):
            raise ValueError(f'boundaries must increase, got {boundaries!r}')
        self.num_neighbors = num_neighbors
        self.temperatures = temperatures
        self.boundaries = boundaries

    def forward(self, family_sizes: Tensor) -> Tensor:
        """Temperatures for the given family sizes.

        Args:
            family_sizes (Tensor): (C,) number of members of each family.

        Returns:
            Tensor: (C,) float32 temperatures on the same device.
        """
        sizes = family_sizes.to(torch.float64)
        boundaries = torch.tensor(self.boundaries, dtype=torch.float64,
                                  device=sizes.device)
        # right=False: a size equal to a boundary stays in the lower band.
        band = torch.bucketize(sizes, boundaries, right=False)
        table = torch.tensor(self.temperatures, dtype=torch.float32,
                             device=sizes.device)
        return table[band]

    def extra_repr(self) -> str:
        return (f'num_neighbors={self.num_neighbors}, temperatures={self.temperatures}, '
                f'boundaries={self.boundaries}')
