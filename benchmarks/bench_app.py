"""Server time of one rerun after an interaction, on every page, default input (AppTest).

Run with ``make bench``. For each page one control is changed several times:
new values (cold caches) and values seen before (warm caches, as in a
classroom demo that flips back and forth). Prints the median and worst per
page. Target: at most 300 ms. AppTest's own overhead (a few ms of polling)
is included, so the server's true time is a little lower.
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


def cycle(find, values):
    """An interaction that sets the control `find(at)` to values[i % len(values)]."""
    return lambda at, i: find(at).set_value(values[i % len(values)])


def new_quiz(at, i):
    next(b for b in at.button if b.label == "New quiz").click()


# page -> the interaction to repeat (the i-th call sets the i-th value)
INTERACTIONS = {
    "pages/explorer.py": cycle(
        lambda at: at.pills(key="axes"),
        [["N", "H", "W"], ["C", "H", "W"], ["H", "W"], ["N"], ["N", "C"], ["C"]],
    ),
    "pages/compare.py": cycle(lambda at: at.number_input(key="cmp:c"), [1, 2, 0]),
    "pages/batch.py": cycle(lambda at: at.slider(key="batch"), [5, 6, 7, 8]),
    "pages/train_eval.py": cycle(lambda at: at.slider(key="steps"), [50, 60, 70, 80]),
    "pages/quiz.py": new_quiz,
}
COLD = 4  # interactions with new values; then the same again, twice, warm


def timed_run(at: AppTest) -> float:
    start = time.perf_counter()
    at.run()
    elapsed = (time.perf_counter() - start) * 1e3
    if at.exception:
        raise SystemExit(f"the app raised: {at.exception[0].value}")
    return elapsed


def measure(page: str) -> tuple[list[float], list[float]]:
    # tests/app_entry.py runs app.py on every run (see its docstring); page paths are
    # relative to it.
    at = AppTest.from_file(str(ROOT / "tests" / "app_entry.py"), default_timeout=60)
    at.run()
    at.switch_page("../" + page).run()
    act = INTERACTIONS[page]
    cold, warm = [], []
    for i in range(3 * COLD):
        act(at, i)
        (cold if i < COLD else warm).append(timed_run(at))
    return cold, warm


def main() -> int:
    print("Server time per rerun after an interaction, default input (AppTest):")
    worst = 0.0
    for page in INTERACTIONS:
        try:
            cold, warm = measure(page)
        except (KeyError, ValueError, StopIteration) as error:
            print(f"  {page:28s} could not drive its control: {error}")
            return 1
        worst = max(worst, *cold, *warm)
        print(
            f"  {page:28s} new values: median {statistics.median(cold):6.1f} ms, "
            f"worst {max(cold):6.1f} ms; seen before: median "
            f"{statistics.median(warm):6.1f} ms, worst {max(warm):6.1f} ms"
        )
    print(f"target: <= {TARGET_MS:.0f} ms -> {'ok' if worst <= TARGET_MS else 'OVER TARGET'}")
    return 0 if worst <= TARGET_MS else 1


if __name__ == "__main__":
    raise SystemExit(main())
