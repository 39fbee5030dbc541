"""Names are not paths; output folders are checked before work; argparse mistakes are one line."""

from __future__ import annotations

from pathlib import Path

import pytest

from sim.cli import main
from sim.errors import UserError
from sim.paths import MAX_NAME, check_out, safe_name


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("baseline", "baseline"),
        ("../../escaped_by_name", "____escaped_by_name"),
        ("..", "_"),
        ("a/b\\c d", "a_b_c_d"),
        ("", "run"),
        (".hidden", "hidden"),
    ],
)
def test_safe_name(name, expected):
    assert safe_name(name) == expected
    assert "/" not in safe_name(name) and ".." not in safe_name(name)


def test_safe_name_is_bounded():
    assert len(safe_name("x" * 10_000)) == MAX_NAME


def test_check_out_refuses_files_and_system_folders(tmp_path):
    f = tmp_path / "file"
    f.write_text("x")
    with pytest.raises(UserError, match="is a file"):
        check_out(f)
    with pytest.raises(UserError, match="system folder"):
        check_out(Path("/proc/x"))
    assert check_out(tmp_path / "new" / "deep").is_dir()


def test_a_scenario_named_like_a_path_writes_inside_out(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    scen = tmp_path / "s.toml"
    scen.write_text('[scenario]\nname = "../../escaped_by_name"\nsteps = 3\n')
    assert main(["run", str(scen), "--quiet"]) == 0
    assert (tmp_path / "out" / "____escaped_by_name" / "summary.json").is_file()
    assert not (tmp_path.parent / "escaped_by_name").exists()


def test_unwritable_out_is_refused_before_the_run(tmp_path, capsys):
    f = tmp_path / "afile"
    f.write_text("x")
    assert main(["run", "baseline", "--out", str(f), "--quiet"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "is a file" in err[0]


@pytest.mark.parametrize(
    "argv",
    [["run", "baseline", "--steps", "abc"], ["bogus"], ["sweep"], ["run", "--nope"]],
)
def test_argparse_mistakes_are_one_line(argv, capsys):
    with pytest.raises(SystemExit) as exc:
        main(argv)
    assert exc.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: ") and "--help" in err[0]
