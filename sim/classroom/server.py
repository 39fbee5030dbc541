"""The classroom's server: Solara's server for the pages, and a small JSON endpoint.

``python -m sim.classroom.server --host H --port P`` (what ``run.py class`` starts). The
pages are Solara's (:mod:`sim.classroom.pages`); beside them, ``POST /api/class/decide``
takes a student's decision as JSON ``{"token", "role", "point", "value", "amendment"}``
and ``GET /api/class/view?token=...`` returns what that student sees, so a light client
(the load benchmark) needs no browser. Both go through the same checks as the pages.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Any

PAGES = "sim.classroom.pages"
API = "/api/class"


def _json(data: Any, status: int = 200):  # noqa: ANN202
    from starlette.responses import Response

    return Response(json.dumps(data), status_code=status, media_type="application/json")


async def decide(request):  # noqa: ANN001, ANN201
    """POST a decision: 200 ``{"ok": true}``, 403 refused, 404 unknown token, 400 bad JSON."""
    from sim.classroom.room import ROOMS, Refused

    try:
        body = json.loads(await request.body())
        token, role, point, value = (str(body[k]) for k in ("token", "role", "point", "value"))
    except (ValueError, KeyError, TypeError):
        return _json({"error": "expected JSON with token, role, point and value"}, 400)
    room = ROOMS.by_token(token)
    if room is None:
        return _json({"error": "unknown student token"}, 404)
    try:
        room.decide(token, role, point, value, body.get("amendment"))
    except Refused as exc:
        return _json({"error": str(exc)}, 403)
    return _json({"ok": True, "week": room.week})


async def view(request):  # noqa: ANN001, ANN201
    """GET what a student sees: ``?token=...``."""
    from sim.classroom.room import ROOMS

    token = request.query_params.get("token", "")
    room = ROOMS.by_token(token)
    if room is None:
        return _json({"error": "unknown student token"}, 404)
    room.heartbeat(token)
    return _json(room.student_view(token))


def app():  # noqa: ANN201
    """Solara's starlette app with the classroom's endpoint in front of it."""
    os.environ["SOLARA_APP"] = PAGES
    os.environ.setdefault("SOLARA_TELEMETRY_MIXPANEL_ENABLE", "False")
    os.environ.setdefault("SOLARA_THEME_VARIANT", "light")
    import solara.server.settings as settings

    settings.main.mode = "production"
    import solara.server.starlette as solara_starlette
    from starlette.routing import Route

    from sim.classroom.room import ROOMS

    solara_starlette.app.router.routes[0:0] = [
        Route(f"{API}/decide", decide, methods=["POST"]),
        Route(f"{API}/view", view, methods=["GET"]),
    ]
    from sim.app.serve import install_janitor

    install_janitor()  # a class's memory goes back once it has left
    ROOMS.start()
    return solara_starlette.app


def main(argv: list[str] | None = None) -> int:
    """Serve until interrupted."""
    import uvicorn

    p = argparse.ArgumentParser(prog="sim.classroom.server")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8766)
    args = p.parse_args(argv)
    os.environ["SERVER_NAME"], os.environ["SERVER_PORT"] = args.host, str(args.port)
    uvicorn.run(app(), host=args.host, port=args.port, log_level="warning")
    return 0


if __name__ == "__main__":
    sys.exit(main())
