"""Console transcripts: the library (parse, match, rewrite) and the plugin, through pytester."""

from __future__ import annotations

import pytest

from pytest_runmain.transcripts import (
    CommandRequest,
    TranscriptError,
    command_request,
    command_update,
    line_matches,
    matches,
    output_lines,
    parse,
    rewrite,
    updated_lines,
)

# --- parsing -------------------------------------------------------------------------------------

PAGE = """\
# Title

```console
$ python -m tool a 'b c'
line one
...
[2]
$ NAME=value OTHER= python3 script.py --flag
```

```python
$ python -m ignored
```

  ~~~console cwd=sub
  $ python -mtool
  out
  ~~~

````console
$ python x.py
```
````
"""


def test_parse_reads_blocks_commands_expected_lines_and_statuses() -> None:
    first, second, third = parse(PAGE, "page.md")
    assert (first.line, first.indent, first.attributes) == (3, "", ())
    one, two = first.commands
    assert one.line == 4
    assert one.request == CommandRequest("module", "tool", ("a", "b c"))
    assert (one.expected, one.status, one.written) == (
        ("line one", "..."),
        2,
        ("line one", "...", "[2]"),
    )
    assert (one.start, one.end) == (4, 7)
    assert two.request == CommandRequest(
        "path", "script.py", ("--flag",), (("NAME", "value"), ("OTHER", ""))
    )
    assert (two.expected, two.status, two.start, two.end) == ((), 0, 8, 8)
    assert (second.line, second.indent, second.attributes) == (15, "  ", (("cwd", "sub"),))
    assert second.commands[0].request == CommandRequest("module", "tool")
    assert second.commands[0].expected == ("out",)
    # A longer fence holds a shorter one as text.
    assert third.commands[0].expected == ("```",)


def test_parse_ignores_other_languages_and_fences_inside_them() -> None:
    text = "````markdown\n```console\n$ ls\n```\n````\n~~~\n$ python -m x\n~~~\n"
    assert parse(text) == []


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("```console\noutput first\n$ python -m x\n```\n", "page.md:2: output before the first"),
        ("```console\n$ ls -l\n```\n", "page.md:2: 'ls -l': 'ls' is not a command"),
        ("```console\n$ python -c 1\n```\n", "interpreter options, -c"),
        ("```console\n$ python -m x | grep y\n```\n", "shell operators"),
        ("```console\n$ python -m x > out\n```\n", "shell operators"),
        ("```console\n$ python -m x 2>&1\n```\n", "shell operators"),
        ("```console\n$ python -m x && python -m y\n```\n", "shell operators"),
        ("```console\n$ python -m x; python -m y\n```\n", "shell operators"),
        ("```console\n$ python *.py\n```\n", "glob patterns"),
        ("```console\n$ python -m x $HOME\n```\n", "variable expansion"),
        ('```console\n$ python -m x "$HOME"\n```\n', "variable expansion"),
        ("```console\n$ python -m x ~/f\n```\n", "home directory"),
        ("```console\n$ python -m x 'unclosed\n```\n", "cannot be split"),
        ("```console\n$\n```\n", "empty command"),
        ("```console\n$ X=1\n```\n", "'(nothing)' is not a command"),
        ("```console cwd\n$ python -m x\n```\n", "page.md:1: unknown attribute 'cwd'"),
        ("```console color=red\n$ python -m x\n```\n", "only attribute is cwd=DIR"),
    ],
)
def test_parse_rejects_what_it_cannot_run(text: str, problem: str) -> None:
    with pytest.raises(TranscriptError) as excinfo:
        parse(text, "page.md")
    assert problem in str(excinfo.value)
    assert "page.md:" in str(excinfo.value)


def test_parse_lists_every_problem_of_a_file() -> None:
    text = "```console\n$ ls\n```\n\n```console\n$ python -m ok\n$ cat f\n```\n"
    with pytest.raises(TranscriptError) as excinfo:
        parse(text, "page.md")
    wheres = [line.split(": ")[0] for line in str(excinfo.value).splitlines()]
    assert wheres == ["page.md:2", "page.md:7"]


def test_quoted_shell_characters_are_arguments() -> None:
    request = command_request("""python -m tool '|' ">" 'a*b' "it's" '$HOME' \\;""")
    assert request.args == ("|", ">", "a*b", "it's", "$HOME", ";")


# --- matching ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("pattern", "line", "expected"),
    [
        ("exact", "exact", True),
        ("exact", "exact ", False),
        ("a.b", "axb", False),  # no regex
        ("[..]", "", True),
        ("[..]", "anything", True),
        ("took [..]s", "took 0.25s", True),
        ("took [..]s", "took 0.25ms!", False),
        ("[..]-[..]-[..]", "a-b-c", True),
        ("[..]-[..]-[..]", "a-b", False),
        ("ab[..]ba", "aba", False),  # the two literal parts may not overlap
        ("a[..]", "b", False),
    ],
)
def test_line_matches(pattern: str, line: str, expected: bool) -> None:
    assert line_matches(pattern, line) is expected


@pytest.mark.parametrize(
    ("patterns", "lines", "expected"),
    [
        ([], [], True),
        ([], ["a"], False),
        (["a"], [], False),
        (["..."], [], True),
        (["..."], ["a", "b"], True),
        (["a", "...", "z"], ["a", "z"], True),
        (["a", "...", "z"], ["a", "b", "c", "z"], True),
        (["a", "...", "z"], ["a", "b", "c"], False),
        (["...", "b", "..."], ["a", "b", "c"], True),
        (["...", "x[..]", "..."], ["a", "b", "c"], False),
        (["a", "..."], ["b"], False),
    ],
)
def test_matches(patterns: list[str], lines: list[str], expected: bool) -> None:
    assert matches(patterns, lines) is expected


def test_output_lines_mark_a_missing_final_newline() -> None:
    assert output_lines("") == []
    assert output_lines("a\n") == ["a"]
    assert output_lines("a\n\n") == ["a", ""]
    assert output_lines("a\nb") == ["a", "b (no-eol)"]


# --- rewriting -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("patterns", "lines", "expected"),
    [
        # Matching patterns are kept as they are.
        (["a", "...", "z"], ["a", "b", "z"], ["a", "...", "z"]),
        # A line that still matches keeps its wildcard; the others become the actual lines.
        (["took [..]s", "old"], ["took 3s", "new"], ["took [..]s", "new"]),
        # A ... whose next line no longer matches goes: it would hide the change.
        (["a", "...", "z"], ["a", "b", "y"], ["a", "b", "y"]),
        # A ... between lines that still match stays, covering the new lines in between.
        (["a", "...", "z", "old"], ["a", "b", "c", "z", "new"], ["a", "...", "z", "new"]),
        (["old", "...", "z"], ["new", "b", "z"], ["new", "b", "z"]),
        (["a", "..."], ["a", "b"], ["a", "..."]),
        ([], ["a"], ["a"]),
        (["a"], [], []),
    ],
)
def test_updated_lines_keep_what_still_matches(
    patterns: list[str], lines: list[str], expected: list[str]
) -> None:
    assert updated_lines(patterns, lines) == expected
    assert matches(expected, lines)


def test_command_update_writes_status_and_output() -> None:
    (block,) = parse("```console\n$ python -m x\nold [..]\n...\n[2]\n```\n")
    (command,) = block.commands
    assert command_update(command, "", "old 1\nmore\n", 2) is None
    update = command_update(command, "", "new\n", 0)
    assert update is not None
    assert (update.start, update.end, update.old, update.new) == (
        2,
        5,
        ("old [..]", "...", "[2]"),
        ("new",),
    )
    assert command_update(command, "", "old 1\n", 3).new == ("old [..]", "...", "[3]")  # type: ignore[union-attr]
    # Output whose last line reads as a status keeps an explicit [0].
    assert command_update(command, "", "[7]\n", 0).new == ("[7]", "[0]")  # type: ignore[union-attr]


def test_rewrite_keeps_every_other_byte() -> None:
    text = "intro\r\n  ```console\r\n  $ python -m x\r\n  old\r\n\r\n  [1]\r\n  ```\r\ntail"
    (block,) = parse(text)
    (command,) = block.commands
    assert command.expected == ("old", "")
    update = command_update(command, block.indent, "new\n\nlast\n", 0)
    assert update is not None
    rewritten = rewrite(text, [update])
    assert (
        rewritten
        == "intro\r\n  ```console\r\n  $ python -m x\r\n  new\r\n\r\n  last\r\n  ```\r\ntail"
    )
    (again,) = parse(rewritten)
    assert command_update(again.commands[0], again.indent, "new\n\nlast\n", 0) is None


def test_rewrite_refuses_a_file_changed_since_it_was_parsed() -> None:
    text = "```console\n$ python -m x\nold\n```\n"
    update = command_update(parse(text)[0].commands[0], "", "new\n", 0)
    assert update is not None
    with pytest.raises(TranscriptError, match="changed since"):
        rewrite(text.replace("old", "edited"), [update])
