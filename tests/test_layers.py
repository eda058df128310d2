"""The import rules the README's Architecture section states, read off the code with `ast`.

Each rule is checked on every module it covers, so a new import that breaks a layer fails here
with the module and the import named.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PARTS = ("links", "explorer", "teaching", "classroom", "lab")


def imported(path: Path) -> set[str]:
    """Every module `path` imports, absolute and dotted (`from normapp import ui`: normapp.ui)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def modules(folder: str) -> list[Path]:
    return sorted((ROOT / folder).rglob("*.py"))


def relative(path: Path) -> str:
    return str(path.relative_to(ROOT))


@pytest.mark.parametrize("path", modules("normlib"), ids=relative)
def test_normlib_imports_numpy_pillow_and_the_standard_library_only(path):
    allowed = {"numpy", "PIL", "normlib"} | set(sys.stdlib_module_names)
    outside = {name for name in imported(path) if name.split(".")[0] not in allowed}
    assert not outside, f"{relative(path)} imports {sorted(outside)}"


def is_views(path: Path) -> bool:
    """A part's Streamlit views: views.py, or <what>_views.py when a part has several."""
    return path.name == "views.py" or path.name.endswith("_views.py")


def part_modules() -> list[Path]:
    return [p for part in PARTS for p in modules(f"normapp/{part}")]


@pytest.mark.parametrize("path", part_modules(), ids=relative)
def test_the_parts_do_not_import_the_page_layer(path):
    upward = {n for n in imported(path) if n in ("normapp.ui", "normapp.cached")}
    if is_views(path):  # a part's Streamlit views, used by pages only
        return
    assert not upward, f"{relative(path)} imports {sorted(upward)}"


def without_streamlit() -> list[Path]:
    paths = modules("normapp/teaching") + modules("normapp/figures") + modules("normapp/lab")
    classroom = ("quiz.py", "store.py", "database.py", "checks.py", "tally.py")
    paths += [ROOT / "normapp/classroom" / name for name in classroom]
    return [p for p in paths if not is_views(p)]


@pytest.mark.parametrize("path", without_streamlit(), ids=relative)
def test_computations_and_figures_do_not_import_streamlit(path):
    drawn = {n for n in imported(path) if n.split(".")[0] == "streamlit"}
    assert not drawn, f"{relative(path)} imports {sorted(drawn)}"


def test_a_part_views_module_is_imported_by_pages_only():
    views = {
        ".".join(p.relative_to(ROOT).with_suffix("").parts) for p in part_modules() if is_views(p)
    }
    assert {"normapp.classroom.views", "normapp.lab.views", "normapp.lab.live_views"} <= views
    importers = [
        relative(p)
        for p in modules("normapp") + modules("tests")
        if p.name != "test_layers.py" and imported(p) & views
    ]
    # Only pages draw them; one views module may use another of its part (live_views draws
    # the runs with views' table and curves).
    assert not [p for p in importers if p.startswith("normapp/") and not is_views(ROOT / p)]
    assert any(imported(p) & views for p in modules("pages"))


def test_the_rules_see_imports():
    # The reader itself: a module known to import the page layer is seen doing so.
    assert "normapp.ui" in imported(ROOT / "normapp/lab/views.py")
    assert "numpy" in imported(ROOT / "normlib/_compute.py")
