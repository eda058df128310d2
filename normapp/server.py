"""The app as an ASGI application: `make run` serves this (`streamlit run normapp/server.py`).

Streamlit runs app.py for every session. This adds what must happen before a
page's HTML is sent, where no script can act: a browser asking for a path that
names no page is redirected to the nearest page (see normapp/sitemap.py's
PagePathRedirect). It imports, once, in the server's own thread before any
session exists, every module a page will need (`preload`). And it makes the
server's first run itself, as soon as it listens (`first_run`), so no learner is
that first run.
"""

import asyncio
import contextlib
import gc
import importlib
import logging
from pathlib import Path

import streamlit as st
import websockets
from starlette.middleware import Middleware
from streamlit import config
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from websockets.typing import Subprotocol

from normapp.room_link import keep_streamlit_offline
from normapp.sitemap import PagePathRedirect

keep_streamlit_offline()  # before the server starts: its origin checks look addresses up

# Modules that a session would otherwise import on its first figure, in its own
# script thread. Plotly imports pandas on demand in one place and, in others, looks
# it up in sys.modules without the import lock: a module is in sys.modules before
# its body has run, so a second session's thread saw a half-imported pandas
# ("partially initialized module 'pandas' has no attribute 'Series'": 24 of 120
# views of a class arriving at once on a cold server; plotly.py#2433 is the same
# race in Dash). Imported here, before the server accepts a session, they are
# whole before anyone can look. Plotly's other on-demand imports (IPython, scipy,
# kaleido, ...) are for notebooks and image export, which the app does not use.
PLOTLY_PROBES = ("pandas", "PIL.Image")
# Plotly's figure modules and normlib are imported too: the first class on a fresh
# server then does not queue behind one session's imports. The app's own modules
# are not: their st.cache_data functions must be made once Streamlit's runtime
# exists (after this module is loaded), or they cache outside it.
FIGURE_MODULES = ("plotly.graph_objects", "plotly.io", "plotly.subplots", "normlib")


def preload() -> tuple[str, ...]:
    """Import what Plotly probes for and the figure modules; return their names."""
    names = PLOTLY_PROBES + FIGURE_MODULES
    for name in names:
        importlib.import_module(name)
    return names


preload()
# Everything imported so far lives as long as the server: moved out of the collector's
# sight, it is not walked again by every collection a session's garbage triggers.
gc.freeze()

# The server's very first run is not like the others: app.py has not yet registered the
# pages with st.navigation, so Streamlit finds the page by file name, and every widget
# drawn in that run gets another id than in later runs. A learner who was that first
# run lost what they did before their second: their first upload vanished (the rerun it
# caused came back with an uploader of another id, empty). So the server makes the first
# run itself, as soon as it listens, the way a browser would; then every learner's run
# is like the next.
FIRST_RUN_TIMEOUT_S = 120
_log = logging.getLogger(__name__)


def _own_stream_url() -> str:
    """The server's websocket, as seen from the machine it runs on."""
    address = config.get_option("server.address") or "127.0.0.1"
    if address in ("0.0.0.0", "::"):
        address = "127.0.0.1"
    host = f"[{address}]" if ":" in address else address
    base = (config.get_option("server.baseUrlPath") or "").strip("/")
    path = f"/{base}/_stcore/stream" if base else "/_stcore/stream"
    scheme = "wss" if config.get_option("server.sslCertFile") else "ws"
    return f"{scheme}://{host}:{config.get_option('server.port')}{path}"


async def first_run(url: str, timeout_s: float = FIRST_RUN_TIMEOUT_S) -> bool:
    """Run the default page once over the server's own websocket; True once it finished."""
    request = BackMsg()
    request.rerun_script.query_string = ""
    request.rerun_script.page_name = ""
    deadline = asyncio.get_running_loop().time() + timeout_s
    while asyncio.get_running_loop().time() < deadline:
        try:
            protocol = [Subprotocol("streamlit")]
            async with websockets.connect(url, subprotocols=protocol, max_size=None) as ws:
                await ws.send(request.SerializeToString())
                async for data in ws:
                    message = ForwardMsg()
                    message.ParseFromString(data)
                    finished = message.WhichOneof("type") == "script_finished"
                    if finished and message.script_finished != ForwardMsg.FINISHED_EARLY_FOR_RERUN:
                        return True
        except (OSError, websockets.WebSocketException):
            await asyncio.sleep(0.2)  # not listening yet: lifespan startup comes first
    _log.warning("The server's own first run did not finish within %s s", timeout_s)
    return False


@contextlib.asynccontextmanager
async def lifespan(_app):
    task = asyncio.create_task(first_run(_own_stream_url()))
    yield None
    task.cancel()


app = st.App(
    Path(__file__).resolve().parent.parent / "app.py",
    middleware=[Middleware(PagePathRedirect)],
    lifespan=lifespan,
)
