#!/usr/bin/env bash
# Creates the virtual environment with Python >= 3.12 and installs the project.
set -euo pipefail
venv=${1:-.venv}
cd "$(dirname "$0")/.."
pick_python() {
  for cand in python3.13 python3.12 python3; do
    if command -v "$cand" >/dev/null 2>&1 &&
       "$cand" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else 1)' 2>/dev/null; then
      echo "$cand"; return 0
    fi
  done
  # pyenv keeps 3.12 installed without a shim on PATH for every shell
  for cand in "$HOME"/.pyenv/versions/3.1[2-9]*/bin/python3; do
    [ -x "$cand" ] && { echo "$cand"; return 0; }
  done
  return 1
}
py=$(pick_python) || { echo "error: Python 3.12 or newer is required (none found)" >&2; exit 2; }
if [ ! -x "$venv/bin/python" ]; then
  "$py" -m venv "$venv"
fi
"$venv/bin/python" -m pip install -q --upgrade pip >/dev/null 2>&1 || true
"$venv/bin/python" -m pip install -q -e ".[test]"
echo "environment ready: $venv ($("$venv/bin/python" --version))"
