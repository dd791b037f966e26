"""The README's examples run, in order, as a new user would type them."""

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
SHARED = ROOT.parent / "shared"


def console_commands() -> list[str]:
    """Every `$ ` line of the README's console blocks, in order."""
    blocks = re.findall(r"```console\n(.*?)```", README.read_text(), flags=re.S)
    return [
        line[2:] for block in blocks for line in block.splitlines() if line.startswith("$ ")
    ]


def setup_lines() -> list[str]:
    return re.findall(r"```sh\n(python3 -m venv .*?)\n```", README.read_text())


def test_readme_has_exactly_two_setup_commands_and_ci_runs_the_test_one():
    demo, tests = setup_lines()

    assert demo.endswith("points demo")
    assert "pytest" in tests
    assert tests in (ROOT / ".ci" / "run").read_text().replace(" -q ", " ")


def test_readme_examples_run_in_order(tmp_path, sample_csv):
    env = {
        **os.environ,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
    }
    env["POINTS_DB"] = str(tmp_path / "readme.db")
    commands = console_commands()
    assert len(commands) > 30

    for command in commands:
        command = command.replace("../shared/", f"{SHARED}/")
        if command.startswith("export "):
            name, value = command.removeprefix("export ").split("=", 1)
            env[name] = str(tmp_path / value)
            continue
        done = subprocess.run(
            command,
            shell=True,
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, f"{command}\n{done.stderr}"
        assert "Traceback" not in done.stderr, command

    assert (tmp_path / "bo.html").read_text().startswith("<!DOCTYPE html>")
    assert "contact_email" in (tmp_path / "expiring.csv").read_text()
