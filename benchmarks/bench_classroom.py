"""Load of a classroom: 30 students submit decisions every turn through the server.

One process serves the exercise as ``run.py class`` does (Solara's server with the
classroom's JSON endpoint, on a free loopback port). A room is opened on a scenario with
enough actors (rivalries_2000_2020: 37 states), 30 students join and get roles (states, the
chairs, companies), and each turn every student, from its own thread, asks for its view
(``GET /api/class/view``) and submits its decisions (``POST /api/class/decide``), as a
light client would; then the turn ends. Printed: the turn processing time (the model's
week and its records, target < 1 s), the whole turn with every request, the server's
memory, and the errors (target none).

    python benchmarks/bench_classroom.py [--students 30] [--turns 26] [--scenario NAME]
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import sys
import tempfile
import threading
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

# a student's decisions each turn, by kind of role (see sim.classroom.room.DECISIONS)
PLAN = {
    "state": [("attribute", ["now", "wait"]), ("response", ["demarche", "public", "sanctions"]),
              ("share", ["share", "withhold"]), ("vote", ["accept", "object"])],
    "chair": [("convene", ["now", "hold"])],
    "company": [("accord", ["join", "stay_out"]), ("telemetry", ["share", "keep"])],
}  # fmt: skip


def rss_mb() -> float:
    """Resident memory of this process (the server), MB."""
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def call(url: str, body: dict | None = None) -> dict:
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=30) as resp:
        return json.loads(resp.read())


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--students", type=int, default=30)
    p.add_argument("--turns", type=int, default=26)
    p.add_argument("--scenario", default="rivalries_2000_2020")
    args = p.parse_args()
    os.environ["CYBERDIPLOMACY_CLASS_OUT"] = tempfile.mkdtemp(prefix="bench-class-")

    import uvicorn

    from sim.classroom import server
    from sim.classroom.room import ROOMS

    port = free_port()
    app = server.app()
    srv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="error"))
    threading.Thread(target=srv.run, daemon=True).start()
    while not srv.started:
        time.sleep(0.05)
    base = f"http://127.0.0.1:{port}{server.API}"
    mem0 = rss_mb()

    room = ROOMS.open(args.scenario, seed=0)
    roles = [r for r in room.roles.values() if r.kind == "chair"]
    roles += [r for r in room.roles.values() if r.kind == "company"][:3]
    roles += [r for r in room.roles.values() if r.kind == "state"]
    roles = roles[: args.students]
    students = []
    for k, role in enumerate(roles):
        s = room.join(f"Student {k + 1}")
        room.assign(room.secret, s.token, role.key)
        students.append((s.token, role))
    if len(students) < args.students:
        print(f"note: {args.scenario} offers {len(students)} roles, fewer than {args.students}")

    errors: list[str] = []
    requests = 0
    lock = threading.Lock()

    def student(token: str, role, turn: int) -> None:
        nonlocal requests
        try:
            call(f"{base}/view?token={token}")
            n = 1
            for point, values in PLAN[role.kind]:
                reply = call(
                    f"{base}/decide",
                    {"token": token, "role": role.key, "point": point,
                     "value": values[turn % len(values)]},
                )  # fmt: skip
                n += 1
                if not reply.get("ok"):
                    errors.append(str(reply))
            with lock:
                requests += n
        except Exception as exc:  # noqa: BLE001 - every failure is counted, none stops the run
            with lock:
                errors.append(f"{type(exc).__name__}: {exc}")

    step_s, turn_s = [], []
    with ThreadPoolExecutor(max_workers=len(students)) as pool:
        for turn in range(args.turns):
            t0 = time.perf_counter()
            list(pool.map(lambda st, turn=turn: student(st[0], st[1], turn), students))
            step_s.append(room.advance(room.secret))
            turn_s.append(time.perf_counter() - t0)
    t0 = time.perf_counter()
    room.end(room.secret)
    debrief_s = time.perf_counter() - t0
    srv.should_exit = True

    kinds = {k: sum(r.kind == k for _, r in students) for k in PLAN}
    print(
        f"{len(students)} students (states {kinds['state']}, chairs {kinds['chair']}, "
        f"companies {kinds['company']}), {args.turns} turns of {args.scenario}, "
        f"{os.cpu_count()} cores"
    )
    print(
        f"turn processing (the week and its records): median {statistics.median(step_s):.3f} s, "
        f"max {max(step_s):.3f} s (target < 1 s)"
    )
    print(
        f"whole turn ({requests // args.turns} requests, then the week): median "
        f"{statistics.median(turn_s):.3f} s, max {max(turn_s):.3f} s"
    )
    print(f"debrief with its counterfactual run: {debrief_s:.2f} s")
    print(f"server memory: {rss_mb():.0f} MB ({mem0:.0f} MB before the room opened)")
    print(f"decisions recorded: {len(room.decisions)}; errors: {len(errors)} (target none)")
    for e in errors[:5]:
        print(f"  {e}")


if __name__ == "__main__":
    main()
