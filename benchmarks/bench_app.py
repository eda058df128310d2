"""Server time of one Explorer rerun on the default input, measured with AppTest.

Run with ``make bench``. Toggles the axes back and forth (cached after the
first visit, as in a classroom demo) and a fresh axis subset (uncached), and
prints the median and worst of each. Target: at most 300 ms.
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from streamlit.testing.v1 import AppTest  # noqa: E402

TARGET_MS = 300.0
SUBSETS = [["N", "H", "W"], ["C", "H", "W"], ["H", "W"], ["N"], ["N", "C"], ["C"]]


def timed_run(at: AppTest) -> float:
    start = time.perf_counter()
    at.run()
    elapsed = (time.perf_counter() - start) * 1e3
    if at.exception:
        raise SystemExit(f"the app raised: {at.exception[0].value}")
    return elapsed


def main() -> int:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    first = timed_run(at)
    uncached = []
    for subset in SUBSETS:
        at.pills(key="ex:axes").set_value(subset)
        uncached.append(timed_run(at))
    cached = []
    for _ in range(3):
        for subset in SUBSETS:
            at.pills(key="ex:axes").set_value(subset)
            cached.append(timed_run(at))
    print("Explorer, default input (8 sample images, 3×32×32), AppTest server time per rerun:")
    print(f"  first run (imports, cold caches): {first:7.1f} ms")
    print(f"  axis toggle, new subset:          median {statistics.median(uncached):6.1f} ms, "
          f"worst {max(uncached):6.1f} ms")
    print(f"  axis toggle, seen before:         median {statistics.median(cached):6.1f} ms, "
          f"worst {max(cached):6.1f} ms")
    worst = max(max(uncached), max(cached))
    print(f"target: <= {TARGET_MS:.0f} ms -> {'ok' if worst <= TARGET_MS else 'OVER TARGET'}")
    return 0 if worst <= TARGET_MS else 1


if __name__ == "__main__":
    raise SystemExit(main())
