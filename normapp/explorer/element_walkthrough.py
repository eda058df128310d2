"""One element's normalization with its real numbers: its set's statistics, x̂ and
y = γ·x̂ + β, as values and as one aligned LaTeX block. Pure, no Streamlit.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

import normlib
from normapp.explorer.set_description import element_set
from normlib.typing import Element


@dataclass(frozen=True)
class ElementArithmetic:
    """One element's whole computation with the real numbers (float64 from float32 stats).

    For centred specs ``stat`` is the set's biased variance σ² and ``mean``
    its mean μ; for non-centred specs ``stat`` is the mean square ms and
    ``mean`` is None. ``root`` = √(stat + eps), ``normalized`` = x̂ and
    ``output`` = γ·x̂ + β; ``stored_output`` is the value in the output tensor.
    """

    element: Element
    set_id: int
    x: float
    count: int
    mean: float | None
    stat: float
    eps: float
    root: float
    normalized: float
    gamma: float
    beta: float
    output: float
    stored_output: float


def element_arithmetic(
    x: np.ndarray,
    result: normlib.NormResult,
    element: Element,
    gamma: float = 1.0,
    beta: float = 0.0,
) -> ElementArithmetic:
    """The computation of output[element] step by step, from its set's statistics."""
    set_id, _ = element_set(result.spec, result.shape, element)
    n, c, h, w = (int(i) for i in element)  # plain ints, e.g. from NumPy integers
    value = float(x[element])
    stat = float(result.set_var[set_id])
    mean = float(result.set_mean[set_id]) if result.spec.center else None
    root = float(np.sqrt(stat + result.eps))
    with np.errstate(divide="ignore", invalid="ignore"):
        normalized = float(np.float64(value - (mean or 0.0)) / root)
    return ElementArithmetic(
        element=(n, c, h, w),
        set_id=set_id,
        x=value,
        count=result.count,
        mean=mean,
        stat=stat,
        eps=result.eps,
        root=root,
        normalized=normalized,
        gamma=gamma,
        beta=beta,
        output=gamma * normalized + beta,
        stored_output=float(result.output[element]),
    )


def _num(value: float) -> str:
    """A number for LaTeX: 6 significant digits, scientific as a power of ten."""
    text = f"{value:.6g}"
    if "e" in text:
        mantissa, power = text.split("e")
        return rf"{mantissa} \times 10^{{{int(power)}}}"
    return "\\text{NaN}" if text == "nan" else text


def _operand(value: float) -> str:
    """A number after a minus or times sign: negative ones in parentheses."""
    return f"({_num(value)})" if value < 0 else _num(value)


def element_arithmetic_latex(a: ElementArithmetic) -> str:
    """The computation as one aligned LaTeX block, every number from `a`."""
    n, c, h, w = a.element
    lines = [rf"x_{{{n},{c},{h},{w}}} &= {_num(a.x)}", rf"m &= {a.count:,}".replace(",", "{,}")]
    # Each definition on one row and its numbers on the next ("&= …"), so that the
    # block fits a 390-px phone: one row with both ran 417 px in a 324-px box.
    if a.mean is not None:
        lines += [
            rf"\mu &= \tfrac{{1}}{{m}} \textstyle\sum x \\ &= {_num(a.mean)}",
            rf"\sigma^2 &= \tfrac{{1}}{{m}} \textstyle\sum (x - \mu)^2 \\ &= {_num(a.stat)}",
            rf"\sqrt{{\sigma^2 + \epsilon}} &= \sqrt{{{_num(a.stat)} + {_num(a.eps)}}} "
            rf"\\ &= {_num(a.root)}",
            rf"\hat x &= \frac{{x - \mu}}{{\sqrt{{\sigma^2 + \epsilon}}}} \\ &= "
            rf"\frac{{{_num(a.x)} - {_operand(a.mean)}}}{{{_num(a.root)}}} "
            rf"\\ &= {_num(a.normalized)}",
        ]
    else:
        lines += [
            rf"\mathrm{{ms}} &= \tfrac{{1}}{{m}} \textstyle\sum x^2 \\ &= {_num(a.stat)}",
            rf"\sqrt{{\mathrm{{ms}} + \epsilon}} &= \sqrt{{{_num(a.stat)} + {_num(a.eps)}}} "
            rf"\\ &= {_num(a.root)}",
            rf"\hat x &= \frac{{x}}{{\sqrt{{\mathrm{{ms}} + \epsilon}}}} \\ &= "
            rf"\frac{{{_num(a.x)}}}{{{_num(a.root)}}} \\ &= {_num(a.normalized)}",
        ]
    lines.append(
        rf"y &= \gamma \hat x + \beta \\ &= {_num(a.gamma)} \cdot {_operand(a.normalized)} "
        rf"+ {_operand(a.beta)} \\ &= {_num(a.output)}"
    )
    return "\\begin{aligned}" + r" \\ ".join(lines) + "\\end{aligned}"
