"""Chinese in the terminal (issue 21): line breaking by the Chinese rules, and the practice
drill's commands in either language."""

from __future__ import annotations

import re

import pytest
from click.testing import CliRunner

from handcalc.cli import cli
from handcalc.text.messages import catalogue, msg, placeholders, render
from handcalc.views.render import NO_LINE_END, NO_LINE_START, width_of, wrap

SENTENCES = ("结果保留两位小数。 softmax 逐行计算。打分矩阵 S 的形状为 2 × 5（两行五列），"
             "注意：被遮蔽的元素用 −∞ 填充。")


def check_lines(text: str, width: int) -> None:
    lines = text.split("\n")
    for before, line in zip(lines, lines[1:], strict=False):
        assert line[:1] not in NO_LINE_START, (width, before, line)
        assert before.rstrip()[-1:] not in NO_LINE_END, (width, before, line)
    for line in lines:
        # only a word longer than the width, or punctuation hanging after one, passes it
        assert width_of(line.rstrip("，、。：；！？）”")) <= width or " " not in line.strip(), \
            (width, line)


@pytest.mark.parametrize("width", range(8, 101, 3))
def test_wrap_keeps_the_chinese_rules(width):
    out = wrap(SENTENCES, width, "  ")
    check_lines(out, width)
    assert "。 " not in out


def test_no_space_between_chinese_sentences():
    assert wrap(SENTENCES, 200) == ("结果保留两位小数。softmax 逐行计算。打分矩阵 S 的形状为 2 × 5"
                                    "（两行五列），注意：被遮蔽的元素用 −∞ 填充。")
    assert wrap("part 1. Then part 2", 200) == "part 1. Then part 2"  # English keeps its space


@pytest.mark.parametrize("width", [20, 37, 60, 100])
def test_every_chinese_message_wraps_by_the_rules(width):
    for key, text in catalogue("zh").items():
        if "$" in text:
            continue
        filled = render(msg(key, **{name: 3 for name in placeholders(text)}), "zh", "unicode")
        check_lines(wrap(filled, width), width)


def practice(*args, input=""):
    return CliRunner().invoke(cli, ["practice", *args], input=input)


@pytest.mark.parametrize(("skip", "show", "help_", "quit_"), [
    ("跳过", "显示", "帮助", "退出"), ("skip", "show", "help", "quit")])
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_practice_commands_in_either_language(lang, skip, show, help_, quit_):
    result = practice("heads", "--seed", "4", "--count", "2", "--lang", lang,
                      input=f"{help_}\n{show}\n{skip}\n{quit_}\n1\n")
    assert result.exit_code == 0, result.output
    out = result.output
    assert out.count("[") >= 2  # the exercise shown twice (its code in brackets)
    assert ("已跳过" if lang == "zh" else "skipped") in out
    assert ("小结" if lang == "zh" else "Summary") in out
    assert "未评分" not in out and "not graded" not in out  # no command read as an answer
    assert re.search("第 2 小题|part 2", out)  # quit came before any answer to part 2
