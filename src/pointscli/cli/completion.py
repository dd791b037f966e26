"""Static shell completion for `points`: bash, zsh and fish scripts made from the live app.

This module owns reading the command tree (groups, commands, options with their help,
fixed choices, file arguments) and writing it out as one plain script per shell. The
scripts hold everything they need, so pressing TAB never starts Python. The tree is read
from `pointscli.cli.app` every time, never listed by hand, so a new command is offered
as soon as the scripts are written again:

    python -m pointscli.cli.completion --write completions
    python -m pointscli.cli.completion --check completions   # exit 1 naming stale files

Output is deterministic (sorted, no dates, no machine paths) so that a test can compare
the committed scripts with fresh ones. It is a maintainer's tool, not a `points` command.
"""

import argparse
import re
import shlex
import sys
from dataclasses import dataclass
from pathlib import Path

from pointscli.errors import InvalidInput

PROGRAM = "points"
SHELLS = ("bash", "zsh", "fish")
REGENERATE = "python -m pointscli.cli.completion --write completions"

# Words in a metavar or argument name that mark a path: its value completes as files.
FILE_WORDS = ("FILE", "PATH")
DIR_WORDS = ("DIR", "FOLDER", "DIRECTORY")


@dataclass(frozen=True)
class Option:
    """One option of a command, as completion sees it."""

    names: tuple[str, ...]
    help: str
    takes_value: bool
    choices: tuple[str, ...]
    paths: str  # what its value completes as: "", "file" or "dir"
    multiple: bool
    label: str  # what zsh shows while the value is typed


@dataclass(frozen=True)
class Argument:
    """One positional argument; `many` marks one that takes all remaining words."""

    name: str
    choices: tuple[str, ...]
    paths: str
    many: bool


@dataclass(frozen=True)
class Node:
    """A command or group at `path` (the words after `points`), with its children."""

    path: tuple[str, ...]
    help: str
    options: tuple[Option, ...]
    arguments: tuple[Argument, ...]
    children: tuple["Node", ...]

    @property
    def key(self) -> str:
        """The path as the scripts name it: "points", "points type", ..."""
        return " ".join((PROGRAM, *self.path))

    @property
    def name(self) -> str:
        return self.path[-1] if self.path else PROGRAM

    @property
    def value_options(self) -> list[str]:
        return sorted(
            name for option in self.options if option.takes_value for name in option.names
        )

    @property
    def variadic(self) -> int:
        """The index of the argument that absorbs all remaining words, or -1."""
        return next((i for i, argument in enumerate(self.arguments) if argument.many), -1)


def walk(node: Node):
    """Every node of the tree, parents before children, children in name order."""
    yield node
    for child in node.children:
        yield from walk(child)


# Reading the live command tree. Typer 0.28 carries its own copy of click, so commands
# are told apart by what they have (`list_commands`), not by click's classes.


def command_tree(app=None) -> Node:
    """The completion tree of `app` (default: the `points` app as registered right now)."""
    import typer.main

    if app is None:
        from pointscli.cli import app
    root = typer.main.get_command(app)
    return read_node(root, new_context(root, PROGRAM, None), ())


def new_context(command, name: str, parent):
    # The command's own context settings carry -h beside --help; children inherit them.
    return command.context_class(
        command, info_name=name, parent=parent, **command.context_settings
    )


def read_node(command, ctx, path: tuple[str, ...]) -> Node:
    params = [p for p in command.get_params(ctx) if not getattr(p, "hidden", False)]
    options = [read_option(p) for p in params if p.param_type_name == "option"]
    arguments = [read_argument(p) for p in params if p.param_type_name == "argument"]
    return Node(
        path=path,
        help=one_line(command.get_short_help_str(limit=200)),
        options=tuple(sorted(options, key=option_order)),
        arguments=tuple(arguments),
        children=read_children(command, ctx, path),
    )


def read_children(command, ctx, path: tuple[str, ...]) -> tuple[Node, ...]:
    if not hasattr(command, "list_commands"):
        return ()
    children = []
    for name in sorted(command.list_commands(ctx)):
        child = command.get_command(ctx, name)
        if child is not None and not child.hidden:
            children.append(read_node(child, new_context(child, name, ctx), (*path, name)))
    return tuple(children)


def read_option(param) -> Option:
    takes_value = not param.is_flag and not param.count
    return Option(
        # Sorted: click hands over the help option's names as a set, in any order.
        names=tuple(sorted((*param.opts, *param.secondary_opts))),
        help=one_line(param.help or ""),
        takes_value=takes_value,
        choices=choices_of(param) if takes_value else (),
        paths=path_kind(param, param.metavar) if takes_value else "",
        multiple=bool(param.multiple or param.count),
        label=(param.metavar or long_name(param.opts)).lower(),
    )


def read_argument(param) -> Argument:
    paths = path_kind(param, param.metavar or param.name)
    return Argument(
        name=param.name, choices=choices_of(param), paths=paths, many=param.nargs < 0
    )


def long_name(names: list[str]) -> str:
    return next((name for name in names if name.startswith("--")), names[0]).lstrip("-")


def option_order(option: Option) -> tuple[str, ...]:
    return tuple(name.lstrip("-") for name in option.names)


def choices_of(param) -> tuple[str, ...]:
    # Enum-backed choices may hold members rather than their values.
    choices = getattr(param.type, "choices", None) or ()
    return tuple(str(getattr(choice, "value", choice)) for choice in choices)


def path_kind(param, label: str | None) -> str:
    """ "file", "dir" or "" for a parameter: from its type, else its metavar or name."""
    kind = param.type
    if getattr(kind, "dir_okay", False) and not getattr(kind, "file_okay", True):
        return "dir"
    if getattr(kind, "name", "") in ("path", "filename", "file"):
        return "file"
    words = re.split(r"[^A-Z]+", (label or "").upper())
    if any(word in DIR_WORDS for word in words):
        return "dir"
    return "file" if any(word in FILE_WORDS for word in words) else ""


def one_line(text: str) -> str:
    """A help text on one line, without the example that commands' help ends with."""
    line = " ".join(text.split())
    return line.split(" Example:")[0].strip()


# Writing scripts.


def generate(shell: str, app=None) -> str:
    """The completion script for `shell` (bash, zsh or fish), made from the live app."""
    return script(shell, command_tree(app))


def script(shell: str, tree: Node) -> str:
    """The completion script for `shell` over a command tree."""
    writers = {"bash": bash_script, "zsh": zsh_script, "fish": fish_script}
    if shell not in writers:
        raise InvalidInput(
            f"no completion for shell {shell!r}; choose one of {', '.join(SHELLS)}"
        )
    return writers[shell](tree)


def header(shell: str, install: str) -> list[str]:
    return [
        f"# {shell} completion for `{PROGRAM}`.",
        f"# Generated by `{REGENERATE}`; do not edit.",
        f"# {install}",
        "",
    ]


# bash: two case tables keyed by command path, and one walker over COMP_WORDS.

BASH_ENGINE = r"""
_points_match() {
    # Offer the words after $1 that start with $1.
    local prefix=$1 word
    shift
    for word; do
        [[ $word == "$prefix"* ]] && COMPREPLY+=("$word")
    done
}

_points_has() {
    local needle=$1 word
    shift
    for word; do
        [[ $word == "$needle" ]] && return 0
    done
    return 1
}

_points_reply() {
    # Complete $1 as _points_values described it: fixed choices, files or folders.
    local line
    case $_points_kind in
        choice) _points_match "$1" "${_points_choices[@]}" ;;
        file|dir)
            compopt -o filenames 2>/dev/null
            while IFS= read -r line; do
                COMPREPLY+=("$line")
            done < <(if [[ $_points_kind == dir ]]; then compgen -d -- "$1"
                     else compgen -f -- "$1"; fi)
            ;;
    esac
}

_points() {
    local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]}
    local path=points word option="" i=1 argn=0 ended=0
    local -a _points_subcommands _points_options _points_value_options _points_choices
    local _points_kind _points_variadic
    COMPREPLY=()

    # Walk the words before the cursor: enter subcommands, step over option values.
    while (( i < COMP_CWORD )); do
        word=${COMP_WORDS[i]}
        _points_node "$path"
        if (( ended )); then
            argn=$((argn + 1))
        elif [[ $word == -- ]]; then
            ended=1
        elif [[ $word == -* ]]; then
            # readline splits --opt=value into three words at the "=".
            if [[ ${COMP_WORDS[i+1]} == "=" ]]; then
                i=$((i + 2))
            elif _points_has "$word" "${_points_value_options[@]}"; then
                i=$((i + 1))
            fi
        elif _points_has "$word" "${_points_subcommands[@]}"; then
            path="$path $word"
        else
            argn=$((argn + 1))
        fi
        i=$((i + 1))
    done
    _points_node "$path"

    # The value of an option: `--opt VALUE`, `--opt=VALUE` or `--opt=`.
    if (( ended )); then
        :
    elif [[ $cur == "=" && $prev == -* ]]; then
        option=$prev
        cur=""
    elif [[ $prev == "=" ]] && (( COMP_CWORD > 1 )); then
        option=${COMP_WORDS[COMP_CWORD-2]}
    elif _points_has "$prev" "${_points_value_options[@]}"; then
        option=$prev
    fi
    if [[ -n $option ]]; then
        _points_values "$path" "$option"
        _points_reply "$cur"
        return 0
    fi

    # Otherwise an option name, a subcommand or the next argument.
    if [[ $cur == -* ]] && (( ! ended )); then
        _points_match "$cur" "${_points_options[@]}"
    elif (( ${#_points_subcommands[@]} )); then
        (( argn == 0 )) && _points_match "$cur" "${_points_subcommands[@]}"
    else
        (( _points_variadic >= 0 && argn > _points_variadic )) && argn=$_points_variadic
        _points_values "$path" "@$argn"
        _points_reply "$cur"
    fi
    return 0
}

complete -F _points points
"""

BASH_NODE = """\
_points_node() {
    # What command path $1 offers: subcommands, options, and which options take a value.
    _points_subcommands=() _points_options=() _points_value_options=()
    _points_variadic=-1
    case "$1" in"""

BASH_VALUES = """\
_points_values() {
    # What completes at path $1 after option $2, or as argument @N (counted from 0):
    # sets _points_kind (choice, file, dir or nothing) and _points_choices.
    _points_kind='' _points_choices=()
    case "$1 $2" in"""


def bash_words(words) -> str:
    return " ".join(shlex.quote(word) for word in words)


def bash_script(tree: Node) -> str:
    install = "Source it, or put it in bash-completion's folder as `points`."
    lines = header("bash", install) + bash_node_table(tree) + [""] + bash_values_table(tree)
    return "\n".join(lines) + BASH_ENGINE


def bash_node_table(tree: Node) -> list[str]:
    lines = BASH_NODE.splitlines()
    for node in walk(tree):
        names = sorted(name for option in node.options for name in option.names)
        subcommands = bash_words(child.name for child in node.children)
        lines += [
            f"        {shlex.quote(node.key)})",
            f"            _points_subcommands=({subcommands})",
            f"            _points_options=({bash_words(names)})",
            f"            _points_value_options=({bash_words(node.value_options)})",
        ]
        if node.variadic >= 0:
            lines.append(f"            _points_variadic={node.variadic}")
        lines.append("            ;;")
    return lines + ["    esac", "}"]


def bash_values_table(tree: Node) -> list[str]:
    lines = BASH_VALUES.splitlines()
    for node in walk(tree):
        for keys, choices, paths in value_slots(node):
            patterns = "|".join(shlex.quote(f"{node.key} {key}") for key in keys)
            lines.append(f"        {patterns})")
            if choices:
                lines += [
                    "            _points_kind=choice",
                    f"            _points_choices=({bash_words(choices)})",
                ]
            else:
                lines.append(f"            _points_kind={paths}")
            lines.append("            ;;")
    return lines + ["    esac", "}"]


def value_slots(node: Node):
    """(option names or "@index", choices, paths) for each slot that completes something."""
    for option in node.options:
        if option.choices or option.paths:
            yield option.names, option.choices, option.paths
    for index, argument in enumerate(node.arguments):
        if argument.choices or argument.paths:
            yield [f"@{index}"], argument.choices, argument.paths


# zsh: one _arguments function per command; a group's dispatches on the subcommand word.

ZSH_GROUP = """\
{function}() {{
    local curcontext="$curcontext" state state_descr line ret=1
    typeset -A opt_args
{arguments} && ret=0
    case $state in
        (command)
            local -a commands
            commands=(
{commands}
            )
            _describe -t commands {title} commands && ret=0
            ;;
        (rest)
            curcontext="${{curcontext%:*:*}}:{context}-$words[1]:"
            case $words[1] in
{dispatch}
            esac
            ;;
    esac
    return ret
}}
"""

ZSH_FOOTER = """\
if [[ $zsh_eval_context[-1] == loadautofunc ]]; then
    _points "$@"
else
    compdef _points points
fi
"""


def zsh_function(node: Node) -> str:
    return "_" + "__".join((PROGRAM, *node.path)).replace("-", "_")


def zsh_escape(text: str, special: str = "[]:\\") -> str:
    return "".join("\\" + char if char in special else char for char in text)


def zsh_quote(text: str) -> str:
    return "'" + text.replace("'", "'\\''") + "'"


def zsh_action(choices: tuple[str, ...], paths: str) -> str:
    if choices:
        return "(" + " ".join(zsh_escape(c, "()[]:\\ '\"$`") for c in choices) + ")"
    return {"file": "_files", "dir": "_files -/"}.get(paths, " ")


def zsh_option_specs(option: Option) -> list[str]:
    exclusions = "*" if option.multiple else "(" + " ".join(option.names) + ")"
    value = f":{zsh_escape(option.label)}:{zsh_action(option.choices, option.paths)}"
    specs = []
    for name in option.names:
        # --long= and -s+ take the value in the same word or the next, as click does.
        suffix = ("=" if name.startswith("--") else "+") if option.takes_value else ""
        spec = f"{exclusions}{name}{suffix}[{zsh_escape(option.help)}]"
        specs.append(zsh_quote(spec + value if option.takes_value else spec))
    return specs


def zsh_argument_specs(node: Node) -> list[str]:
    specs = []
    for index, argument in enumerate(node.arguments, start=1):
        position = "*" if argument.many else str(index)
        action = zsh_action(argument.choices, argument.paths)
        specs.append(zsh_quote(f"{position}:{zsh_escape(argument.name.lower())}:{action}"))
    return specs


def zsh_arguments(specs: list[str], flags: str = "") -> str:
    """An `_arguments` call, one spec a line."""
    lines = [f"    _arguments {flags}-S"] + [f"        {spec}" for spec in specs]
    return " \\\n".join(lines)


def zsh_node(node: Node) -> str:
    specs = [spec for option in node.options for spec in zsh_option_specs(option)]
    if not node.children:
        body = zsh_arguments(specs + zsh_argument_specs(node))
        return f"{zsh_function(node)}() {{\n{body}\n}}\n"

    specs += [zsh_quote("1: :->command"), zsh_quote("*:: :->rest")]
    indent = " " * 16
    commands = [
        indent + zsh_quote(zsh_escape(c.name, ":") + ":" + c.help) for c in node.children
    ]
    dispatch = [
        f"{indent}({zsh_escape(c.name, '()|*?[]<>')}) {zsh_function(c)} && ret=0 ;;"
        for c in node.children
    ]
    return ZSH_GROUP.format(
        function=zsh_function(node),
        arguments=zsh_arguments(specs, "-C "),
        commands="\n".join(commands),
        title=zsh_quote(node.key + " command"),
        context=node.key.replace(" ", "-"),
        dispatch="\n".join(dispatch),
    )


def zsh_script(tree: Node) -> str:
    install = "Put it on $fpath as `_points`, or source it after compinit."
    functions = [zsh_node(node) for node in walk(tree)]
    return "\n".join(["#compdef points", *header("zsh", install), *functions, ZSH_FOOTER])


# fish: a walker finds the command path under the cursor; each completion is tied to one.

FISH_ENGINE = r"""
function __points_state --description 'Print the command path and argument count'
    set -l tokens (commandline -opc)
    set -e tokens[1]
    set -l path points
    set -l argn 0
    set -l skip 0
    set -l ended 0
    for token in $tokens
        if test $skip = 1
            set skip 0
        else if test $ended = 1
            set argn (math $argn + 1)
        else if test "$token" = --
            set ended 1
        else if string match -q -- '-*' $token
            # An option taking a value swallows the next word unless given as --opt=value.
            if contains -- $token (__points_value_options "$path")
                set skip 1
            end
        else if contains -- $token (__points_subcommands "$path")
            set path "$path $token"
        else
            set argn (math $argn + 1)
        end
    end
    echo $path
    echo $argn
end

function __points_at --description 'Is the cursor at path $argv[1] (argument $argv[2])?'
    # Every completion line asks: walk each command line once, not once per line.
    set -l line (commandline -pc | string collect)
    if not set -q __points_line; or test "$__points_line" != "$line"
        set -g __points_line $line
        set -g __points_here (__points_state)
    end
    set -l state $__points_here
    test "$state[1]" = "$argv[1]"; or return 1
    set -q argv[2]; or return 0
    if set -q argv[3]
        test $state[2] -ge $argv[2]
    else
        test $state[2] -eq $argv[2]
    end
end

complete -c points -f
"""


def fish_quote(text: str) -> str:
    """`text` as one fish word, quoted only as much as it needs."""
    if re.fullmatch(r"[\w.,:@+/=][\w.,:@+/=-]*", text):
        return text
    if "'" not in text or any(char in text for char in '"$\\'):
        return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"
    return f'"{text}"'


def fish_table(name: str, description: str, rows: dict[str, list[str]]) -> list[str]:
    lines = [
        f"function {name} --description {fish_quote(description)}",
        "    switch $argv[1]",
    ]
    for key, words in rows.items():
        if words:
            printed = " ".join(fish_quote(word) for word in words)
            lines += [
                f"        case {fish_quote(key)}",
                f"            printf '%s\\n' {printed}",
            ]
    return lines + ["    end", "end"]


def fish_values(choices: tuple[str, ...], paths: str, option: bool = True) -> str:
    # -r: the option needs a value; -f / -F: offer no files / offer files.
    need = "-r " if option else ""
    if choices:
        return f"{need}-f -a " + fish_quote(" ".join(fish_quote(c) for c in choices))
    if paths == "dir":
        folders = "(__fish_complete_directories (commandline -ct))"
        return f"{need}-f -a {fish_quote(folders)}"
    return f"{need}-F" if paths == "file" else f"{need}-f"


def fish_complete(condition: str, *parts: str) -> str:
    return " ".join(["complete -c points -n", fish_quote(condition), *parts])


def fish_node(node: Node) -> list[str]:
    at = f"__points_at {fish_quote(node.key)}"
    lines = [
        fish_complete(
            f"{at} 0", "-a", fish_quote(fish_quote(c.name)), "-d", fish_quote(c.help)
        )
        for c in node.children
    ]
    for option in node.options:
        names = [
            f"-l {fish_quote(name[2:])}"
            if name.startswith("--")
            else f"-s {fish_quote(name[1:])}"
            for name in option.names
        ]
        value = [fish_values(option.choices, option.paths)] if option.takes_value else []
        lines.append(fish_complete(at, *names, *value, "-d", fish_quote(option.help)))
    for index, argument in enumerate(node.arguments):
        if argument.choices or argument.paths:
            where = f"{at} {index}" + (" more" if argument.many else "")
            lines.append(
                fish_complete(
                    where, fish_values(argument.choices, argument.paths, option=False)
                )
            )
    return lines


def fish_script(tree: Node) -> str:
    nodes = list(walk(tree))
    lines = header("fish", "Put it in ~/.config/fish/completions/ as points.fish.")
    lines += fish_table(
        "__points_subcommands",
        "Subcommands of a command path",
        {n.key: [c.name for c in n.children] for n in nodes},
    )
    lines += [""] + fish_table(
        "__points_value_options",
        "Options of a path taking a value",
        {n.key: n.value_options for n in nodes},
    )
    lines += FISH_ENGINE.splitlines()
    for node in nodes:
        lines += [""] + fish_node(node)
    return "\n".join(lines) + "\n"


# Writing and checking the committed files.


def expected_files() -> dict[str, str]:
    return {f"{PROGRAM}.{shell}": generate(shell) for shell in SHELLS}


def write(folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in expected_files().items():
        (folder / name).write_text(text, encoding="utf-8")
        written.append(folder / name)
    return written


def stale(folder: Path) -> list[Path]:
    """The scripts in `folder` that are missing or differ from freshly generated ones."""
    return [
        folder / name
        for name, text in expected_files().items()
        if not (folder / name).exists()
        or (folder / name).read_text(encoding="utf-8") != text
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m pointscli.cli.completion",
        description="Write or check shell completion scripts.",
    )
    action = parser.add_mutually_exclusive_group(required=True)
    action.add_argument(
        "--write",
        metavar="DIR",
        type=Path,
        help="write points.bash, points.zsh and points.fish into DIR",
    )
    action.add_argument(
        "--check",
        metavar="DIR",
        type=Path,
        help="exit 1 naming the scripts in DIR that are stale",
    )
    args = parser.parse_args(argv)

    if args.write:
        for path in write(args.write):
            sys.stderr.write(f"Wrote {path}\n")
        return 0

    outdated = stale(args.check)
    for path in outdated:
        sys.stderr.write(f"Stale completion script: {path}\n")
    if outdated:
        sys.stderr.write(f"Run `{REGENERATE}` to regenerate them.\n")
    return 1 if outdated else 0


if __name__ == "__main__":
    sys.exit(main())
