"""Shell completion: the committed scripts match the app, and the shells complete with them."""

import re
import shutil
import subprocess
import sys
from enum import Enum
from pathlib import Path

import pytest
import typer
import typer.main

from pointscli.cli import app, completion
from pointscli.errors import InvalidInput

COMPLETIONS = Path(__file__).resolve().parents[1] / "completions"
BASH_SCRIPT = COMPLETIONS / "points.bash"
SHELLS = ("bash", "zsh", "fish")

# Source a script, fill COMP_WORDS as bash would (the last word is under the cursor),
# call the completion function and print one reply a line.
BASH_DRIVER = """
source "$1"; shift
COMP_WORDS=("$@"); COMP_CWORD=$(( $# - 1 ))
_points points "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
printf '%s\\n' "${COMPREPLY[@]}"
"""


def complete_bash(script: Path, *words: str, cwd: Path | None = None) -> list[str]:
    """What TAB offers in bash for `words` (the last one being typed)."""
    result = subprocess.run(
        ["bash", "--norc", "--noprofile", "-c", BASH_DRIVER, "bash", str(script), *words],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    return [line for line in result.stdout.splitlines() if line]


def complete_fish(script: Path, line: str) -> list[str]:
    """What TAB offers in fish for a command line, without descriptions."""
    program = "function points; end; source $argv[1]; complete -C $argv[2]"
    result = subprocess.run(
        ["fish", "--no-config", "-c", program, "--", str(script), line],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return sorted(reply.split("\t")[0] for reply in result.stdout.splitlines())


def top_level_commands() -> list[str]:
    group = typer.main.get_command(app)
    ctx = group.context_class(group, info_name="points")
    return sorted(
        name for name in group.list_commands(ctx) if not group.get_command(ctx, name).hidden
    )


def root_function(zsh_text: str) -> str:
    start = zsh_text.index("\n_points() {")
    return zsh_text[start : zsh_text.index("\n}\n", start)]


# The committed scripts.


@pytest.mark.parametrize("shell", SHELLS)
def test_committed_script_matches_the_app(shell):
    committed = COMPLETIONS / f"points.{shell}"
    fresh = completion.generate(shell)
    stale = not committed.exists() or committed.read_text(encoding="utf-8") != fresh
    assert not stale, (
        f"{committed} is stale: run "
        "`python -m pointscli.cli.completion --write completions`"
    )


def test_the_app_has_the_core_commands():
    core = {"type", "contact", "user", "config", "issue", "consume", "void"}
    assert core <= set(top_level_commands())


@pytest.mark.parametrize("shell", SHELLS)
def test_every_top_level_command_is_in_the_script(shell):
    text = (COMPLETIONS / f"points.{shell}").read_text(encoding="utf-8")
    if shell == "bash":
        root = re.search(r"^ {8}points\)\n {12}_points_subcommands=\((.*)\)$", text, re.M)
        offered = root.group(1).split()
    elif shell == "zsh":
        offered = re.findall(r"^ {16}'([\w-]+):", root_function(text), re.M)
    else:
        offered = re.findall(
            r"^complete -c points -n '__points_at points 0' -a ([\w-]+)", text, re.M
        )
    assert sorted(offered) == top_level_commands()


def test_bash_completes_a_top_level_command():
    assert complete_bash(BASH_SCRIPT, "points", "ty") == ["type"]


def test_bash_completes_subcommands_of_a_group():
    replies = complete_bash(BASH_SCRIPT, "points", "type", "")
    assert sorted(replies) == ["add", "archive", "edit", "list", "show"]


def test_bash_completes_format_choices():
    assert complete_bash(BASH_SCRIPT, "points", "type", "list", "--format", "") == [
        "table",
        "csv",
        "json",
    ]
    assert complete_bash(BASH_SCRIPT, "points", "type", "list", "-f", "j") == ["json"]


def test_bash_completes_format_choices_of_balance():
    if "balance" not in top_level_commands():
        pytest.skip("`points balance` is not registered in this checkout")
    replies = complete_bash(BASH_SCRIPT, "points", "balance", "x", "--format", "")
    assert replies == ["table", "csv", "json"]


def test_bash_completes_options_of_a_command():
    replies = complete_bash(BASH_SCRIPT, "points", "type", "list", "--a")
    assert sorted(replies) == ["--all", "--as-of"]


def test_bash_completes_files_after_db(tmp_path):
    (tmp_path / "ledger.db").write_text("")
    (tmp_path / "notes.txt").write_text("")
    assert complete_bash(BASH_SCRIPT, "points", "--db", "led", cwd=tmp_path) == [
        "ledger.db"
    ]


@pytest.mark.parametrize(
    "shell,command", [("zsh", ["zsh", "-n"]), ("fish", ["fish", "--no-execute"])]
)
def test_script_syntax(shell, command):
    if shutil.which(command[0]) is None:
        pytest.skip(f"{command[0]} is not installed")
    result = subprocess.run(
        [*command, str(COMPLETIONS / f"points.{shell}")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr


def test_fish_completes_subcommands_options_and_choices():
    if shutil.which("fish") is None:
        pytest.skip("fish is not installed")
    script = COMPLETIONS / "points.fish"
    assert complete_fish(script, "points type ") == [
        "add",
        "archive",
        "edit",
        "list",
        "show",
    ]
    assert complete_fish(script, "points type list --format ") == ["csv", "json", "table"]
    assert complete_fish(script, "points type list --format json --a") == [
        "--all",
        "--as-of",
    ]


# The generator, on a small app of its own so the cases do not depend on other commands.


class Kind(str, Enum):
    apple = "apple"
    pear = "pear"


def small_app() -> typer.Typer:
    small = typer.Typer()
    fruit = typer.Typer()
    small.add_typer(fruit, name="fruit", help="Fruit things.")

    @small.callback()
    def root(db: str = typer.Option(None, "--db", metavar="PATH")) -> None:
        """A small app."""

    @fruit.command("pick")
    def pick(
        basket: Path,
        label: str,
        kind: Kind = typer.Option(Kind.apple, "--kind", "-k"),
        note: str = typer.Option(None, "--note"),
        out: Path = typer.Option(None, "--out", file_okay=False),
        loud: bool = typer.Option(False, "--loud"),
    ) -> None:
        """Pick one."""

    @small.command("plain")
    def plain(words: list[str] = typer.Argument(None)) -> None:
        """Plain words."""

    @small.command("secret", hidden=True)
    def secret() -> None:
        """Not offered."""

    return small


@pytest.fixture
def small_bash(tmp_path) -> Path:
    script = tmp_path / "small.bash"
    script.write_text(completion.script("bash", completion.command_tree(small_app())))
    (tmp_path / "basket.csv").write_text("")
    (tmp_path / "bins").mkdir()
    return script


def test_hidden_commands_are_not_offered(small_bash):
    assert complete_bash(small_bash, "points", "") == ["fruit", "plain"]


def test_path_arguments_complete_files(small_bash):
    replies = complete_bash(
        small_bash, "points", "fruit", "pick", "--note", "n", "b", cwd=small_bash.parent
    )
    assert sorted(replies) == ["basket.csv", "bins"]


def test_free_text_arguments_complete_nothing(small_bash):
    replies = complete_bash(
        small_bash, "points", "fruit", "pick", "basket.csv", "b", cwd=small_bash.parent
    )
    assert replies == []


def test_folder_options_complete_folders_only(small_bash):
    replies = complete_bash(
        small_bash, "points", "fruit", "pick", "--out", "b", cwd=small_bash.parent
    )
    assert replies == ["bins"]


def test_choices_after_option_with_equals(small_bash):
    # readline splits `--kind=p` into `--kind`, `=` and `p`.
    pick = ("points", "fruit", "pick", "--kind", "=")
    assert complete_bash(small_bash, *pick, "") == ["apple", "pear"]
    assert complete_bash(small_bash, *pick, "p") == ["pear"]


def test_short_option_choices(small_bash):
    assert complete_bash(small_bash, "points", "fruit", "pick", "-k", "a") == ["apple"]


def test_flags_do_not_swallow_the_next_word(small_bash):
    replies = complete_bash(
        small_bash, "points", "fruit", "pick", "--loud", "b", cwd=small_bash.parent
    )
    assert sorted(replies) == ["basket.csv", "bins"]


def test_unknown_words_at_a_group_offer_nothing(small_bash):
    assert complete_bash(small_bash, "points", "nosuch", "") == []


def test_scripts_are_deterministic_and_hold_no_machine_paths():
    # click gives the help option's names as a set: unsorted, their order changes per run.
    tree = completion.command_tree()
    options = [option for node in completion.walk(tree) for option in node.options]
    assert all(option.names == tuple(sorted(option.names)) for option in options)

    for shell in SHELLS:
        text = completion.generate(shell)
        assert text == completion.generate(shell)
        assert str(Path.cwd()) not in text and str(Path.home()) not in text


def test_unknown_shell_is_refused():
    with pytest.raises(InvalidInput, match="choose one of bash, zsh, fish"):
        completion.generate("tcsh")


def test_check_names_stale_files(tmp_path, capsys):
    assert completion.main(["--write", str(tmp_path)]) == 0
    names = sorted(path.name for path in tmp_path.iterdir())
    assert names == ["points.bash", "points.fish", "points.zsh"]
    assert completion.main(["--check", str(tmp_path)]) == 0
    assert capsys.readouterr().err.count("Wrote") == 3

    (tmp_path / "points.zsh").write_text("# old\n")
    assert completion.main(["--check", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert "points.zsh" in err and "points.bash" not in err
    assert "python -m pointscli.cli.completion --write completions" in err


def test_module_runs_as_a_script(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "pointscli.cli.completion", "--check", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 1
    assert result.stdout == ""
    assert str(tmp_path / "points.bash") in result.stderr
