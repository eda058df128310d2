"""Explorer: choose the axes; see which numbers share a mean, the statistics and the effect."""

import streamlit as st

import normlib
from normapp import cached, figures, ui
from normapp.explorer import (
    after_check,
    controls,
    element_walkthrough,
    presenter,
    presets,
    set_description,
    tab_views,
)
from normapp.explorer import link as explorer_link
from normapp.lab import controls as lab_controls
from normapp.links import bound, widgets
from normapp.links import params as state
from normapp.teaching import seed_question

TABLE = controls.TABLE
TABS = controls.TABS
NO_BAR = figures.CHART_CONFIG
PICK_KEYS = controls.PICK_KEYS
# The statistics table shows every row up to this many sets; more scroll in this height.


data = ui.current_input("explorer")
n_max, c_max, h_max, w_max = data.shape
page_notices = st.container()  # a whole run's messages (the link's), above the title

title_slot = st.container()  # the title and the question, left out of the presenter view
top = st.container(key="present-top")  # sticky in the presenter view (assets/presenter.css)
name_slot, toggle_col = top.columns([3, 1], vertical_alignment="top")
with toggle_col:
    presenting = presenter.toggle()
if presenting:
    presenter.style()
else:
    title_slot.title("Normalization Explorer", anchor=False)
if not presenting:
    # The question beside "Try first" (3 : 2), one under the other on a phone: one element.
    title_slot.expander(f"The question: {seed_question.TITLE}?", expanded=True).markdown(
        "<div style='display:flex;flex-wrap:wrap;column-gap:2rem'>"
        "<div style='flex:3 1 18rem'>\n\n"
        f"“{seed_question.SETUP}”: "
        + "; ".join(
            f"**{normlib.METHODS[key].name}**, “{words}”" for key, words in seed_question.METHODS
        )
        + f". “{seed_question.ASK}” — {seed_question.SOURCE}. Its accepted answer says "
        "Method 2 is batch normalization: check it here.\n\n</div>"
        "<div style='flex:2 1 12rem'>\n\n"
        "**Try first:** click **Method 3**, then **BatchNorm**: the same sets, the same "
        "numbers. Then **Method 2**: one mean per (c, h, w). Click a cell of the grid to "
        "see its whole computation.\n\n</div></div>",
        unsafe_allow_html=True,
    )


def current_spec() -> normlib.NormSpec:
    return controls.current_spec(st.session_state)


divisors = state.divisors(c_max)


def apply_preset() -> None:
    controls.apply_preset(st.session_state, c_max, switch_input=presenting)


def follow_controls() -> None:
    controls.follow_controls(st.session_state)


def pick_from_click() -> None:
    points = st.session_state["ex:grid"].selection.get("points", [])
    if points:
        element = figures.grid_point_to_element(points[0]["x"], points[0]["y"], data.shape)
        if element is not None:
            for key, value in zip(PICK_KEYS, element, strict=True):
                st.session_state[key] = value


# The page from the Method row down is one fragment: a click on its controls (a preset,
# an axis, a grid cell, a tab) reruns only it, not the sidebar, the title and the question
# above, which it cannot change. The browser redraws only the fragment, and the headline
# shows sooner. A sidebar change or opening Share reruns the whole page. The fragment reads
# the link and repairs typed values itself (open_link), so its own rerun checks them as a
# whole run does. A whole run's messages (a link's) go above the title, where a phone shows
# them first; a fragment rerun's (a typed value's) go at the fragment's top, the only place
# it can write, by the controls. The presenter view writes its headline into `name_slot`
# above, outside any fragment, so there the body runs as part of the page.
whole_run = [True]  # taken by the body's first call, the one inside this whole run


def explorer_body() -> None:
    """The controls, the answer, the figures and the tabs: the page under the question."""
    notices = page_notices if whole_run and whole_run.pop() else st.container()
    if controls.SWITCHED_KEY in st.session_state:  # the presenter's G switched the input
        notices.info(st.session_state.pop(controls.SWITCHED_KEY), icon=":material/swap_horiz:")
    link = explorer_link.open_link(data.shape)
    method_row()
    figure_slot = st.container() if presenting else None  # the presenter's figure, under it
    axes, groups, center = axes_row()
    explorer_link.check_controls(link)

    # The one value every figure below is computed from (G counts only while C is reduced).
    spec = normlib.NormSpec("".join(axes), groups=groups if "C" in axes else 1, center=center)
    eps, gamma, beta = (
        float(st.session_state.get(name, TABLE[name].param.default))
        for name in ("eps", "gamma", "beta")
    )
    view = cached.View.of(data, spec, eps, gamma, beta)
    result = cached.normalized(view, data.x)
    element = tuple(int(st.session_state[k]) for k in ("ex:n", "ex:c", "ex:h", "ex:w"))

    formulas = answer(spec, result)
    if presenting:
        with figure_slot:
            presenter_figure(view, result, spec, element)
    else:
        log_y, words = sets_and_histograms(view, result, spec, element)
        element_arithmetic(result, spec, element, gamma, beta, words)
        stats_pane, cube_pane, groups_pane, maps_pane, formula_pane, download_pane = widgets.draw(
            TABLE["tab"], on_change="rerun"
        )
        # Lazy tabs: only the open one is computed and sent to the browser.
        if stats_pane.open:
            with stats_pane:
                tab_views.stats_tab(data, view, result, spec)
        if cube_pane.open:
            with cube_pane:
                tab_views.cube_tab(data, spec, element)
        if groups_pane.open:
            with groups_pane:
                tab_views.groups_tab(data, view, result, spec, log_y)
        if maps_pane.open:
            with maps_pane:
                tab_views.maps_tab(data, view, result)
        if formula_pane.open:
            with formula_pane:
                tab_views.formula_tab(formulas)
        if download_pane.open:
            with download_pane:
                tab_views.download_tab(result, spec)

    explorer_link.finish(element)
    with notices:
        bound.show_messages()


# --- Choosing the normalization
def method_row() -> None:
    # Not kept while away (persist_state): a link from another page opens the Explorer anew.
    widgets.draw(TABLE["method"], on_change=apply_preset, persist_state=None)


def axes_row() -> tuple[list[str], int, bool]:
    """The axes, G, eps, Center, γ and β (the presenter view: axes, G, Center, its keys)."""
    # eps, γ, β, the element and the log toggle keep their values (persist_state="page")
    # Hidden while the room predicts (presenter); else one row of its own, wrapping on a phone.
    row = st.container(key="ex-axes-row", horizontal=not presenting, vertical_alignment="bottom")
    if presenting:
        axes_col, groups_col, center_col = row.columns([2.2, 2.2, 1.2], vertical_alignment="bottom")
        sizes: dict[str, dict] = {"axes": {}, "groups": {}, "center": {}}
    else:  # the controls side by side in the row itself: one block (columns were eight)
        axes_col = groups_col = center_col = row
        sizes = {"axes": {"width": 200}, "groups": {"width": 140}, "center": {"width": "content"}}
    follow = {"on_change": follow_controls, "persist_state": None}
    axes = widgets.draw(TABLE["axes"], axes_col, **sizes["axes"], **follow)
    groups = widgets.draw(
        TABLE["groups"],
        groups_col,
        options=divisors,  # G divides this input's C
        disabled="C" not in st.session_state["axes"] or c_max == 1,
        **sizes["groups"],
        **follow,
    )
    if not presenting:
        eps_box(row)
    center = widgets.draw(TABLE["center"], center_col, **sizes["center"], **follow)
    if presenting:
        presenter.shortcut_buttons(c_max)
    else:
        affine_boxes(row)
    return axes, groups, center


# eps, γ and β are left out of the presenter view, which teaches the sets.
def eps_box(row) -> None:
    help_now = presets.eps_help(current_spec(), st.session_state["method"])
    widgets.draw(TABLE["eps"], row, step=1e-5, format="%.0e", help=help_now, width=100)


def affine_boxes(row) -> None:
    widgets.draw(TABLE["gamma"], row, step=0.5, width=80)
    widgets.draw(TABLE["beta"], row, step=0.5, width=80)


# --- The answer, big (while the room predicts, what would answer it is hidden)
def answer(spec: normlib.NormSpec, result) -> normlib.SpecLatex:
    name = normlib.identify(spec, data.shape)
    formulas = spec.latex(data.shape)
    waiting = presenting and presenter.prediction_pending()
    shown_name, headline = name, set_description.headline(spec, data.shape)
    if waiting:  # the question's method by its name alone, and no numbers yet
        shown_name, headline = presenter.asked_name(), presenter.HIDDEN_HEADLINE
    # The method's name and the headline in one element (a page's cost is per element).
    (name_slot if presenting else st).markdown(
        f"### {shown_name}\n\n"
        f"<div style='font-size:2.4rem;font-weight:700;line-height:1.15'>{headline}</div>",
        unsafe_allow_html=True,
    )
    if waiting:
        presenter.hide_answer()
    # Hidden while the room predicts, with the controls (presenter.hide_answer).
    words_col, formula_col = (st.container(key="ex-answer") if presenting else st).columns(
        [1, 1], vertical_alignment="center"
    )
    words_col.markdown(
        f"Reduced over **{set_description.reduced_words(spec)}** → "
        f"{set_description.one_statistic_per(spec)}. "
        f"Input: {data.title}, shape (N, C, H, W) = {data.shape}."
    )
    if not presenting and (lab_query := lab_controls.lab_query(spec)) is not None:
        words_col.page_link(
            ui.PAGES_DIR / "lab.py",
            label="Train a small CNN with this normalization",
            icon=":material/science:",
            query_params=lab_query,
            help="The Training lab trains a tiny CNN live with it, beside BatchNorm2d if you like.",
        )
    # The mean, the group's channels (GroupNorm) and m, centred one under the other: one element.
    shown = [f for f in (formulas.mean, formulas.group_set, formulas.count) if f]
    formula_col.latex(r"\begin{gathered}" + r" \\[10pt] ".join(shown) + r"\end{gathered}")
    eps_zero_note = after_check.eps_zero_note(result)
    if eps_zero_note:
        st.warning(eps_zero_note)
    return formulas


def presenter_figure(view, result, spec: normlib.NormSpec, element: tuple[int, ...]) -> None:
    """One figure at a time, full width, projector-sized text."""
    choice, predict = presenter.figure_choice()
    big = dict(height=figures.PRESENTER_HEIGHT, text="presenter")
    if choice == "grid":
        prompt = st.container()  # the question while the room predicts, empty once revealed
        if presenter.grid_waits(predict):
            with prompt:
                presenter.reveal_prompt()
        # Drawn while the room predicts too, hidden (presenter.hide_answer): the reveal then
        # only shows a chart the browser has already drawn, as quick as any other key.
        with st.container(key=presenter.GRID_BOX_KEY):
            st.plotly_chart(
                cached.set_grid_figure(data.shape, spec, element, **big),
                key="ex:grid",
                on_select=pick_from_click,
                selection_mode="points",
                config=NO_BAR,
            )
    elif choice == "hist":
        log_y = bool(st.session_state.get("log", False))
        st.plotly_chart(
            cached.histogram_figure(
                view, 60, big["height"], log_y, data.x, result.output, "presenter"
            ),
            config=NO_BAR,
        )
    elif choice == "stats":
        st.plotly_chart(cached.stats_figure(view, result, **big), config=NO_BAR)
    else:
        st.plotly_chart(cached.cube_figure(data.shape, spec, element, **big), config=NO_BAR)


# --- Which cells share a mean | before and after
def sets_and_histograms(view, result, spec: normlib.NormSpec, element) -> tuple[bool, str]:
    sets_col, hist_col = st.columns(2)
    with sets_col:
        set_id, words = set_description.element_set(spec, data.shape, element)
        st.markdown(
            f"**Which cells share a mean** · selected (n, c, h, w) = {element}: "
            f"set {set_id}, {set_description.plural(result.count, 'element')} ({words})"
        )
        st.plotly_chart(
            cached.set_grid_figure(data.shape, spec, element),
            key="ex:grid",
            on_select=pick_from_click,
            selection_mode="points",
            config=NO_BAR,
        )
        boxes = st.container(horizontal=True, wrap=False)  # one block: four boxes, as columns(4)
        for key, size in zip(PICK_KEYS, data.shape, strict=True):
            boxes.number_input(
                key.removeprefix("ex:"),
                step=1,
                key=key,
                persist_state="page",
                help=f"0 to {size - 1}",
            )
        st.caption("Click a pixel of the grid, or choose n, c, h, w, to highlight its set.")
    with hist_col:
        st.markdown("**Before and after**, on shared bins")
        log_y = widgets.draw(TABLE["log"])
        st.plotly_chart(
            cached.histogram_figure(view, 60, figures.SIDE_HEIGHT, log_y, data.x, result.output),
            config=NO_BAR,
        )
    return log_y, words


# --- The selected element's whole computation, full width (the LaTeX is wide)
def element_arithmetic(result, spec: normlib.NormSpec, element, gamma, beta, words) -> None:
    with st.expander(f"The arithmetic of element {element}", expanded=True):
        arithmetic = element_walkthrough.element_arithmetic(data.x, result, element, gamma, beta)
        st.latex(element_walkthrough.element_arithmetic_latex(arithmetic))
        st.caption(
            f"Its set: {words}. μ and σ² are the set's biased statistics (÷ m)"
            if spec.center
            else f"Its set: {words}. ms is the set's mean square (÷ m), no mean is subtracted"
        )


# --- The tabs
if presenting:
    explorer_body()
else:
    st.fragment(explorer_body)()
