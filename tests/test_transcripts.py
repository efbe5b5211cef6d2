"""Console transcripts: the library (parse, match, rewrite) and the plugin, through pytester."""

from __future__ import annotations

import pytest
from helpers import write_files

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


# --- the plugin, through pytester ----------------------------------------------------------------

#: A program that says where it runs, what it was given, and can write and read files.
TOOL = """\
import os
import sys

command, *rest = sys.argv[1:] or ["show"]
if command == "show":
    print("args", rest)
    print("greeting", os.environ.get("GREETING", "-"))
elif command == "write":
    with open(rest[0], "w") as file:
        file.write(rest[1])
elif command == "read":
    with open(rest[0]) as file:
        print(file.read())
elif command == "where":
    print("markers", sorted(name for name in os.listdir() if name.endswith(".marker")))
elif command == "exit":
    print("bye", file=sys.stderr)
    sys.exit(int(rest[0]))
elif command == "both":
    print("pytest imported:", "pytest" in sys.modules)
elif command == "count":
    count = int(open(rest[0]).read()) + 1 if os.path.exists(rest[0]) else 1
    with open(rest[0], "w") as file:
        file.write(str(count))
    print("count", count)
"""


def make_project(
    pytester: pytest.Pytester, files: dict[str, str], ini: str = "runmain_transcripts = *.md\n"
) -> pytest.Pytester:
    write_files(pytester.path, {"tool/__init__.py": "", "tool/__main__.py": TOOL, **files})
    pytester.makeini(f"[pytest]\nfilterwarnings = error\n{ini}")
    pytester.syspathinsert()
    return pytester


PASSING = """\
# The tool

Some prose.

```console
$ python -m tool show a 'b c'
args ['a', 'b c']
greeting -
$ GREETING=Hi python -m tool show
args []
greeting Hi
$ python -m tool exit 3
bye
[3]
$ python -m tool write out.txt hello
$ python -m tool read out.txt
hello
```
"""


def test_a_passing_transcript(pytester: pytest.Pytester) -> None:
    make_project(pytester, {"README.md": PASSING})
    result = pytester.runpytest_inprocess("-v")
    result.stdout.fnmatch_lines(["README.md::console?5? PASSED*", "*1 passed*"])
    assert result.ret == pytest.ExitCode.OK


def test_a_failing_transcript_shows_command_place_diff_and_status(
    pytester: pytest.Pytester,
) -> None:
    wrong = PASSING.replace("greeting Hi", "greeting Hello").replace("[3]", "[4]")
    make_project(pytester, {"README.md": wrong})
    result = pytester.runpytest_inprocess()
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(
        [
            "README.md:9: $ GREETING=Hi python -m tool show",
            "output differs (- expected, + actual):",
            "--- expected",
            "+++ actual",
            "@@ -1,2 +1,2 @@",
            " args []",
            "-greeting Hello",
            "+greeting Hi",
            "Run pytest with --runmain-update to write the actual output into README.md.",
        ]
    )
    # The block stops at its first failing command; no traceback of the plugin's code.
    assert "[4]" not in result.stdout.str()
    assert "transcript_plugin.py" not in result.stdout.str()


def test_a_wrong_status_is_shown_against_the_expected_one(pytester: pytest.Pytester) -> None:
    make_project(pytester, {"README.md": PASSING.replace("[3]", "[4]")})
    result = pytester.runpytest_inprocess()
    result.stdout.fnmatch_lines(
        ["README.md:12: $ python -m tool exit 3", "expected exit status 4, got 3"]
    )
    assert "output differs" not in result.stdout.str()


def test_unsupported_commands_are_collection_errors(pytester: pytest.Pytester) -> None:
    text = "```console\n$ python -m tool show\nargs []\ngreeting -\n$ tool show | cat\n```\n"
    make_project(pytester, {"README.md": text})
    result = pytester.runpytest_inprocess()
    assert result.ret == pytest.ExitCode.INTERRUPTED
    result.stdout.fnmatch_lines(
        [
            "*ERROR collecting README.md*",
            "README.md:5: 'tool show | cat' uses shell operators*Supported: python -m MODULE*",
        ]
    )


def test_only_listed_files_under_collected_paths_are_collected(pytester: pytest.Pytester) -> None:
    block = "```console\n$ python -m tool exit 0\nbye\n```\n"
    files = {"README.md": block, "docs/a.md": block, "docs/deep/b.md": block, "other.md": block}
    make_project(pytester, files, "runmain_transcripts =\n    README.md\n    docs/**/*.md\n")
    result = pytester.runpytest_inprocess("--collect-only", "-q")
    result.stdout.fnmatch_lines(
        ["README.md::console[1]", "docs/a.md::console[1]", "docs/deep/b.md::console[1]"]
    )
    assert "other.md" not in result.stdout.str()
    # Like doctest's text files: only files under the paths pytest collects.
    result = pytester.runpytest_inprocess("--collect-only", "-q", "docs")
    assert "README.md" not in result.stdout.str()
    result.stdout.fnmatch_lines(["docs/a.md::console[1]", "docs/deep/b.md::console[1]"])


def test_blocks_have_fresh_directories_their_commands_share(pytester: pytest.Pytester) -> None:
    text = """\
```console
$ python -m tool write data.txt first
$ python -m tool read data.txt
first
```

```console
$ python -m tool read data.txt
[..]FileNotFoundError[..]
[1]
$ python -m tool where
markers []
```
"""
    make_project(pytester, {"README.md": text.replace("[..]Fi", "...\n[..]Fi"), "x.marker": ""})
    result = pytester.runpytest_inprocess()
    result.assert_outcomes(passed=2)
    assert not (pytester.path / "data.txt").exists()


@pytest.mark.parametrize(
    ("choice", "markers"),
    [("", []), ("tmp", []), ("rootdir", ["root.marker"]), ("file", ["docs.marker"])],
)
def test_working_directory_choices(
    pytester: pytest.Pytester, choice: str, markers: list[str]
) -> None:
    text = f"```console\n$ python -m tool where\nmarkers {markers}\n```\n"
    files = {"docs/page.md": text, "root.marker": "", "docs/docs.marker": ""}
    cwd = f"runmain_transcript_cwd = {choice}\n" if choice else ""
    make_project(pytester, files, f"runmain_transcripts = docs/*.md\n{cwd}")
    result = pytester.runpytest_inprocess()
    result.assert_outcomes(passed=1)


def test_a_block_attribute_sets_the_directory_from_the_file(pytester: pytest.Pytester) -> None:
    text = "```console cwd=../data\n$ python -m tool where\nmarkers ['data.marker']\n```\n"
    files = {"docs/page.md": text, "data/data.marker": ""}
    make_project(pytester, files, "runmain_transcripts = docs/*.md\n")
    pytester.runpytest_inprocess().assert_outcomes(passed=1)
    (pytester.path / "docs/page.md").write_text(text.replace("data", "nowhere", 1))
    result = pytester.runpytest_inprocess()
    result.stdout.fnmatch_lines(["docs/page.md:1: cwd=../nowhere: *is not a directory*"])


def test_a_bad_working_directory_choice_is_a_usage_error(pytester: pytest.Pytester) -> None:
    make_project(pytester, {}, "runmain_transcript_cwd = home\n")
    result = pytester.runpytest_inprocess()
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*runmain_transcript_cwd: expected one of tmp, rootdir, file*"])


def test_configuration_layers_and_hooks_apply(pytester: pytest.Pytester) -> None:
    conftest = """\
SEEN = []

def pytest_runmain_before_run(request, item):
    request.args.append(item.name)

def pytest_runmain_after_run(result, item):
    SEEN.append((item.nodeid, result.command))

def pytest_sessionfinish(session):
    assert SEEN == [("README.md::console[1]", "python -m tool show 'console[1]'")], SEEN
"""
    text = "```console\n$ python -m tool show\nargs ['console[1]']\ngreeting Ini\n```\n"
    ini = "runmain_transcripts = *.md\nrunmain_env = GREETING=Ini\n"
    make_project(pytester, {"README.md": text, "conftest.py": conftest}, ini)
    result = pytester.runpytest_inprocess()
    result.assert_outcomes(passed=1)
    # The command line's env words win over the configuration.
    (pytester.path / "README.md").write_text(
        text.replace("$ ", "$ GREETING=Word ").replace("Ini", "Word")
    )
    pytester.runpytest_inprocess().assert_outcomes(passed=1)


def test_mode_both_runs_each_command_both_ways(pytester: pytest.Pytester) -> None:
    text = "```console\n$ python -m tool show\nargs []\ngreeting -\n```\n"
    make_project(pytester, {"README.md": text})
    pytester.runpytest_inprocess("--runmain-mode=both").assert_outcomes(passed=1)
    # A program that tells the two ways apart: the command fails, naming its place.
    differs = "```console\n$ python -m tool both\n[..]\n```\n"
    (pytester.path / "README.md").write_text(differs)
    pytester.runpytest_inprocess().assert_outcomes(passed=1)
    result = pytester.runpytest_inprocess("--runmain-mode=both")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "README.md:2: $ python -m tool both",
            "*ended differently in-process and in a subprocess*",
            "+pytest imported: True",
        ]
    )


COUNTING = "```console\n$ python -m tool count n\ncount 1\n$ python -m tool count n\ncount 2\n```\n"


def test_mode_both_runs_each_command_from_the_same_files(pytester: pytest.Pytester) -> None:
    make_project(pytester, {"README.md": COUNTING})
    pytester.runpytest_inprocess("--runmain-mode=both").assert_outcomes(passed=1)
    # In the rootdir nothing is put back: the in-process run sees the subprocess run's file.
    pytester.makeini("[pytest]\nrunmain_transcripts = *.md\nrunmain_transcript_cwd = rootdir\n")
    result = pytester.runpytest_inprocess("--runmain-mode=both")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*ended differently in-process and in a subprocess*", "+count 2"])


def test_xdist_runs_transcripts(pytester: pytest.Pytester) -> None:
    second = "```console\n$ python -m tool exit 5\nbye\n[5]\n```\n"
    make_project(pytester, {"README.md": PASSING + "\n" + second})
    result = pytester.runpytest_subprocess("-n", "2")
    result.stdout.fnmatch_lines(["*2 passed*"])


OUTDATED = """\
Intro with CRLF line endings.

```console
$ python -m tool show new
args ['old']
greeting -
$ GREETING=Hi python -m tool show
...
greeting [..]
$ python -m tool exit 0
bye
[2]
$ python -m tool exit 4
```

Between.

```console
$ python -m tool show
args ['x']
[..]
```
"""

UPDATED = """\
Intro with CRLF line endings.

```console
$ python -m tool show new
args ['new']
greeting -
$ GREETING=Hi python -m tool show
...
greeting [..]
$ python -m tool exit 0
bye
$ python -m tool exit 4
bye
[4]
```

Between.

```console
$ python -m tool show
args []
[..]
```
"""


@pytest.mark.parametrize("workers", [[], ["-n", "2"]], ids=["one-process", "xdist"])
def test_update_rewrites_then_passes_and_twice_changes_nothing(
    pytester: pytest.Pytester, workers: list[str]
) -> None:
    make_project(pytester, {})
    page = pytester.path / "README.md"
    page.write_bytes(OUTDATED.replace("\n", "\r\n").encode())
    result = pytester.runpytest_subprocess("--runmain-update", *workers)
    result.stdout.fnmatch_lines(
        [
            "*= runmain: updated transcripts =*",
            "README.md:4: $ python -m tool show new",
            "README.md:10: $ python -m tool exit 0",
            "README.md:13: $ python -m tool exit 4",
            "README.md:19: $ python -m tool show",
            "*2 passed*",
        ]
    )
    assert page.read_bytes() == UPDATED.replace("\n", "\r\n").encode()
    result = pytester.runpytest_subprocess("--runmain-update", *workers)
    assert "updated transcripts" not in result.stdout.str()
    assert page.read_bytes() == UPDATED.replace("\n", "\r\n").encode()
    pytester.runpytest_subprocess(*workers).assert_outcomes(passed=2)


def test_update_does_not_touch_a_passing_file(pytester: pytest.Pytester) -> None:
    make_project(pytester, {"README.md": PASSING})
    page = pytester.path / "README.md"
    before = page.stat().st_mtime_ns
    pytester.runpytest_inprocess("--runmain-update").assert_outcomes(passed=1)
    assert page.stat().st_mtime_ns == before


def test_a_command_that_cannot_run_fails_under_its_line(pytester: pytest.Pytester) -> None:
    text = "```console\n$ python -m tool exit 0\nbye\n$ python -m no_such_module\n```\n"
    make_project(pytester, {"README.md": text})
    result = pytester.runpytest_inprocess()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["README.md:4: $ python -m no_such_module", "No module named*"])
