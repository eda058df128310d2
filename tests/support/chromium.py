"""How this project starts Chromium: Debian's (/usr/bin/chromium), never a downloaded one.

The flags keep a headless browser on this machine: no sandbox (it runs as root in
a container), no GPU, and nothing that reaches out (background networking,
component updates, sync, first-run pages). tests/conftest.py and
benchmarks/bench_browser.py launch it with these.
"""

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
