"""Find the `reconcile ...` command lines in CI shell scripts and parse them with the real CLI.

Used by the tests of the GitHub workflows, the action and the GitLab example: a line that
the installed command line would refuse (unknown command or option, bad value, missing
required option, extra argument) fails the test, exactly as it would fail in CI.
"""

from __future__ import annotations

import re
import shlex
from typing import Any

import typer

from reconcile.cli import app

PLACEHOLDER = "PLACEHOLDER"
_EXPRESSION = re.compile(r"\$\{\{.*?\}\}")  # ${{ inputs.path }}: GitHub's, before the shell
_ARRAY = re.compile(r'"\$\{\w+\[@\]\}"')  # "${args[@]}": zero or more words, dropped
_SUBSTITUTION = re.compile(r"\$\([^()]*\)")  # $(cat file)
_VARIABLE = re.compile(r"\$\{[^}]*\}|\$\w+|\$[?@#$!*]")  # "$TENANT_PATH", ${CI_X}, $?
_SEPARATORS = {";", ";;", "&&", "||", "|", "&", "(", ")", "{", "}"}
_KEYWORDS = {"if", "then", "else", "elif", "do", "while", "until", "!", "time", "exec"}
_REDIRECTS = {">", ">>", "<", "<<", "<<<", ">&", "&>", "2>", "2>>"}


def placeholders(script: str) -> str:
    """The script with every value only known at run time replaced by one plain word."""
    script = script.replace("\\\n", " ")  # line continuations
    script = _EXPRESSION.sub(PLACEHOLDER, script)
    script = _ARRAY.sub("", script)
    script = _SUBSTITUTION.sub(PLACEHOLDER, script)
    return _VARIABLE.sub(PLACEHOLDER, script)


def invocations(script: str) -> list[list[str]]:
    """The arguments of every `reconcile ...` command in a shell script, in order."""
    found: list[list[str]] = []
    for line in placeholders(script).splitlines():
        lexer = shlex.shlex(line, posix=True, punctuation_chars=";&|()<>")
        lexer.whitespace_split = True
        lexer.commenters = "#"
        segment: list[str] = []
        for token in [*lexer, ";"]:
            if token in _SEPARATORS:
                _take(segment, found)
                segment = []
            else:
                segment.append(token)
    return found


def _take(segment: list[str], found: list[list[str]]) -> None:
    words = _without_redirections(segment)
    while words and (words[0] in _KEYWORDS or re.fullmatch(r"[A-Za-z_]\w*=\S*", words[0])):
        words = words[1:]  # `if reconcile ...`, `X=1 reconcile ...`
    if words and words[0] == "reconcile":
        found.append(words[1:])


def _without_redirections(segment: list[str]) -> list[str]:
    words: list[str] = []
    skip = False
    for word in segment:
        if skip:
            skip = False
        elif word in _REDIRECTS:
            skip = True  # the redirection's target
        else:
            words.append(word)
    if words and words[-1].isdigit() and len(words) < len(segment):
        words.pop()  # the `2` of `2> file`
    return words


def parse(args: list[str]) -> dict[str, Any]:
    """Parse one command line as `reconcile` would; raise the CLI's UsageError if it can't.

    Returns the chosen command's parameters (values converted and checked by the CLI).
    """
    command: Any = typer.main.get_command(app)
    name = "reconcile"
    parent = None
    rest = list(args)
    while isinstance(command, typer.core.TyperGroup):
        leading = 0
        while leading < len(rest) and rest[leading].startswith("-"):
            leading += 1  # the group's own options (e.g. --debug) before the command
        if leading == len(rest):
            raise AssertionError(f"`reconcile {' '.join(args)}` names no command")
        # The group's options and the command's name: a group without a command prints
        # its help instead of parsing.
        context = command.make_context(name, rest[: leading + 1], parent=parent)
        name, rest = rest[leading], rest[leading + 1 :]
        sub = command.get_command(context, name)
        if sub is None:
            raise AssertionError(f"`reconcile {name}` is no command of the CLI")
        command, parent = sub, context
    params: dict[str, Any] = command.make_context(
        name, rest, parent=parent, resilient_parsing=False
    ).params
    return params
