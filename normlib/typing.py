"""Type aliases for the shapes, elements and arrays normlib passes around.

One place for the tuple types so that a signature says *what* it takes, e.g.
``def count(shape: Shape4)`` instead of ``tuple[int, int, int, int]``.
They are plain aliases: any tuple or array of the right form is accepted.

Examples
--------
>>> from normlib.typing import Element, Shape4
>>> shape: Shape4 = (8, 3, 32, 32)      # (N, C, H, W)
>>> element: Element = (0, 2, 5, 7)     # (n, c, h, w): sample 0, channel 2, row 5, column 7
>>> shape[1], element[1]
(3, 2)
"""

from __future__ import annotations

import os
from typing import Any, TypeAlias

import numpy as np
import numpy.typing as npt

__all__ = [
    "Axes",
    "Element",
    "FloatArray",
    "GroupedShape",
    "ImageSize",
    "IntArray",
    "PathLike",
    "Shape",
    "Shape4",
]

#: A tensor shape (N, C, H, W): batch, channels, height, width.
Shape4: TypeAlias = tuple[int, int, int, int]

#: One element's coordinates (n, c, h, w) in an (N, C, H, W) tensor, each counted from 0.
Element: TypeAlias = tuple[int, int, int, int]

#: The grouped view (N, G, C/G, H, W) that GroupNorm's statistics refer to.
GroupedShape: TypeAlias = tuple[int, int, int, int, int]

#: A shape of any rank, as given by a caller before it is checked to be (N, C, H, W).
Shape: TypeAlias = tuple[int, ...]

#: An image size (height, width) in pixels.
ImageSize: TypeAlias = tuple[int, int]

#: Reduced axes as letters from "NCHW", e.g. "NHW" for BatchNorm2d; "" reduces nothing.
Axes: TypeAlias = str

#: A file or folder given as a string or a path object.
PathLike: TypeAlias = str | os.PathLike[str]

#: An array of floats of any precision (float16/32/64).
FloatArray: TypeAlias = npt.NDArray[np.floating[Any]]

#: An array of integers (set ids, labels, counts).
IntArray: TypeAlias = npt.NDArray[np.integer[Any]]
