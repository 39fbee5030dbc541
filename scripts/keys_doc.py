"""Write docs/keys.md: every scenario key with its type, default, unit, bounds, source.

Run after changing a key: ``.venv/bin/python scripts/keys_doc.py`` (a test checks the
file is current).
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sim.scenario import StateSpec, describe_keys  # noqa: E402


def render() -> str:
    """The page's Markdown."""
    out = [
        "# Scenario keys",
        "",
        "Every key a scenario file, `--set`, an experiment file or the app can set, generated",
        "from `sim/scenario.py` by `scripts/keys_doc.py` (also: `run.py scenarios --keys`).",
        'A source of "assumption" means the value is ours, not measured: a candidate for',
        "sensitivity analysis and calibration (`experiments/examples/screening-all.toml`).",
        "",
    ]
    section = None
    listed = [k for k in describe_keys(StateSpec, "states.list.NAME.") if k.key[-5:] != ".name"]
    for k in describe_keys() + listed:
        top = "states.list.NAME" if k.key.startswith("states.list.NAME.") else k.key.split(".")[0]
        if top != section:
            section = top
            out += [
                "",
                f"## [{top}]",
                "",
                *(
                    [
                        "A state listed by name: `states.list.NAME.FIELD` sets one field of the "
                        "state named NAME",
                        "(`--set`, sweeps, `calibrate --params`); -1 means drawn as usual.",
                        "",
                    ]
                    if top == "states.list.NAME"
                    else []
                ),
                "| key | type | default | unit | bounds | meaning | source |",
            ]
            out.append("|---|---|---|---|---|---|---|")
        default = repr(k.default).replace("|", "\\|")
        if len(default) > 40:
            default = default[:37] + "..."
        out.append(
            f"| `{k.key}` | {k.type} | `{default}` | {k.unit} | {k.bounds} | "
            f"{k.help.replace('|', '/')} | {k.source if k.unit else ''} |"
        )
    return "\n".join(out) + "\n"


if __name__ == "__main__":
    (ROOT / "docs" / "keys.md").write_text(render())
    print("wrote docs/keys.md")
