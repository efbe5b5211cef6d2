"""Console transcripts in Markdown: parse them, match their output, rewrite them.

A ```` ```console ```` block holds commands, each on a line starting with ``$ ``, followed by
the output they print (stdout and stderr in write order) and, when it is not 0, their exit
status as ``[N]`` on the last line::

    $ python -m greeter Ada
    Hello, Ada!
    $ python -m greeter
    usage: greeter [-h] [--shout] [-v] [--version] name
    greeter: error: the following arguments are required: name
    [2]

In expected output, a line ``...`` matches any number of lines (none too) and ``[..]`` within a
line matches any text on that line; everything else is literal. Output that does not end with a
newline shows its last line with `` (no-eol)`` appended, as cram does.

This module is the library, without pytest: :func:`parse` reads a Markdown text into
:class:`Block` objects, :func:`command_request` turns a command line into what to run,
:func:`matches` compares, :func:`updated_lines` computes what a rewritten block says, and
:func:`rewrite` applies :class:`Update` objects to the text. The pytest glue is
:mod:`pytest_runmain.transcript_plugin`.

PYTEST_DONT_REWRITE: no assertion here is for users (pytest need not rewrite them).
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Final, Literal, final

__all__ = [
    "ANY_LINES",
    "ANY_TEXT",
    "Block",
    "Command",
    "CommandRequest",
    "TranscriptError",
    "Update",
    "command_request",
    "command_update",
    "expected_block_lines",
    "line_matches",
    "matches",
    "output_lines",
    "parse",
    "rewrite",
    "updated_lines",
]

#: An expected line that matches any number of lines, none included.
ANY_LINES: Final = "..."
#: Text within an expected line that matches any text of the line.
ANY_TEXT: Final = "[..]"
#: Appended to the last line of output that does not end with a newline.
NO_EOL: Final = " (no-eol)"
#: The info-string words that make a fenced block a transcript.
LANGUAGES: Final = frozenset({"console"})
PROMPT: Final = "$ "
PYTHONS: Final = frozenset({"python", "python3"})
SUPPORTED_FORMS: Final = (
    "python -m MODULE ARGS..., python PATH ARGS... (python3 too), SCRIPT ARGS... for an installed "
    "console script, each optionally preceded by NAME=value words"
)

_FENCE: Final = re.compile(r"^(?P<indent> {0,3})(?P<fence>`{3,}|~{3,})(?P<info>[^`]*)$")
_STATUS: Final = re.compile(r"^\[(?P<status>\d{1,3})\]$")
_ENV_WORD: Final = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")
#: Characters a shell treats specially when not quoted: operators, expansions, globs, comments.
_SPECIAL: Final = {
    **dict.fromkeys("|&;<>()", "shell operators (pipes, redirections, &&, ;, &, subshells)"),
    "`": "command substitution",
    "$": "variable expansion",
    **dict.fromkeys("*?[", "glob patterns"),
    **dict.fromkeys("{}", "brace expansion"),
}


class TranscriptError(ValueError):
    """A transcript cannot be run as written: the message names the file, the line and the fix."""


@final
@dataclass(frozen=True)
class CommandRequest:
    """What one command line asks for: ``python -m MOD``, ``python PATH`` or a console script.

    *kind* and *target* are those of :class:`~pytest_runmain.RunRequest`.
    """

    kind: Literal["module", "path", "console_script"]
    target: str
    args: tuple[str, ...] = ()
    #: The ``NAME=value`` words before the command.
    env: tuple[tuple[str, str], ...] = ()


@final
@dataclass(frozen=True)
class Command:
    """One ``$ `` line of a block and the output expected from it."""

    #: The 1-based line of the ``$ `` line in the file.
    line: int
    #: The command line, without the prompt.
    text: str
    request: CommandRequest
    #: The expected output, one pattern per line (without the status line).
    expected: tuple[str, ...]
    #: The expected exit status (``[N]``, else 0).
    status: int
    #: The lines after the command line as written, status line included.
    written: tuple[str, ...]
    #: The 0-based indices in the file of the lines after the command line that the expected
    #: output and status occupy: ``[start, end)``.
    start: int
    end: int


@final
@dataclass(frozen=True)
class Block:
    """One ``console`` fenced block."""

    #: The 1-based line of the opening fence.
    line: int
    #: The indentation of the fence, removed from each line of the block.
    indent: str
    commands: tuple[Command, ...]
    #: ``name=value`` attributes of the info string (``cwd=examples/app``).
    attributes: tuple[tuple[str, str], ...] = ()


@final
@dataclass(frozen=True)
class Update:
    """New expected lines for one command: replaces the file's lines ``[start, end)``."""

    start: int
    end: int
    #: The lines being replaced, as parsed, to check the file did not change since.
    old: tuple[str, ...]
    new: tuple[str, ...]
    indent: str = ""


# --- parsing -------------------------------------------------------------------------------------


@dataclass
class _Fence:
    line: int
    indent: str
    marker: str
    attributes: tuple[tuple[str, str], ...]
    body: list[int] = field(default_factory=list)


def _opening(line: str, number: int, path: str) -> _Fence | tuple[str, None] | None:
    """The fence a line opens: a console block, another block (its marker), or None."""
    match = _FENCE.match(line)
    if match is None or (match["fence"][0] == "`" and "`" in match["info"]):
        return None
    words = match["info"].split()
    if not words or words[0].lower() not in LANGUAGES:
        return (match["fence"], None)
    attributes = []
    for word in words[1:]:
        name, sep, value = word.partition("=")
        if name != "cwd" or not sep or not value:
            raise TranscriptError(
                f"{path}:{number}: unknown attribute {word!r} of a console block; the only "
                "attribute is cwd=DIR (relative to the Markdown file's directory)"
            )
        attributes.append((name, value))
    return _Fence(number, match["indent"], match["fence"], tuple(attributes))


def _closes(line: str, marker: str) -> bool:
    stripped = line.strip()
    return (
        len(line) - len(line.lstrip(" ")) < 4
        and stripped == marker[0] * len(stripped)
        and (len(stripped) >= len(marker))
    )


def _fences(lines: Sequence[str], path: str) -> list[_Fence]:
    """The console fences of the text, each with the indices of its body lines."""
    found: list[_Fence] = []
    current: _Fence | None = None
    other: str | None = None
    for index, line in enumerate(lines):
        if current is not None:
            if _closes(line, current.marker):
                current = None
            else:
                current.body.append(index)
        elif other is not None:
            if _closes(line, other):
                other = None
        else:
            opened = _opening(line, index + 1, path)
            if isinstance(opened, _Fence):
                current = opened
                found.append(opened)
            elif opened is not None:
                other = opened[0]
    return found


def _content(line: str, indent: str) -> str:
    """A body line without the fence's indentation (up to as many spaces)."""
    stripped = line[: len(indent)].lstrip(" ")
    return stripped + line[len(indent) :]


def parse(text: str, path: str = "<transcript>") -> list[Block]:
    """The console blocks of a Markdown *text*; *path* names it in error messages.

    Raises :class:`TranscriptError` listing every problem (one per line, ``path:line: ...``):
    an unsupported command, output before the first command, an unknown block attribute.
    """
    lines = text.splitlines()
    blocks: list[Block] = []
    problems: list[str] = []
    for fence in _fences(lines, path):
        try:
            commands = _commands(lines, fence, path)
        except TranscriptError as exc:
            problems.append(str(exc))
            continue
        blocks.append(Block(fence.line, fence.indent, tuple(commands), fence.attributes))
    if problems:
        raise TranscriptError("\n".join(problems))
    return blocks


def _commands(lines: Sequence[str], fence: _Fence, path: str) -> list[Command]:
    """The commands of one block; a :class:`TranscriptError` lists every problem in it."""
    groups: list[tuple[int, list[int]]] = []
    problems: list[str] = []
    for index in fence.body:
        content = _content(lines[index], fence.indent)
        if content.startswith(PROMPT) or content == PROMPT.strip():
            groups.append((index, []))
        elif groups:
            groups[-1][1].append(index)
        elif content.strip():
            problems.append(
                f"{path}:{index + 1}: output before the first command of the console block; "
                f"start each command with {PROMPT!r}"
            )
    commands = []
    for index, body in groups:
        try:
            commands.append(_command(lines, fence.indent, index, body))
        except TranscriptError as exc:
            problems.append(f"{path}:{index + 1}: {exc}")
    if problems:
        raise TranscriptError("\n".join(problems))
    return commands


def _command(lines: Sequence[str], indent: str, index: int, body: list[int]) -> Command:
    text = _content(lines[index], indent)[len(PROMPT) :].strip()
    written = tuple(_content(lines[i], indent) for i in body)
    expected = list(written)
    status = 0
    if expected and (match := _STATUS.match(expected[-1])):
        status = int(match["status"])
        expected.pop()
    request = command_request(text)
    start = index + 1
    return Command(
        index + 1, text, request, tuple(expected), status, written, start, start + len(body)
    )


def _unquoted_special(text: str) -> str | None:
    """What shell feature an unquoted character of *text* asks for, or None."""
    quote = ""
    escaped = False
    at_word_start = True
    for char in text:
        if escaped:
            escaped = False
        elif char == "\\" and quote != "'":
            escaped = True
        elif quote:
            if char == quote:
                quote = ""
            elif quote == '"' and char in "$`":
                return _SPECIAL[char]
        elif char in "'\"":
            quote = char
        elif char in _SPECIAL:
            return _SPECIAL[char]
        elif at_word_start and char in "#~":
            return "comments" if char == "#" else "home directory expansion (~)"
        at_word_start = char.isspace()
    return None


def command_request(text: str) -> CommandRequest:
    """The run a command line asks for; :class:`TranscriptError` if it is not supported.

    The line is split as a POSIX shell does (:func:`shlex.split`), after checking it uses no
    shell feature beyond quoting: there is no shell, so a pipe or a glob would not do what it
    says. A first word other than ``python`` runs when it is the name of a console script
    that a distribution on ``sys.path`` declares (``$ greeter Ada``).
    """
    if not text:
        raise TranscriptError(f"empty command; supported: {SUPPORTED_FORMS}")
    special = _unquoted_special(text)
    if special is not None:
        raise TranscriptError(
            f"{text!r} uses {special}, which transcripts do not support: there is no shell. "
            f"Supported: {SUPPORTED_FORMS}"
        )
    try:
        words = shlex.split(text)
    except ValueError as exc:
        raise TranscriptError(f"{text!r} cannot be split into words: {exc}") from None
    env = []
    while words and _ENV_WORD.match(words[0]):
        name, _, value = words.pop(0).partition("=")
        env.append((name, value))
    if words and words[0] not in PYTHONS and _is_console_script(words[0]):
        return CommandRequest("console_script", words[0], tuple(words[1:]), tuple(env))
    if not words or words[0] not in PYTHONS:
        first = words[0] if words else "(nothing)"
        raise TranscriptError(
            f"{text!r}: {first!r} is not a command transcripts can run; supported: "
            f"{SUPPORTED_FORMS}"
        )
    rest = words[1:]
    if rest[:1] == ["-m"] and len(rest) >= 2:
        return CommandRequest("module", rest[1], tuple(rest[2:]), tuple(env))
    if rest and rest[0].startswith("-m") and len(rest[0]) > 2:
        return CommandRequest("module", rest[0][2:], tuple(rest[1:]), tuple(env))
    if rest and not rest[0].startswith("-"):
        return CommandRequest("path", rest[0], tuple(rest[1:]), tuple(env))
    given = " ".join(words[:2])
    raise TranscriptError(
        f"{text!r}: {given!r} is not supported (interpreter options, -c, the REPL); "
        f"supported: {SUPPORTED_FORMS}"
    )


def _is_console_script(name: str) -> bool:
    # Imported here: most transcripts run python, and a session that reads none pays nothing.
    from pytest_runmain._entry_points import is_console_script_name

    return is_console_script_name(name)


# --- matching ------------------------------------------------------------------------------------


def output_lines(output: str) -> list[str]:
    """*output* as transcript lines: split at newlines, `` (no-eol)`` marking an unended last."""
    if not output:
        return []
    lines = output.split("\n")
    if lines[-1] == "":
        lines.pop()
    else:
        lines[-1] += NO_EOL
    return lines


def line_matches(pattern: str, line: str) -> bool:
    """Whether *line* matches *pattern*, literal text with ``[..]`` matching any text."""
    if ANY_TEXT not in pattern:
        return pattern == line
    first, *middle, last = pattern.split(ANY_TEXT)
    if not line.startswith(first):
        return False
    position = len(first)
    for part in middle:
        found = line.find(part, position)
        if found < 0:
            return False
        position = found + len(part)
    return len(line) - position >= len(last) and line.endswith(last)


def matches(patterns: Sequence[str], lines: Sequence[str]) -> bool:
    """Whether *lines* match *patterns*, where a ``...`` pattern matches any run of lines."""
    if ANY_LINES not in patterns:
        return len(patterns) == len(lines) and all(map(line_matches, patterns, lines))
    count = len(lines)
    # below[j]: whether patterns[i + 1:] match lines[j:], for the row under the current one.
    below = [j == count for j in range(count + 1)]
    for pattern in reversed(patterns):
        row = [False] * (count + 1)
        for j in range(count, -1, -1):
            if pattern == ANY_LINES:
                row[j] = below[j] or (j < count and row[j + 1])
            else:
                row[j] = j < count and below[j + 1] and line_matches(pattern, lines[j])
        below = row
    return below[0]


# --- rewriting -----------------------------------------------------------------------------------

_Step = tuple[int, int, int, bool, tuple[str, ...]]


def updated_lines(patterns: Sequence[str], lines: Sequence[str]) -> list[str]:
    """Expected lines that match *lines*, keeping what of *patterns* still holds.

    A pattern line that matches its actual line is kept, wildcards and all; a ``...`` is kept
    when the line before it (or the block's start) still matches and the line after it (or the
    block's end) matches after the lines it covers. Every other actual line is written as it
    is. Of the rewrites that keep the most, the one found first is taken.
    """
    if matches(patterns, lines):
        return list(patterns)
    n, m = len(patterns), len(lines)
    best: dict[tuple[int, int, bool], tuple[int, _Step | None]] = {}
    for i in range(n, -1, -1):
        for j in range(m, -1, -1):
            for anchored in (False, True):
                best[i, j, anchored] = _best_step(patterns, lines, best, i, j, anchored)
    result: list[str] = []
    state = (0, 0, True)
    while (step := best[state][1]) is not None:
        _, i, j, anchored, emitted = step
        result.extend(emitted)
        state = (i, j, anchored)
    return result


def _best_step(
    patterns: Sequence[str],
    lines: Sequence[str],
    best: dict[tuple[int, int, bool], tuple[int, _Step | None]],
    i: int,
    j: int,
    anchored: bool,
) -> tuple[int, _Step | None]:
    """The cheapest first step from state (i, j, anchored): (cost, step), cost = lines not kept."""
    n, m = len(patterns), len(lines)
    if i == n and j == m:
        return (0, None)
    steps: list[_Step] = []
    pattern = patterns[i] if i < n else None
    if pattern == ANY_LINES and anchored:
        if i + 1 == n:
            steps.append((0, n, m, True, (ANY_LINES,)))
        elif patterns[i + 1] == ANY_LINES:
            steps.append((0, i + 1, j, True, ()))
        else:
            following = patterns[i + 1]
            steps += [
                (0, i + 2, k + 1, True, (ANY_LINES, following))
                for k in range(j, m)
                if line_matches(following, lines[k])
            ]
    if pattern is not None and pattern != ANY_LINES and j < m and line_matches(pattern, lines[j]):
        steps.append((0, i + 1, j + 1, True, (pattern,)))
    if j < m:
        steps.append((1, i, j + 1, False, (lines[j],)))
    if i < n:
        steps.append((1, i + 1, j, False, ()))
    costs = [
        (cost + best[i2, j2, a2][0], index) for index, (cost, i2, j2, a2, _) in enumerate(steps)
    ]
    total, index = min(costs)
    return (total, steps[index])


def expected_block_lines(lines: Sequence[str], status: int) -> list[str]:
    """The lines a command's expected output and *status* are written as."""
    written = list(lines)
    if status != 0:
        written.append(f"[{status}]")
    elif written and _STATUS.match(written[-1]):
        written.append("[0]")  # else the printed line would read as the status
    return written


def rewrite(text: str, updates: Iterable[Update]) -> str:
    """*text* with each update applied; every other character is kept as it was.

    Each update's lines are checked to still hold what was parsed; a :class:`TranscriptError`
    says when the file changed since.
    """
    lines = text.splitlines(keepends=True)
    for update in sorted(updates, key=lambda u: u.start, reverse=True):
        current = tuple(
            _content(line.rstrip("\r\n"), update.indent)
            for line in lines[update.start : update.end]
        )
        if current != update.old:
            raise TranscriptError(
                f"line {update.start + 1}: the file changed since it was read; run again"
            )
        eol = _line_ending(lines, update.start)
        new = [f"{update.indent}{line}{eol}" if line else eol for line in update.new]
        lines[update.start : update.end] = new
    return "".join(lines)


def _line_ending(lines: Sequence[str], start: int) -> str:
    """The line ending of the command line before *start* (the file's convention there)."""
    line = lines[start - 1] if start > 0 else (lines[0] if lines else "\n")
    for ending in ("\r\n", "\n", "\r"):
        if line.endswith(ending):
            return ending
    return "\n"


def command_update(command: Command, indent: str, output: str, status: int) -> Update | None:
    """The :class:`Update` that makes *command* expect *output* and *status*; None if it does."""
    lines = output_lines(output)
    if status == command.status and matches(command.expected, lines):
        return None
    new = expected_block_lines(updated_lines(command.expected, lines), status)
    return Update(command.start, command.end, command.written, tuple(new), indent)
