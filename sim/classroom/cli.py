"""``run.py class``: serve the classroom exercise (offline, loopback by default)."""

from __future__ import annotations

import argparse
import socket
import sys
from pathlib import Path

from sim.app.cli import base_env, check_scenario, serve
from sim.errors import UserError
from sim.paths import check_out

LOOPBACK = ("127.0.0.1", "localhost", "::1")


def server_command(host: str = "127.0.0.1", port: int = 8766) -> list[str]:
    """The command that serves the classroom."""
    return [sys.executable, "-m", "sim.classroom.server", "--host", host, "--port", str(port)]


def server_env(scenario: str, out: str | Path, join: str) -> dict[str, str]:
    """The server's environment (sim.app.cli.base_env), the scenario offered first, where
    debriefs go and the join address the instructor's page shows.
    """
    from sim.classroom.pages import JOIN_ENV, SCENARIO_ENV

    env = base_env()
    env[SCENARIO_ENV] = scenario
    env["CYBERDIPLOMACY_CLASS_OUT"] = str(Path(out).resolve())
    env[JOIN_ENV] = join
    return env


def lan_address() -> str:
    """The address of this machine on the classroom network (no packet is sent)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        try:
            s.connect(("10.254.254.254", 1))  # UDP connect only picks a route
            return s.getsockname()[0]
        except OSError:
            return socket.gethostbyname(socket.gethostname())


def cmd_class(args: argparse.Namespace) -> int:
    """Serve the exercise on ``--host``:``--port`` until interrupted (Ctrl+C)."""
    scenario = check_scenario(args.scenario)
    host, port = args.host, int(args.port)
    if not 0 < port <= 65535:
        raise UserError("--port", None, f"expected a port number 1-65535, got {port}")
    check_out(Path(args.out))  # debriefs are written there: refused now, not mid-class
    shown = f"[{host}]" if ":" in host else host
    local = f"http://{shown}:{port}/"
    join = local
    if host not in LOOPBACK:
        where = lan_address() if host in ("0.0.0.0", "::") else shown
        join = f"http://{where}:{port}/"
        print(f"students join at {join}", flush=True)
        print(
            f"warning: --host {host} makes the exercise reachable by every machine on this "
            "network; anyone with the room code can join",
            flush=True,
        )
    print(
        f"serving the classroom exercise on {local} (scenario {scenario}); the instructor "
        "opens a room there; Ctrl+C stops it",
        flush=True,
    )
    env = server_env(scenario, args.out, join)
    return serve(server_command(host, port), env)
