"""``python -m sim.app.serve ARGS``: Solara's ``solara run ARGS``, with websocket keepalive
settings that survive a class opening the app at the same instant.

Why (measured with benchmarks/bench_app_sessions.py): uvicorn pings every websocket every
20 s and closes it when no pong has come back 20 s later. When a class opens the app at
once, the first render of every page competes for the same cores, pongs come back late,
and uvicorn drops websockets in the middle of the first render. Solara's page reconnects,
but while its first ``run`` is still waiting for an answer it skips its reconnect check,
so the answer, sent on the closed socket, never arrives: a blank page and a server at 0%
CPU. Here pings still go out every 20 s (they keep proxies and NAT from closing an idle
connection), but a late pong no longer closes a websocket until ``PONG_TIMEOUT`` has passed;
a page that closes normally tells the server at once (Solara's close beacon, and TCP).

It also serves plotly's figure-widget code once, by URL, instead of once per figure
(:func:`install_widget_routes`, called by the app when it loads under this server), and
keeps a janitor that hands a class's memory back once the class has left
(:func:`install_janitor`).
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import sys
import threading
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)

PING_INTERVAL = 20.0  # seconds between keepalive pings (uvicorn's default)
PONG_TIMEOUT = 600.0  # seconds a pong may be late before the websocket is closed (was 20)


def patch_uvicorn() -> None:
    """Make every uvicorn Config this process creates use our keepalive settings."""
    import uvicorn.config

    config = uvicorn.config.Config
    if getattr(config, "_cyberdiplomacy_keepalive", False):
        return
    original = config.__init__

    def init(self: Any, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("ws_ping_interval", PING_INTERVAL)
        kwargs["ws_ping_timeout"] = PONG_TIMEOUT
        original(self, *args, **kwargs)

    config.__init__ = init  # type: ignore[method-assign]
    config._cyberdiplomacy_keepalive = True  # type: ignore[attr-defined]


# -- figure widgets: sent once by URL, with time to load ------------------------------------
#
# Why (measured, 2026-11-29, with benchmarks/bench_app_sessions.py): plotly's FigureWidget
# is an anywidget whose front-end code (``_esm``, plotly's widgetbundle.js, 5.0 MB) is a
# synced trait, so every figure sent its own 5 MB copy over the websocket and the browser
# compiled it again: one page of the app received 25.7 MB and took 20 s to render. anywidget
# (0.11) also gives a figure's code 2 s to load and initialise and then fails it for good
# ("[anywidget] Failed to initialize model."): with a class opening the app at once, every
# page took longer than that, and 20 pages opened together rendered 0 of 20.
# Here each figure's ``_esm`` is a few lines that import the bundle from this server by
# URL: the browser fetches it once, caches it, and compiles it once per page; and the 2 s
# is raised to ``WIDGET_LOAD_TIMEOUT_MS``.

BUNDLE_PATH = "/static/cyberdiplomacy/plotly-widgetbundle.js"
ANYWIDGET_PATH = "/jupyter/nbextensions/anywidget/index.js"
ANYWIDGET_TIMEOUT = "AbortSignal.timeout(2e3)"  # anywidget 0.11's wait for a widget's code
WIDGET_LOAD_TIMEOUT_MS = 300_000  # as long as a page may take to render under a class
STUB_ESM = """\
const root = (window.solara && window.solara.rootPath) || "";
const mod = await import(window.location.origin + root + {path!r});
export default mod.default;
"""


def _plotly_widget_class() -> type | None:
    """The plotly class that defines the figure widget's ``_esm``; None without one."""
    try:
        from plotly.basewidget import BaseFigureWidget
    except ImportError:  # plotly without its widget extra
        return None
    for klass in BaseFigureWidget.__mro__:
        if "_esm" in vars(klass):
            return klass
    return None


def _bundle_file(klass: type) -> Path | None:
    """The file behind a widget class's ``_esm`` (anywidget's FileContents), or None."""
    path = getattr(vars(klass)["_esm"], "_path", None)
    return Path(path) if path is not None and Path(path).is_file() else None


def _served_anywidget() -> str | None:
    """The anywidget front-end Solara serves, with its load timeout raised.

    None when the file is missing or no longer holds the timeout it replaces (another
    anywidget version): the figures then keep anywidget's own.
    """
    from solara.server import server

    for directory in server.nbextensions_directories:
        path = Path(directory) / "anywidget" / "index.js"
        if path.is_file():
            text = path.read_text(encoding="utf-8")
            if text.count(ANYWIDGET_TIMEOUT) != 1:
                return None
            return text.replace(ANYWIDGET_TIMEOUT, f"AbortSignal.timeout({WIDGET_LOAD_TIMEOUT_MS})")
    return None


def install_widget_routes() -> bool:
    """Under Solara's server, serve plotly's widget bundle by URL and anywidget with a
    longer load timeout; point every figure widget at that URL. Returns whether it did.

    Does nothing outside Solara's starlette server (a notebook, the tests' imports): there
    the figures keep plotly's own ``_esm``. Safe to call more than once.
    """
    starlette_server = sys.modules.get("solara.server.starlette")
    klass = _plotly_widget_class()
    if starlette_server is None or klass is None:
        return False
    app = starlette_server.app
    if getattr(app.state, "cyberdiplomacy_widgets", False):
        return True
    bundle = _bundle_file(klass)
    anywidget_js = _served_anywidget()
    if bundle is None or anywidget_js is None:
        logger.warning("figure widgets: plotly's or anywidget's files are not where expected")
        return False
    from starlette.responses import FileResponse, Response
    from starlette.routing import Route

    version = hashlib.md5(bundle.read_bytes(), usedforsecurity=False).hexdigest()[:12]

    async def serve_bundle(request: Any) -> Response:
        cache = "public, max-age=31536000, immutable"
        if request.query_params.get("v") != version:  # an old page: never cache it
            cache = "no-store"
        return FileResponse(bundle, media_type="text/javascript", headers={"Cache-Control": cache})

    async def serve_anywidget(request: Any) -> Response:
        headers = {"Cache-Control": "no-cache"}
        return Response(anywidget_js, media_type="text/javascript", headers=headers)

    app.router.routes[0:0] = [
        Route(BUNDLE_PATH, serve_bundle),
        Route(ANYWIDGET_PATH, serve_anywidget),
    ]
    klass._esm = STUB_ESM.format(path=f"{BUNDLE_PATH}?v={version}")  # type: ignore[attr-defined]
    app.state.cyberdiplomacy_widgets = True
    return True


# -- memory after a class leaves ------------------------------------------------------------
#
# Why (measured, 2026-11-29, benchmarks/bench_app_sessions.py, 20 pages): every model and
# every Python object of a closed session was freed, yet the server's RSS stayed 21-24 %
# above its start. Two things held it:
# - Python's small-object allocator (pymalloc) returns a 1 MiB arena to the system only when
#   every block in it is free. A class's objects filled 48 new arenas, and the few objects
#   that outlive a class (worker threads' frames, caches) kept all of them: arenas 120 MB at
#   the start, 168 MB after the class, with the live blocks back at 113 MB. The server
#   therefore runs with the system allocator (PYTHONMALLOC=malloc, sim.app.cli.base_env),
#   whose free pages malloc_trim hands back page by page.
# - The 20 worker threads that served the class stay, idle, until new work arrives (anyio
#   stops a worker idle for 10 s only when it is given a new job), each with its heap arena
#   and stack. The janitor gives the pool a no-op every JANITOR_INTERVAL seconds, so idle
#   workers are stopped, and trims the heap when threads have gone.

JANITOR_INTERVAL = 15.0  # seconds between the janitor's rounds


def trim_heap() -> None:
    """Hand glibc's free heap pages back to the system (``malloc_trim(0)``; nothing
    elsewhere). glibc keeps freed memory for reuse otherwise.
    """
    import ctypes

    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):  # not glibc
        pass


def _nothing() -> None:
    """The janitor's job for the worker pool: arriving is all it does."""


async def janitor(interval: float = JANITOR_INTERVAL) -> None:
    """Forever: let anyio stop its idle worker threads, then trim the heap if any went."""
    import anyio.to_thread

    before = threading.active_count()
    while True:
        await asyncio.sleep(interval)
        await anyio.to_thread.run_sync(_nothing)  # anyio prunes workers idle >= 10 s here
        now = threading.active_count()
        if now < before:
            await anyio.to_thread.run_sync(trim_heap)
        before = now


def install_janitor() -> bool:
    """Run :func:`janitor` on the event loop of every uvicorn server this process starts
    (from its startup until the loop ends); True if installed now, False if it already was.
    """
    import uvicorn.server

    server = uvicorn.server.Server
    if getattr(server, "_cyberdiplomacy_janitor", False):
        return False
    original = server.startup

    async def startup(self: Any, *args: Any, **kwargs: Any) -> None:
        await original(self, *args, **kwargs)
        self._cyberdiplomacy_janitor_task = asyncio.get_running_loop().create_task(janitor())

    server.startup = startup  # type: ignore[method-assign]
    server._cyberdiplomacy_janitor = True  # type: ignore[attr-defined]
    return True


def main(argv: list[str] | None = None) -> None:
    """Run Solara's command line (``solara run ...``) with the patched keepalive and the
    janitor.
    """
    patch_uvicorn()
    install_janitor()
    from sim.app import memdebug

    memdebug.install()  # only when the environment asks (the memory benchmark)
    from solara.__main__ import main as solara_main

    sys.argv = ["solara", *(sys.argv[1:] if argv is None else argv)]
    solara_main()


if __name__ == "__main__":
    main()
