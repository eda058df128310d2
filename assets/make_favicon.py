"""Draw assets/favicon.png, the app's tab icon, so no page load fetches an icon font.

Three bars of different heights become three bars of one height: normalization
in a 64×64 picture. Pillow only, no font; run from the project folder::

    python assets/make_favicon.py
"""

from pathlib import Path

from PIL import Image, ImageDraw

SIZE = 64
BACKGROUND = (255, 75, 75)  # Streamlit's primary red, the app's accent colour
BARS_BEFORE = (14, 30, 22)  # bar heights in pixels, left of the arrow
BAR_AFTER = 22


def draw() -> Image.Image:
    icon = Image.new("RGBA", (SIZE, SIZE), (0, 0, 0, 0))
    pen = ImageDraw.Draw(icon)
    pen.rounded_rectangle((0, 0, SIZE - 1, SIZE - 1), radius=12, fill=BACKGROUND)
    base = 48
    for i, height in enumerate(BARS_BEFORE):
        left = 8 + i * 7
        pen.rectangle((left, base - height, left + 4, base), fill="white")
    pen.polygon([(31, 30), (36, 34), (31, 38)], fill="white")
    for i in range(3):
        left = 40 + i * 7
        pen.rectangle((left, base - BAR_AFTER, left + 4, base), fill="white")
    pen.line((6, base + 4, SIZE - 7, base + 4), fill="white", width=2)
    return icon


if __name__ == "__main__":
    draw().save(Path(__file__).resolve().parent / "favicon.png", optimize=True)
