"""Every Explorer tab at the caps: server time and extra memory of one view (AppTest).

Run with ``.venv/bin/python benchmarks/bench_explorer_caps.py``. Each view is a
link opened in a fresh process (so the peak memory is that view's alone): a
random tensor of 2^24 elements (the app's cap) with no axes, all axes and
GroupNorm, on every tab. Target (issue 7 item 5): at most ~3 s and ~1 GB
above the process's memory before the view.
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
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


def one_view(query: dict[str, str]) -> dict[str, float]:
    """Open `query` as a link in this process; return seconds and extra peak MB."""
    sys.path.insert(0, str(ROOT))
    from streamlit.testing.v1 import AppTest

    # A small view first, so imports and Streamlit's own start-up are not counted.
    warm = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    warm.run()
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    for key, value in query.items():
        at.query_params[key] = value
    start = time.perf_counter()
    at.run()
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    if at.exception:
        raise SystemExit(f"the app raised: {at.exception[0].value}")
    return {"seconds": seconds, "extra_mb": peak - before}


def main() -> int:
    if len(sys.argv) == 2:  # the child: one view
        print(json.dumps(one_view(json.loads(sys.argv[1]))))
        return 0
    print(f"Explorer at the cap (random {SHAPE}), one fresh process per view:")
    over = []
    for spec_name, spec_query in SPECS.items():
        for tab in TABS:
            query = {"source": "random", "shape": SHAPE, **spec_query, "tab": tab}
            child = subprocess.run(
                [sys.executable, __file__, json.dumps(query)],
                capture_output=True,
                text=True,
                cwd=ROOT,
                check=False,
            )
            if child.returncode:
                print(f"  {spec_name:13s} {tab:10s} FAILED: {child.stderr.strip()[-300:]}")
                over.append((spec_name, tab))
                continue
            numbers = json.loads(child.stdout.strip().splitlines()[-1])
            ok = numbers["seconds"] <= TARGET_SECONDS and numbers["extra_mb"] <= TARGET_EXTRA_MB
            if not ok:
                over.append((spec_name, tab))
            print(
                f"  {spec_name:13s} {tab:10s} {numbers['seconds']:6.2f} s  "
                f"+{numbers['extra_mb']:7.0f} MB  {'ok' if ok else 'OVER TARGET'}"
            )
    print(
        f"target: <= {TARGET_SECONDS:.0f} s and <= {TARGET_EXTRA_MB:.0f} MB extra per view -> "
        f"{'ok' if not over else f'{len(over)} over'}"
    )
    return 0 if not over else 1


if __name__ == "__main__":
    raise SystemExit(main())
