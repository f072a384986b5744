"""Matplotlib figures shared by the analysis tools.

Figures are made with :class:`matplotlib.figure.Figure` directly (no
``pyplot``), so drawing needs no display, keeps no global state and works
under any backend.
"""
import os
import os.path as osp
import textwrap
from typing import List, Optional, Sequence

import numpy as np

__all__ = ['class_labels', 'short_label', 'wrap_label', 'heatmap',
           'save_figure', 'MAX_NAMED_CLASSES']

#: Up to this many classes, heatmap axes carry class names; beyond, indices.
MAX_NAMED_CLASSES = 60


def class_labels(names: Optional[Sequence[str]],
                 num_classes: int) -> List[str]:
    """``names`` as strings, or ``'class i'`` when there are none."""
    if names is None:
        return [f'class {i}' for i in range(num_classes)]
    if len(names) != num_classes:
        raise ValueError(f'{len(names)} class names for {num_classes} '
                         'classes')
    return [str(n) for n in names]


def short_label(name: str, width: int = 28) -> str:
    """A label cut to ``width`` characters (with an ellipsis)."""
    return name if len(name) <= width else name[:width - 1] + '\u2026'


def wrap_label(name: str, width: int = 14) -> str:
    """A label broken into lines of about ``width`` characters.

    Lines break at spaces, hyphens and after underscores
    (``take_letter_from_envelope``), a word longer than ``width`` only when
    it must.
    """
    lines = textwrap.wrap(name.replace('_', '_ '), width,
                          break_long_words=False)
    return '\n'.join(line.replace('_ ', '_') for line in lines) or name


def save_figure(fig, path: str, dpi: int = 150) -> str:
    """Save a figure tightly cropped (no clipped labels); return the path."""
    folder = osp.dirname(osp.abspath(path))
    os.makedirs(folder, exist_ok=True)
    fig.savefig(path, dpi=dpi, bbox_inches='tight', pad_inches=0.15,
                facecolor='white')
    return path


def heatmap(matrix: np.ndarray,
            names: Sequence[str],
            title: str,
            colorbar_label: str,
            path: str,
            cmap: str = 'viridis',
            vmin: Optional[float] = 0.0,
            vmax: Optional[float] = None,
            xlabel: str = 'predicted class',
            ylabel: str = 'true class',
            fmt: str = '{:.3g}',
            max_named: int = MAX_NAMED_CLASSES) -> str:
    """Draw a (C, C) class-by-class matrix as a PNG.

    Class names label the axes up to ``max_named`` classes (cut to 28
    characters), class indices beyond; the figure grows with C. With 12
    classes or fewer every cell is written out.

    Args:
        matrix (np.ndarray): (C, C) values.
        names (Sequence[str]): C class names.
        title (str): The title.
        colorbar_label (str): What the colours mean.
        path (str): The PNG to write.
        cmap (str): A matplotlib colour map. Defaults to 'viridis'.
        vmin (float, optional): Colour scale minimum. Defaults to 0.
        vmax (float, optional): Colour scale maximum. Defaults to None
            (the largest value).
        xlabel (str): Column axis label. Defaults to 'predicted class'.
        ylabel (str): Row axis label. Defaults to 'true class'.
        fmt (str): How cell values are written (12 classes or fewer).
            Defaults to ``'{:.3g}'``.
        max_named (int): See above. Defaults to 60.

    Returns:
        str: ``path``.
    """
    from matplotlib.figure import Figure
    matrix = np.asarray(matrix, dtype=np.float64)
    num = matrix.shape[0]
    if matrix.shape != (num, num) or len(names) != num:
        raise ValueError(f'a ({len(names)}, {len(names)}) matrix expected, '
                         f'got {matrix.shape}')
    named = num <= max_named
    side = float(np.clip((0.2 if named else 0.1) * num + 4, 6, 22))
    fig = Figure(figsize=(side + 1.5, side), layout='constrained')
    ax = fig.add_subplot()
    image = ax.imshow(matrix, cmap=cmap, vmin=vmin, vmax=vmax,
                      interpolation='nearest', aspect='equal')
    colorbar = fig.colorbar(image, ax=ax, shrink=0.8)
    colorbar.set_label(colorbar_label)
    if named:
        size = 9 if num <= 20 else (7 if num <= 40 else 6)
        labels = [short_label(n) for n in names]
        ax.set_xticks(range(num), labels, rotation=90, fontsize=size)
        ax.set_yticks(range(num), labels, fontsize=size)
    else:
        step = max(1, int(np.ceil(num / 30)))
        ticks = list(range(0, num, step))
        ax.set_xticks(ticks, [str(t) for t in ticks], rotation=90,
                      fontsize=7)
        ax.set_yticks(ticks, [str(t) for t in ticks], fontsize=7)
        xlabel += ' (index)'
        ylabel += ' (index)'
    if num <= 12:
        for i in range(num):
            for j in range(num):
                value = matrix[i, j]
                if value == 0 or not np.isfinite(value):
                    continue
                text = fmt.format(value)
                red, green, blue, _ = image.cmap(image.norm(value))
                light = 0.299 * red + 0.587 * green + 0.114 * blue > 0.5
                ax.text(j, i, text, ha='center', va='center', fontsize=7,
                        color='black' if light else 'white')
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    return save_figure(fig, path)
