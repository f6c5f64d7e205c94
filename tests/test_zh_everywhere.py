"""Chinese all the way through, the last English lines (issue 21 follow-up): click's own
usage errors and help headings, whole-file spec errors, given-data errors and warnings, the
class-grading refusals, the worksheet's and grade's option errors. Each is run in Chinese
(it reads as Chinese: CJK, no English sentence) and in English (unchanged)."""

from __future__ import annotations

import re

import pytest
from click.testing import CliRunner
from test_zh_text import english_run

from handcalc.cli import cli

CJK = re.compile("[\u4e00-\u9fff]")


def run(*args: str, env: dict[str, str] | None = None, input: str | bytes | None = None):
    return CliRunner().invoke(cli, list(args), env=env, input=input, prog_name="handcalc")


def chinese(text: str) -> None:
    """Every line of `text` that is not empty is Chinese; a usage line and the hint to
    --help are a command line (its names are code)."""
    lines = [line for line in text.splitlines() if line.strip()]
    assert lines, text
    for line in lines:
        if line.startswith(("用法：handcalc ", "查看帮助：handcalc ")):
            continue
        assert english_run(line) is None, line
    assert CJK.search(text), text


# ---------------------------------------------------------------- click's own words

CLICK_ERRORS = [
    (["check", "worked-1"], "Missing argument 'PART'.", "缺少参数 'PART'"),
    (["new", "attention", "--bogus"], "No such option '--bogus'.", "没有选项 '--bogus'"),
    (["new", "attention", "--level", "9"],
     "Invalid value for '--level': 9 is not in the range 1<=x<=4.", "不在范围 1<=x<=4 内"),
    (["new", "attention", "--level", "two"],
     "Invalid value for '--level': 'two' is not a valid integer range.", "'two' 不是整数"),
    (["new", "attention", "--seed"], "Option '--seed' requires an argument.", "后面要跟一个值"),
    (["check", "worked-1", "1", "2", "--scoring", "all"],
     "Invalid value for '--scoring': 'all' is not one of 'diagnosed', 'entries', 'part'.",
     "'all' 不可用；可选："),
    (["families", "attention", "causal"], "Got unexpected extra argument (causal)",
     "多余的参数：causal"),
    (["nosuch"], "No such command 'nosuch'.", "没有命令 'nosuch'"),
    (["worksheet", "problems"], "Invalid value for 'SPEC': File 'problems' is a directory.",
     "'problems' 是文件夹，不是文件"),
    (["grade"], "Missing argument 'SUBMISSIONS.csv'.", "缺少参数 'SUBMISSIONS.csv'"),
]


@pytest.mark.parametrize(("args", "english", "said"), CLICK_ERRORS)
def test_clicks_usage_errors_follow_the_language(args, english, said):
    en = run(args[0], "--lang", "en", *args[1:])
    assert en.exit_code == 2
    assert en.stderr.splitlines()[-1] == f"Error: {english}"
    if "requires an argument" not in english:  # click gives no usage line with that one
        assert en.stderr.startswith("Usage: handcalc") and "Try 'handcalc" in en.stderr
    for how in (["--lang", "zh"], []):  # the option, or HANDCALC_LANG
        zh = run(args[0], *how, *args[1:], env=None if how else {"HANDCALC_LANG": "zh"})
        assert zh.exit_code == 2, zh.output
        lines = zh.stderr.splitlines()
        assert lines[0].startswith("用法：handcalc") and "[选项]" in lines[0]
        assert lines[1].startswith("查看帮助：handcalc") and lines[1].endswith("--help")
        assert lines[-1].startswith("错误：") and said in lines[-1], lines[-1]
        chinese(zh.stderr)


def test_the_language_given_after_the_error_still_counts():
    """click finds an unknown option before any option's callback runs: --lang is read
    from the command line first, wherever it stands."""
    zh = run("new", "attention", "--bogus", "--lang=zh")
    assert zh.stderr.splitlines()[-1] == "错误：没有选项 '--bogus'。"
    assert run("--lang", "zh", "show", "worked-1").stderr.splitlines()[-1] == \
        "错误：没有选项 '--lang'。"  # the group has no --lang: said in the language asked


def test_help_headings_follow_the_language():
    zh = run("check", "--help", "--lang", "zh")
    assert zh.exit_code == 0
    assert zh.stdout.startswith("用法：handcalc check [选项] CODE PART ANSWER...")
    assert "\n选项：\n" in zh.stdout and "显示本帮助并退出。" in zh.stdout
    assert "[默认：diagnosed]" in zh.stdout
    assert "Usage:" not in zh.stdout and "Options:" not in zh.stdout
    top = run("--help", env={"HANDCALC_LANG": "zh"})
    assert top.stdout.startswith("用法：handcalc [选项] 命令 [参数]...")
    assert "\n命令：\n" in top.stdout and "显示版本号并退出。" in top.stdout
    for command in ("worksheet", "grade", "verify", "practice", "serve"):  # lazy commands
        out = run(command, "--help", "--lang", "zh").stdout
        assert out.startswith(f"用法：handcalc {command} [选项]") and "\n选项：\n" in out
    en = run("check", "--help", "--lang", "en").stdout
    assert en.startswith("Usage: handcalc check [OPTIONS] CODE PART ANSWER...")
    assert "\nOptions:\n" in en and "Show this message and exit." in en
    assert "[default: diagnosed]" in en
