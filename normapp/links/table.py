"""A page's controls, declared once: one row per URL parameter (no Streamlit here).

From a page's :class:`Table` come its widgets (normapp/links/widgets.py draws a row with its
key, label, default, choices or bounds, bound to the URL), the messages for a link value that
was not used (normapp/links/bound.py), the older names and forms a link may still use, and the
sitemap's list of the page's parameters (normapp/links/sitemap.py). A row whose `widget` is
``"link"`` is a compound value no plain widget holds (``pick=0,1,2,3``, ``momentum=none``, a
class session's code): read with normapp.links.bound.follow_into and written back by the page.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from normapp.links.params import Param

# The Streamlit widgets a row can be drawn as (normapp/links/widgets.py), and "link": no widget.
WIDGETS = frozenset(
    {
        "pills",
        "segmented_control",
        "tabs",
        "select_slider",
        "selectbox",
        "radio",
        "number_input",
        "slider",
        "text_input",
        "toggle",
        "multiselect",
        "link",
    }
)


@dataclass(frozen=True)
class Control:
    """One control of a page and its URL parameter.

    `param` gives the URL name, the default, the parser (which says what is wrong with a bad
    value) and the formatter. A choice widget's `options` are shown and written into the URL
    by their `labels` (the parser reads labels and older keys); without labels, a number's
    option is written as `param.format` writes it. `bounds` are a number's inclusive range,
    `step` its slider's or box's step (else Streamlit's, or 1 for a whole number).
    A multi-select's URL holds one key per choice; `joiner` joins them into the text the
    parser reads. `old_names` are the names older links used for the parameter.
    """

    param: Param
    widget: str = "link"
    label: str = ""
    options: tuple = ()
    labels: Mapping[Any, str] | None = None
    bounds: tuple[float, float] | None = None
    step: float | None = None
    multi: bool = False
    joiner: str = ""
    help: str | None = None
    old_names: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.widget not in WIDGETS:
            raise ValueError(f"{self.param.name}: unknown widget {self.widget!r}")

    @property
    def name(self) -> str:
        return self.param.name

    @property
    def bound(self) -> bool:
        """Whether a plain widget holds it, bound to the URL (else it is read by hand)."""
        return self.widget != "link"

    def option_label(self, option: Any) -> str:
        """How a choice is shown and written into the URL."""
        if self.labels is not None:
            return self.labels[option]
        return self.param.format(option)

    @property
    def url_labels(self) -> Mapping[Any, str] | None:
        """Each choice's text in the URL; None for a widget without choices."""
        if not self.options:
            return self.labels
        return {option: self.option_label(option) for option in self.options}

    def link_text(self, raw: list[str]) -> str:
        """The link's value as the parser reads it (a multi-select's choices joined)."""
        return self.joiner.join(raw) if self.multi else raw[-1]

    def is_current_form(self, raw: list[str]) -> bool:
        """Whether Streamlit's widget reads `raw` itself (else it is an older form, or bad)."""
        labels = self.url_labels
        if self.multi:
            if labels is not None:
                return all(value in labels.values() for value in raw)
            return all(len(value) == 1 for value in raw)
        if labels is not None:
            return raw[-1] in labels.values()
        if isinstance(self.param.default, bool):
            return raw[-1].lower() in ("true", "false")  # what Streamlit's toggle reads
        return True

    def widget_value(self, value: Any) -> Any:
        """A parsed value as the widget holds it."""
        return list(value) if self.multi else value


@dataclass(frozen=True)
class Table:
    """A page's controls, in the order the page draws them."""

    controls: tuple[Control, ...]

    def __iter__(self) -> Iterator[Control]:
        return iter(self.controls)

    def __getitem__(self, name: str) -> Control:
        for control in self.controls:
            if control.name == name:
                return control
        raise KeyError(name)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(control.name for control in self.controls)

    @property
    def bound(self) -> tuple[Control, ...]:
        return tuple(control for control in self.controls if control.bound)

    @property
    def renamed(self) -> dict[str, str]:
        """Each older name a link may use, and today's name.

        >>> Table((Control(Param("tbatch", 32, int), old_names=("batch",)),)).renamed
        {'batch': 'tbatch'}
        """
        return {old: c.name for c in self.controls for old in c.old_names}

    def defaults(self) -> dict[str, Any]:
        return {control.name: control.param.default for control in self.controls}
