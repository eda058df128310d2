"""AppTest's entry point: runs app.py, from a folder with no pages/ in it.

AppTest started from app.py itself, beside the pages/ folder, runs only the
page (Streamlit's pages/-folder mode) on every run after the first, so the
sidebar that app.py draws would be missing from those runs. From here,
app.py runs on every run, as it does under `make run`.
"""

import runpy
from pathlib import Path

runpy.run_path(str(Path(__file__).resolve().parent.parent / "app.py"), run_name="__main__")
