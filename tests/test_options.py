"""The table of run options: every place that names the options agrees with it.

An option is declared once, in ``pytest_runmain._options.OPTIONS``; the ini and command-line
options and the marker's help are generated from it. What cannot be generated (the typed
keywords of the calls, the fields of ``RunRequest``, the hook's docstring) is checked here, so
adding an option in one place and forgetting another fails a test. How the ini file and the
command line spell each kind of value is tested directly on ``setting_value``.
"""

from __future__ import annotations

import re
import typing
from dataclasses import fields
from pathlib import Path

import pytest

from pytest_runmain import RunConsoleScript, RunModule, Runner, RunPath, hookspec, plugin
from pytest_runmain._options import (
    NOT_SET,
    OPTION_NAMES,
    OPTIONS,
    OptionError,
    RunOption,
    RunOptions,
    RunRequest,
    Unpack,
    merge_layers,
    setting_value,
)
from pytest_runmain.targets import RunMain, TargetBuilder

NAMES = [option.name for option in OPTIONS]
CONFIGURABLE = [option for option in OPTIONS if option.setting is not None]


def test_names_are_unique_and_match_the_lookup_set() -> None:
    assert len(NAMES) == len(set(NAMES)) == len(OPTION_NAMES)
    assert set(NAMES) == OPTION_NAMES


def test_the_typed_keywords_are_the_options_in_table_order() -> None:
    assert list(typing.get_type_hints(RunOptions)) == NAMES
    assert RunOptions.__required_keys__ == frozenset()


def test_run_request_has_one_field_per_option_in_table_order() -> None:
    settings = [f.name for f in fields(RunRequest) if f.name not in ("kind", "target", "args")]
    assert settings == NAMES


@pytest.mark.parametrize(
    "function",
    [
        Runner.run_module,
        Runner.run_path,
        Runner.run_console_script,
        RunModule.__call__,
        RunPath.__call__,
        RunConsoleScript.__call__,
        RunMain.__call__,
        TargetBuilder.run,
    ],
    ids=[
        "Runner.run_module",
        "Runner.run_path",
        "Runner.run_console_script",
        "RunModule",
        "RunPath",
        "RunConsoleScript",
        "RunMain",
        "build-run",
    ],
)
def test_every_runner_signature_takes_the_typed_keywords(function: object) -> None:
    hints = typing.get_type_hints(function, include_extras=True)
    assert hints["options"] == Unpack[RunOptions]


def test_an_unknown_keyword_is_an_option_error_naming_the_known_ones() -> None:
    with pytest.raises(OptionError) as info:
        Runner().run_module("json.tool", timout=3)  # type: ignore[call-arg]
    assert str(info.value) == (
        "run_module('json.tool'): unknown option 'timout' (known options: capture, check, "
        "columns, cwd, deep_isolation, env, globals, isolation, mode, normalize, stdin, timeout, "
        "tty)"
    )


def test_the_hook_docstring_names_every_option() -> None:
    doc = hookspec.pytest_runmain_before_run.__doc__ or ""
    assert [name for name in NAMES if f"``{name}``" not in doc] == []


def test_the_marker_help_names_every_option() -> None:
    assert f"({', '.join(NAMES)})" in plugin._MARKER_HELP


def test_choice_options_take_their_literal_values() -> None:
    for option in OPTIONS:
        if option.setting == "choice":
            annotation = typing.get_type_hints(RunOptions)[option.name]
            assert option.choices == typing.get_args(annotation), option.name
            for choice in option.choices:
                assert option.check(choice, "here") == choice
            with pytest.raises(OptionError, match=f"here: {option.name} must be one of"):
                option.check("nonsense", "here")


def test_every_configurable_option_has_an_ini_and_a_command_line_option(
    pytester: pytest.Pytester,
) -> None:
    help_text = pytester.runpytest_inprocess("--help").stdout.str()
    for option in OPTIONS:
        listed = (f"  {option.flag}" in help_text, f"  {option.ini_name} (" in help_text)
        assert listed == ((True, True) if option in CONFIGURABLE else (False, False)), option


def _option(name: str) -> RunOption:
    return next(option for option in OPTIONS if option.name == name)


@pytest.mark.parametrize(
    ("name", "raw", "expected"),
    [
        ("env", ["A=1", "B=", "C=x=y"], {"A": "1", "B": "", "C": "x=y"}),
        ("env", [], {}),
        ("cwd", "sub/dir", str(Path("/base/sub/dir"))),
        ("cwd", "/abs", "/abs"),
        ("cwd", "", NOT_SET),
        ("cwd", None, NOT_SET),
        ("tty", True, True),
        ("tty", False, NOT_SET),
        ("tty", None, NOT_SET),
        ("columns", "120", 120),
        ("columns", 7, 7),
        ("columns", "  ", NOT_SET),
        ("timeout", "2.5", 2.5),
        ("timeout", 3.0, 3.0),
        ("timeout", "", NOT_SET),
        ("mode", "both", "both"),
        ("mode", "", NOT_SET),
        ("mode", None, NOT_SET),
        ("normalize", [r"\d+", "id=\\w+"], [r"\d+", "id=\\w+"]),
        ("normalize", [], NOT_SET),
    ],
)
def test_setting_values(name: str, raw: object, expected: object) -> None:
    assert setting_value(_option(name), raw, "/base", "source") == expected


@pytest.mark.parametrize(
    ("name", "raw", "message"),
    [
        ("env", ["NOVALUE"], "source: expected NAME=VALUE, got 'NOVALUE'"),
        ("env", ["=1"], "source: expected NAME=VALUE, got '=1'"),
        ("columns", "wide", "source: expected a positive int, got 'wide'"),
        ("timeout", "soon", "source: expected a number of seconds, got 'soon'"),
    ],
)
def test_malformed_setting_values_name_their_source(name: str, raw: object, message: str) -> None:
    with pytest.raises(OptionError) as info:
        setting_value(_option(name), raw, "/base", "source")
    assert str(info.value) == message


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (r"\d+", [r"\d+"]),
        ([r"\d+", "x"], [r"\d+", "x"]),
        ((re.compile("a", re.I),), ["a"]),
        ([], []),
    ],
)
def test_normalize_takes_one_pattern_or_a_list(value: object, expected: list[str]) -> None:
    patterns = _option("normalize").check(value, "here")
    assert [pattern.pattern for pattern in patterns] == expected
    assert all(isinstance(pattern, re.Pattern) for pattern in patterns)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("(", "here: normalize pattern '(' is not valid: missing ), unterminated subpattern"),
        ([b"x"], "here: normalize must be a regular expression (str or re.Pattern) or a list"),
        ({"x"}, "here: normalize must be a regular expression (str or re.Pattern) or a list"),
        ([re.compile(b"x")], "here: normalize pattern re.compile(b'x') must match text"),
    ],
)
def test_bad_normalize_patterns_are_option_errors(value: object, message: str) -> None:
    with pytest.raises(OptionError) as info:
        _option("normalize").check(value, "here")
    assert str(info.value).startswith(message)


def test_normalize_patterns_add_up_over_the_layers() -> None:
    layers = [{"normalize": [re.compile("a")]}, {"normalize": [re.compile("b"), re.compile("a")]}]
    request = merge_layers("path", "x.py", layers)
    assert [pattern.pattern for pattern in request.normalize] == ["a", "b"]
