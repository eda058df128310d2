"""How this project starts Chromium: Debian's (/usr/bin/chromium), never a downloaded one.

The flags keep a headless browser on this machine: no sandbox (it runs as root in
a container), no GPU, nothing that reaches out (background networking, component
updates, sync, first-run pages), and no host name resolves but this machine's.
tests/conftest.py and benchmarks/bench_browser.py launch it with these.
"""

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    # Names other than this machine's resolve to nothing, so a page a test opens cannot reach
    # another host whatever it asks for (tests look for such requests; none may leave).
    "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE localhost , EXCLUDE 127.0.0.1",
]
