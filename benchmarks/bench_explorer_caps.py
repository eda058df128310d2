"""Every page and Explorer tab at the caps: server time and extra memory of one view (AppTest).

Run with ``.venv/bin/python benchmarks/bench_explorer_caps.py``. Each view is a
link opened in a fresh process (so the peak memory is that view's alone): a
random tensor of 2^24 elements (the app's cap) with no axes, all axes and
GroupNorm, on every Explorer tab; then the other pages at their largest work
(Batch dependence with the widest sample the cap allows, Compare with every
method, Train vs eval with the most steps). Target (issue 7 item 5): at most
~3 s and ~1 GB above the process's memory before the view.
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import parse_qsl, urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from normapp.links import old_forms  # noqa: E402
from normlib import METHODS  # noqa: E402

TARGET_SECONDS = 3.0
TARGET_EXTRA_MB = 1024.0
SHAPE = "64x64x64x64"  # 2^24 elements, every axis at or under its cap
SPECS = {
    "no axes": {"axes": ""},
    "all axes": {"axes": "NCHW"},
    "GroupNorm(8)": {"axes": "CHW", "groups": "8", "method": "groupnorm"},
    "BatchNorm": {"axes": "NHW"},
}
TABS = ("stats", "cube", "groups", "maps", "formula", "downloads")
# (name, page script, link): the other pages at their largest work.
PAGE_VIEWS = (
    ("Batch, wide", "pages/batch.py", {"shape": "2x64x256x256", "batch": "64"}),
    ("Batch, noise", "pages/batch.py", {"shape": SHAPE, "batch": "64", "mates": "noise"}),
    ("Compare, all", "pages/compare.py", {"shape": SHAPE, "methods": ",".join(METHODS)}),
    ("Train vs eval", "pages/train_eval.py", {"shape": SHAPE, "steps": "500", "batch": "64"}),
)


def one_view(query: dict[str, str], page: str = "") -> dict[str, float]:
    """Open `query` as a link (to `page`, else the Explorer) in this process; return seconds
    and extra peak MB."""
    from streamlit.testing.v1 import AppTest

    # tests/app_entry.py runs app.py on every run (see its docstring); page paths are
    # relative to it. A small view first, so imports and Streamlit's own start-up are
    # not counted.
    entry = str(ROOT / "tests" / "app_entry.py")
    warm = AppTest.from_file(entry, default_timeout=120)
    warm.run()
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    at = AppTest.from_file(entry, default_timeout=120)
    # The link as the server would hand it to the page: older forms (axes=NHW) rewritten.
    link = urlencode(query)
    values: dict[str, list[str]] = {}
    for key, value in parse_qsl(old_forms.current_form(link) or link):
        values.setdefault(key, []).append(value)
    for key, given in values.items():
        at.query_params[key] = given[0] if len(given) == 1 else given
    start = time.perf_counter()
    if page:  # a link to a page: its parameters first, then the page (as tests/conftest.py)
        at.switch_page("../" + page)
    at.run()
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    if at.exception:
        raise SystemExit(f"the app raised: {at.exception[0].value}")
    return {"seconds": seconds, "extra_mb": peak - before}


def main() -> int:
    if len(sys.argv) == 3:  # the child: one view
        print(json.dumps(one_view(json.loads(sys.argv[1]), sys.argv[2])))
        return 0
    views = [
        (spec_name, tab, "", {"source": "random", "shape": SHAPE, **spec_query, "tab": tab})
        for spec_name, spec_query in SPECS.items()
        for tab in TABS
    ]
    views += [(name, "", page, {"source": "random", **q}) for name, page, q in PAGE_VIEWS]
    print(f"Every page at the cap (random {SHAPE} unless named), one fresh process per view:")
    over = []
    for name, tab, page, query in views:
        child = subprocess.run(
            [sys.executable, __file__, json.dumps(query), page],
            capture_output=True,
            text=True,
            cwd=ROOT,
            check=False,
        )
        if child.returncode:
            print(f"  {name:13s} {tab:10s} FAILED: {child.stderr.strip()[-300:]}")
            over.append((name, tab))
            continue
        numbers = json.loads(child.stdout.strip().splitlines()[-1])
        ok = numbers["seconds"] <= TARGET_SECONDS and numbers["extra_mb"] <= TARGET_EXTRA_MB
        if not ok:
            over.append((name, tab))
        print(
            f"  {name:13s} {tab:10s} {numbers['seconds']:6.2f} s  "
            f"+{numbers['extra_mb']:7.0f} MB  {'ok' if ok else 'OVER TARGET'}"
        )
    print(
        f"target: <= {TARGET_SECONDS:.0f} s and <= {TARGET_EXTRA_MB:.0f} MB extra per view -> "
        f"{'ok' if not over else f'{len(over)} over'}"
    )
    return 0 if not over else 1


if __name__ == "__main__":
    raise SystemExit(main())
