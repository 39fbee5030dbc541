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
"""

from __future__ import annotations

import sys
from typing import Any

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
