"""BatchNorm's momentum as PyTorch defines it (the weight of the newest batch, or none for a
cumulative average): parsing, the slider's options, and how it maps to Keras' momentum
and moving variance. Pure, no Streamlit.
"""

from __future__ import annotations

import math

from normapp.links.literal import quoted

MOMENTUM_OPTIONS = ("0.01", "0.05", "0.1", "0.2", "0.5", "1", "none")


def parse_momentum(text: str) -> float | None:
    """``none`` (cumulative average) or a number from 0.01 to 1."""
    value = text.strip().lower()
    if value in ("none", "cumulative"):
        return None
    try:
        number = float(value)
    except ValueError:
        raise ValueError(
            f"momentum must be a number from 0.01 to 1 or 'none' (cumulative); got {quoted(text)}"
        ) from None
    if not (math.isfinite(number) and 0.01 <= number <= 1.0):
        raise ValueError(
            f"momentum must be from 0.01 to 1 (PyTorch's default 0.1) or 'none'; got {quoted(text)}"
        )
    return number


def keras_mixup_note(value: float | None) -> str | None:
    """A hint when a momentum looks copied from Keras (0.9 and up)."""
    if value is None or value < 0.9 or value == 1.0:
        return None
    return (
        f"PyTorch momentum {value:g} gives the newest batch weight {value:g}. If {value:g} was "
        f"Keras' momentum, PyTorch's equivalent is {1 - value:.2g}."
    )


def format_momentum(value: float | None) -> str:
    return "none" if value is None else f"{value:g}"


def momentum_options(current: float | None) -> list[str]:
    """The slider's options, with a value from a link inserted in order if it is new."""
    numbers = sorted(
        {float(o) for o in MOMENTUM_OPTIONS if o != "none"}
        | (set() if current is None else {float(current)})
    )
    return [f"{n:g}" for n in numbers] + ["none"]


def momentum_words(value: float | None) -> str:
    if value is None:
        return "None (cumulative average: factor 1/k at step k)"
    return f"{value:g}"


def keras_momentum(value: float | None) -> str:
    """PyTorch momentum → Keras momentum (the weight of the old value)."""
    if value is None:
        return "no Keras equivalent (Keras always uses an exponential moving average)"
    return f"{1.0 - value:.4g}"


def keras_variance_note(momentum: float | None, m: int) -> str:
    """What matched momentum does not match: Keras averages the biased variance.

    Keras 3's BatchNormalization updates moving_variance with the batch's
    biased variance (÷ m); PyTorch's running_var takes the unbiased one
    (÷ (m − 1)), so with matched momentum PyTorch's is m/(m − 1) times Keras'.
    """
    if momentum is None:
        return ""
    factor = f"{m / (m - 1):.6g}" if m > 1 else "undefined (m = 1)"
    return (
        f"Matched momentum does not give matched variances: Keras' `moving_variance` averages "
        f"each batch's **biased** variance (÷ m), PyTorch's `running_var` the **unbiased** one "
        f"(÷ (m − 1)). Each batch adds m/(m − 1) = {factor} times more to PyTorch's, so once "
        f"the starting value 1 has faded PyTorch's is {factor} times Keras' "
        f"(m = B·H·W = {m:,} here; `moving_mean` and `running_mean` agree)."
    )
