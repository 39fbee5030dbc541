"""Output folders: names that are not paths, and folders checked before any work.

A scenario's or experiment's name becomes a folder name (``out/NAME``, ``runs/NAME``) only
through :func:`safe_name`: letters, digits, ``-``, ``_`` and ``.`` are kept, anything else
becomes ``_``, ``..`` and leading dots are removed, and the length is bounded. An output
folder is checked with :func:`check_out` before a run or a batch starts, so a mistake
costs one line, not a finished simulation.
"""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path

from sim.errors import UserError, excerpt

MAX_NAME = 64  # characters of a name used as a folder name
# folders of the operating system that never hold results
SYSTEM = ("/proc", "/sys", "/dev", "/boot", "/bin", "/sbin", "/lib", "/usr", "/etc")


def safe_name(name: str, default: str = "run") -> str:
    """A folder name made from a free-text name: never a path, never empty."""
    text = re.sub(r"[^A-Za-z0-9._-]", "_", name).replace("..", "_").lstrip(".")
    return text[:MAX_NAME] or default


def check_out(out: Path, flag: str = "--out") -> Path:
    """Make sure `out` can receive results: a folder (created if missing), writable, not a
    file and not a system folder. Raises UserError in one line otherwise.
    """
    resolved = Path(os.path.abspath(out))
    if any(len(os.fsencode(part)) > 255 for part in resolved.parts) or len(str(resolved)) > 4000:
        raise UserError(flag, None, f"{excerpt(str(out))} is too long a path for a folder")
    if any(resolved == Path(s) or Path(s) in resolved.parents for s in SYSTEM):
        raise UserError(flag, None, f"{out} is under a system folder; choose another folder")
    try:
        if resolved.exists() and not resolved.is_dir():
            raise UserError(flag, None, f"{excerpt(str(out))} is a file, not a folder")
        resolved.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=resolved, prefix=".write-check-"):
            pass
    except OSError as exc:
        raise UserError(
            flag, None, f"cannot write to {excerpt(str(out))} ({exc.strerror})"
        ) from None
    return out
