"""What a server process holds, on request: a test-only probe for the app's memory.

Off unless the environment names a report file (``CYBERDIPLOMACY_MEMORY_REPORT=PATH``, set
by ``benchmarks/bench_app_sessions.py``). Then each ``SIGUSR1`` the server receives
collects garbage and appends one JSON line to PATH: resident memory, Python's live
objects and allocated blocks (and tracemalloc's figure when tracing), the sessions' own
objects still alive (models, Solara kernel contexts, reacton render contexts, widgets,
plotly figures, threads) and the most common object types. A served page never sees it.
"""

from __future__ import annotations

import gc
import json
import os
import signal
import sys
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

REPORT_ENV = "CYBERDIPLOMACY_MEMORY_REPORT"


def _rss_parts() -> dict[str, float]:
    """Resident memory, MB: all of it (``rss_mb``), anonymous (heaps, stacks), file-backed
    (libraries) and threads' stacks.
    """
    out: dict[str, float] = {"rss_mb": float("nan")}
    names = {"VmRSS:": "rss_mb", "RssAnon:": "rssanon", "RssFile:": "rssfile"}
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            key = names.get(line.split(maxsplit=1)[0]) if line else None
            if key:
                out[key] = round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    stacks = 0.0  # resident pages of threads' stacks (anonymous 8 MB mappings)
    try:
        size = rss = None
        for line in Path("/proc/self/smaps").read_text().splitlines():
            if line.startswith("Size:"):
                size = int(line.split()[1])
            elif line.startswith("Rss:"):
                rss = int(line.split()[1])
                if size == 8192:
                    stacks += rss / 1024
    except (OSError, ValueError):
        pass
    out["stacks_mb"] = round(stacks, 1)
    return out


def _pymalloc() -> dict[str, float]:
    """Python's small-object allocator, MB: arenas mapped (``arenas_mb``) and what their
    live blocks hold (``blocks_mb``); the rest is free space kept inside arenas that
    still hold a live block (from ``sys._debugmallocstats``, which writes to fd 2).
    """
    import tempfile

    out: dict[str, float] = {}
    try:
        with tempfile.TemporaryFile() as tmp:
            sys.stderr.flush()
            saved = os.dup(2)
            try:
                os.dup2(tmp.fileno(), 2)
                sys._debugmallocstats()
            finally:
                os.dup2(saved, 2)
                os.close(saved)
            tmp.seek(0)
            text = tmp.read().decode("ascii", "replace")
    except (OSError, AttributeError):
        return out
    for line in text.splitlines():
        figure = line.rsplit("=", 1)[-1].strip().replace(",", "")
        if "arenas * " in line and figure.isdigit():
            out["arenas_mb"] = round(int(figure) / 2**20, 1)
        elif line.startswith("# bytes in allocated blocks") and figure.isdigit():
            out["blocks_mb"] = round(int(figure) / 2**20, 1)
    return out


def _trim() -> float:
    """The RSS, MB, after glibc's free heap pages are handed back (sim.app.serve.trim_heap)."""
    from sim.app.serve import trim_heap

    trim_heap()
    return _rss_parts()["rss_mb"]


def snapshot() -> dict[str, Any]:
    """Collect garbage, then count what is alive."""
    import tracemalloc

    gc.collect()
    objs = gc.get_objects()
    types = Counter(type(o).__qualname__ for o in objs)
    out: dict[str, Any] = {
        "time": time.time(),
        "gc_objects": len(objs),
        "allocated_blocks": sys.getallocatedblocks(),
        "threads": threading.active_count(),
        "thread_names": Counter(
            "".join(c for c in t.name if not c.isdigit()) for t in threading.enumerate()
        ).most_common(6),
        **_rss_parts(),
        **_pymalloc(),
        "models": types.get("AppModel", 0),
        "kernel_contexts": types.get("VirtualKernelContext", 0),
        "render_contexts": types.get("_RenderContext", 0),
        "plotly_figures": types.get("Figure", 0) + types.get("FigureWidget", 0),
        "top_types": types.most_common(15),
    }
    if os.environ.get(REPORT_ENV + "_CHAINS"):
        models = [o for o in objs if type(o).__qualname__ == "AppModel"][:1]
        models += [o for o in objs if type(o).__qualname__ == "Template"][-2:]
        models += [
            o
            for o in objs
            if type(o).__qualname__ == "method"
            and type(o.__self__).__module__.startswith(("plotly", "solara", "reacton", "mesa"))
        ][-2:]
        out["model_chains"] = chains_to_roots(models, objs)
        path = os.environ[REPORT_ENV] + f".types-{int(time.time() * 1000)}.json"
        Path(path).write_text(json.dumps(dict(types)))
        out["types_file"] = path
        del models
    del objs
    try:
        import ipywidgets

        out["widgets"] = len(ipywidgets.Widget.widgets)
    except Exception:  # noqa: BLE001 - a probe reports what it can
        pass
    try:
        from solara.server import kernel_context

        out["solara_contexts"] = len(kernel_context.contexts)
    except Exception:  # noqa: BLE001
        pass
    if os.environ.get(REPORT_ENV + "_TRIM"):
        out["rss_trimmed_mb"] = _trim()
    if tracemalloc.is_tracing():
        current, peak = tracemalloc.get_traced_memory()
        out["tracemalloc_mb"] = round(current / 2**20, 1)
        out["tracemalloc_peak_mb"] = round(peak / 2**20, 1)
    return out


def _describe(o: Any) -> str:
    t = type(o).__qualname__
    if isinstance(o, dict):
        name = o.get("__name__") if "__name__" in o else None
        return f"dict{'(module ' + str(name) + ')' if name else ''}[{len(o)}]"
    if isinstance(o, (list, tuple, set)):
        return f"{t}[{len(o)}]"
    if t == "frame":
        return f"frame {o.f_code.co_name} {o.f_code.co_filename.rsplit('/', 2)[-2:]}"
    if t == "function":
        return f"function {o.__module__}.{o.__qualname__}"
    if t == "cell":
        return "cell"
    return t


def chains_to_roots(targets: list[Any], objs: list[Any], max_depth: int = 14) -> list[list[str]]:
    """For each target, a path of referrers up to a module's dict or a thread (BFS over
    one reverse map of ``objs``' references: a few seconds, not a scan per step).
    """
    back: dict[int, list[Any]] = {}
    for o in objs:
        for r in gc.get_referents(o):
            back.setdefault(id(r), []).append(o)
    skip = {id(objs), id(targets)}
    out = []
    for target in targets:
        seen = {id(target)} | skip
        frontier = [(target, [_describe(target)])]
        found: list[str] = []
        for _ in range(max_depth):
            nxt = []
            for obj, path in frontier:
                for ref in back.get(id(obj), []):
                    if id(ref) in seen:
                        continue
                    seen.add(id(ref))
                    desc = _describe(ref)
                    if isinstance(ref, dict):
                        keys = [k for k, v in ref.items() if v is obj][:1]
                        desc += f"[{str(keys[0])[:40]!r}]" if keys else ""
                    if isinstance(ref, dict) and "__builtins__" in ref and "__name__" in ref:
                        found = [*path, desc]
                    elif isinstance(ref, threading.Thread):
                        found = [*path, f"{desc} {ref.name}"]
                    if found:
                        break
                    nxt.append((ref, [*path, desc]))
                if found:
                    break
            if found or not nxt:
                break
            frontier = nxt[:20000]
        out.append(found or ["(no path to a module or thread found)"])
    del back
    return out


def install() -> bool:
    """Install the SIGUSR1 probe if the environment asks for it; True if installed."""
    path = os.environ.get(REPORT_ENV)
    if not path or not hasattr(signal, "SIGUSR1"):
        return False

    def write(signum: int, frame: Any) -> None:
        line = json.dumps(snapshot())
        with open(path, "a", encoding="utf-8") as fh:
            fh.write(line + "\n")

    signal.signal(signal.SIGUSR1, write)
    return True
