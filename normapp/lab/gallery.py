"""A sheet of the task's images, a row per class, for the page to show as one picture."""

from __future__ import annotations

import numpy as np


def class_sheet(
    images: np.ndarray, labels: np.ndarray, n_classes: int, per_class: int = 8, scale: int = 4
) -> np.ndarray:
    """(rows·(16·scale+gap), ...) uint8 RGB: the first `per_class` images of each class.

    Every image is shown in one fixed window (the 1st to 99th percentile of all values), not
    stretched on its own, so the brightness and contrast jitter the network faces stays
    visible.

    Examples
    --------
    >>> images = np.zeros((4, 3, 16, 16), np.float32); images[1] = 1.0
    >>> sheet = class_sheet(images, np.array([0, 0, 1, 1]), 2, per_class=2, scale=1)
    >>> sheet.shape, sheet.dtype.name
    ((34, 34, 3), 'uint8')
    """
    low, high = np.percentile(images, [1, 99])
    gap = 2
    size = images.shape[-1] * scale
    sheet = np.full(
        (n_classes * (size + gap) - gap, per_class * (size + gap) - gap, 3), 255, np.uint8
    )
    for label in range(n_classes):
        chosen = np.flatnonzero(labels == label)[:per_class]
        for column, index in enumerate(chosen):
            picture = (images[index].transpose(1, 2, 0) - low) / max(high - low, 1e-12)
            pixels = np.clip(picture * 255, 0, 255).astype(np.uint8)
            pixels = pixels.repeat(scale, axis=0).repeat(scale, axis=1)
            top, left = label * (size + gap), column * (size + gap)
            sheet[top : top + size, left : left + size] = pixels
    return sheet
