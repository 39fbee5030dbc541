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
(:func:`install_widget_routes`, called by the app when it loads under this server).
"""

from __future__ import annotations

import hashlib
import logging
import sys
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


def main(argv: list[str] | None = None) -> None:
    """Run Solara's command line (``solara run ...``) with the patched keepalive."""
    patch_uvicorn()
    from sim.app import memdebug

    memdebug.install()  # only when the environment asks (the memory benchmark)
    from solara.__main__ import main as solara_main

    sys.argv = ["solara", *(sys.argv[1:] if argv is None else argv)]
    solara_main()


if __name__ == "__main__":
    main()
