"""Generate the bundled sample images in ``assets/samples/`` (NumPy + Pillow only).

Every picture is drawn procedurally from a fixed seed, so running the script again
gives the same images. They differ deliberately in colour balance, brightness and
texture, so their per-channel statistics differ visibly and normalization has
something to equalize.

Run from the project folder::

    python assets/make_samples.py
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
from PIL import Image

SIZE = 96  # pixels per side
SEED = 20240611
OUTPUT_DIR = Path(__file__).resolve().parent / "samples"

# Pixel-centre coordinates in [0, 1]: y grows downward, x to the right.
_Y, _X = np.mgrid[0:SIZE, 0:SIZE].astype(np.float64)
Y, X = (_Y + 0.5) / SIZE, (_X + 0.5) / SIZE


def _mix(colour_a, colour_b, t: np.ndarray) -> np.ndarray:
    """Blend two RGB colours (0..1) by weight t (array), giving an (H, W, 3) image."""
    a, b = np.asarray(colour_a, float), np.asarray(colour_b, float)
    return a + (b - a) * np.clip(t, 0.0, 1.0)[..., None]


def _soft_mask(signed_distance: np.ndarray, width: float = 1.5 / SIZE) -> np.ndarray:
    """1 inside (distance < 0), 0 outside, with an anti-aliased edge about 1.5 px wide."""
    return np.clip(0.5 - signed_distance / width, 0.0, 1.0)


def _paint(image: np.ndarray, colour, mask: np.ndarray) -> np.ndarray:
    """Lay `colour` over `image` with opacity `mask` (H, W) in [0, 1]."""
    return image * (1 - mask[..., None]) + np.asarray(colour, float) * mask[..., None]


def _fractal_noise(rng: np.random.Generator, octaves: int = 5, base: int = 3) -> np.ndarray:
    """Smooth value noise in [0, 1]: random grids upsampled bicubically, halving amplitude."""
    total = np.zeros((SIZE, SIZE))
    amplitude, weight = 1.0, 0.0
    for octave in range(octaves):
        cells = base * 2**octave
        grid = rng.random((cells, cells)).astype(np.float32)
        smooth = Image.fromarray(grid).resize((SIZE, SIZE), Image.Resampling.BICUBIC)
        total += amplitude * np.asarray(smooth)
        weight += amplitude
        amplitude *= 0.5
    total /= weight
    return (total - total.min()) / (total.max() - total.min())


def sunset(rng: np.random.Generator) -> np.ndarray:
    horizon = 0.62
    sky = _mix((0.35, 0.12, 0.45), (1.0, 0.55, 0.15), Y / horizon)
    sun_distance = np.hypot(X - 0.5, Y - 0.55) - 0.17
    sky = _paint(sky, (1.0, 0.9, 0.35), _soft_mask(sun_distance))
    glow = np.exp(-(np.hypot(X - 0.5, Y - 0.55) ** 2) / 0.05)[..., None]
    sky = np.clip(sky + 0.25 * glow * np.array([1.0, 0.6, 0.2]), 0, 1)
    sea = _mix((0.45, 0.15, 0.2), (0.12, 0.04, 0.15), (Y - horizon) / (1 - horizon))
    # The sun's reflection: a shimmering column of orange streaks on the water.
    ripples = 0.5 + 0.5 * np.sin(Y * 180 + rng.random() * 6)
    column = np.exp(-((X - 0.5) ** 2) / 0.006) * ripples
    sea = np.clip(sea + 0.6 * column[..., None] * np.array([1.0, 0.6, 0.2]), 0, 1)
    return np.where(np.less(Y, horizon)[..., None], sky, sea)


def ocean(rng: np.random.Generator) -> np.ndarray:
    phase = rng.random(3) * 2 * np.pi
    waves = (
        np.sin(2 * np.pi * (3 * X + 9 * Y) + phase[0])
        + 0.6 * np.sin(2 * np.pi * (-5 * X + 14 * Y) + phase[1])
        + 0.4 * np.sin(2 * np.pi * (11 * X + 20 * Y) + phase[2])
    )
    depth = _mix((0.1, 0.55, 0.75), (0.0, 0.12, 0.35), Y)
    crests = np.clip((waves - 1.1) / 0.8, 0, 1)
    image = depth + 0.12 * waves[..., None] * np.array([0.2, 0.5, 0.6])
    return _paint(np.clip(image, 0, 1), (0.9, 0.97, 1.0), crests)


def forest(rng: np.random.Generator) -> np.ndarray:
    canopy = _fractal_noise(rng, octaves=4, base=6)
    image = _mix((0.02, 0.18, 0.04), (0.35, 0.65, 0.15), canopy**1.3)
    # Brown trunks behind leaves: vertical bars that show where the canopy is thin.
    for x0 in rng.uniform(0.05, 0.95, 6):
        trunk = _soft_mask(np.abs(X - x0) - rng.uniform(0.015, 0.035))
        image = _paint(image, (0.3, 0.18, 0.08), trunk * (canopy < 0.45) * (Y > 0.3))
    leaves = rng.random((SIZE, SIZE)) < 0.04
    return np.where(leaves[..., None], np.array([0.55, 0.8, 0.25]), image)


def checkerboard(rng: np.random.Generator) -> np.ndarray:
    squares = ((_Y // 12 + _X // 12) % 2).astype(float)
    return np.repeat(squares[..., None], 3, axis=-1)


def snow(rng: np.random.Generator) -> np.ndarray:
    drifts = _fractal_noise(rng, octaves=4, base=2)
    image = _mix((0.82, 0.87, 0.94), (0.98, 0.98, 1.0), drifts)
    flakes = rng.random((SIZE, SIZE)) < 0.03
    return np.where(flakes[..., None], 1.0, image)


def night(rng: np.random.Generator) -> np.ndarray:
    image = _mix((0.0, 0.0, 0.05), (0.04, 0.06, 0.2), Y)
    stars = rng.random((SIZE, SIZE))
    brightness = np.clip((stars - 0.985) / 0.015, 0, 1) ** 0.5
    image = image + brightness[..., None] * np.array([0.9, 0.9, 0.8])
    moon = _soft_mask(np.hypot(X - 0.75, Y - 0.25) - 0.1)
    bite = _soft_mask(np.hypot(X - 0.71, Y - 0.21) - 0.09)  # crescent: a darker disc
    image = _paint(image, (0.95, 0.93, 0.75), moon * (1 - bite))
    hills = 0.85 - 0.06 * np.sin(2 * np.pi * 1.3 * X + 1.0) - 0.04 * np.sin(2 * np.pi * 3 * X)
    return np.clip(_paint(image, (0.0, 0.01, 0.02), _soft_mask(hills - Y)), 0, 1)


def desert(rng: np.random.Generator) -> np.ndarray:
    image = _mix((0.55, 0.75, 0.95), (0.85, 0.9, 0.95), Y / 0.45)
    dune_colours = [(0.93, 0.76, 0.42), (0.86, 0.62, 0.3), (0.78, 0.52, 0.24)]
    for layer, colour in enumerate(dune_colours):
        crest = (
            0.45
            + 0.15 * layer
            + 0.06 * np.sin(2 * np.pi * (1.2 + 0.5 * layer) * X + rng.random() * 6)
        )
        shade = 0.85 + 0.15 * np.cos(2 * np.pi * (1.2 + 0.5 * layer) * X)
        layer_colour = np.asarray(colour)[None, None, :] * shade[..., None]
        mask = _soft_mask(crest - Y)[..., None]
        image = image * (1 - mask) + layer_colour * mask
    return image


def rose(rng: np.random.Generator) -> np.ndarray:
    radius = np.hypot(X - 0.5, Y - 0.5)
    angle = np.arctan2(Y - 0.5, X - 0.5)
    # A spiral of petal edges: darker lines where the spiral phase wraps around.
    petals = 0.5 + 0.5 * np.cos(5 * angle + 28 * radius)
    spiral = 0.5 + 0.5 * np.cos(angle * 3 - 60 * radius)
    flower = _mix((0.45, 0.0, 0.08), (0.95, 0.15, 0.25), 0.6 * petals + 0.4 * spiral)
    outline = 0.36 + 0.05 * np.cos(5 * angle)
    background = _mix((0.1, 0.3, 0.1), (0.2, 0.45, 0.15), X)
    inside = _soft_mask(radius - outline)[..., None]
    return background * (1 - inside) + flower * inside


def stripes(rng: np.random.Generator) -> np.ndarray:
    palette = np.array(
        [(0.9, 0.1, 0.1), (1.0, 0.8, 0.0), (0.1, 0.6, 0.2), (0.1, 0.3, 0.9), (0.5, 0.1, 0.6)]
    )
    band = ((_X + _Y) // 10).astype(int) % len(palette)
    return palette[band]


def clouds(rng: np.random.Generator) -> np.ndarray:
    cover = _fractal_noise(rng, octaves=6, base=2)
    sky = _mix((0.25, 0.5, 0.9), (0.55, 0.75, 1.0), Y)
    puff = np.clip((cover - 0.45) / 0.35, 0, 1) ** 0.8
    return _paint(sky, (0.97, 0.97, 0.98), puff)


SAMPLES: dict[str, Callable[[np.random.Generator], np.ndarray]] = {
    "sunset": sunset,
    "ocean": ocean,
    "forest": forest,
    "checkerboard": checkerboard,
    "snow": snow,
    "night": night,
    "desert": desert,
    "rose": rose,
    "stripes": stripes,
    "clouds": clouds,
}


def main() -> None:
    """Write every sample as ``assets/samples/NAME.png`` and print its size."""
    OUTPUT_DIR.mkdir(parents=True, exist_ok=True)
    for index, (name, draw) in enumerate(SAMPLES.items()):
        # One generator per image, so editing one picture never changes the others.
        rng = np.random.default_rng([SEED, index])
        pixels = np.clip(draw(rng), 0.0, 1.0)
        image = Image.fromarray(np.round(pixels * 255).astype(np.uint8))
        path = OUTPUT_DIR / f"{name}.png"
        image.save(path, optimize=True)
        print(f"{path.name:18s} {path.stat().st_size / 1024:6.1f} KB")


if __name__ == "__main__":
    main()
