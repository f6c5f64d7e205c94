"""Chinese all the way through (issue 21): the answer parser's messages, and what `check`
and `grade --lang zh` print, hold no English sentence."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from handcalc.cli import cli
from handcalc.core.parse import parse_answer
from handcalc.errors import ParseError
from handcalc.families import FAMILIES
from handcalc.text.messages import catalogue, error_message

ROOT = Path(__file__).resolve().parent.parent
# what may stand in Chinese text as it is: the answer syntax's names, math, codes
ALLOWED = {"sqrt", "exp", "ln", "log", "cos", "sin", "pi", "inf", "softmax", "handcalc",
           "check", "worked",
           "code", "part", "answer", "learner", "version", "exercise", "csv", "gb18030",
           "encoding", "utf", "pad", "mask",  # 填充掩码 (Pad mask): the glossary term
           "hugging", "face"}  # a name


def english_run(text: str) -> str | None:
    """A run of two or more English words (3 letters or more, not names of the answer
    syntax) in `text` once quoted typing ('...'), code points with their Unicode names
    (U+3000 IDEOGRAPHIC SPACE) and placeholders are taken out; None when there is none."""
    text = re.sub(r"'[^']*'|\{\w+\}|\$[^$]*\$|U\+[0-9A-F]{4,6}(?: [A-Z][A-Z -]*[A-Z])?"
                  r"|\w+(?:[.-]\w+)+|\w*_\w*", " ", text)  # and code names: torch.nn.Linear
    words = re.findall(r"[A-Za-z]+(?:[ ,.:;-]+[A-Za-z]+)+", text)
    for run in words:
        real = [w for w in re.findall(r"[A-Za-z]+", run)
                if len(w) >= 3 and w.lower() not in ALLOWED]
        if len(real) >= 2:
            return run
    return None


def test_the_parsers_messages_are_chinese_in_chinese():
    zh = catalogue("zh")
    ids = [k for k in zh if k.startswith(("parse.", "error."))]
    assert len(ids) > 80
    for key in ids:
        assert english_run(zh[key]) is None, (key, zh[key])


def hostile() -> list[str]:
    data = json.loads((ROOT / "tests" / "data" / "hostile_answers.json").read_text("utf-8"))
    return [d["text"] for d in data if isinstance(d["text"], str)]


TYPED = ["abc", "0.71。2", "=1", "1, 2; 3", "sqrt2", "(1", "1 2 ]", "[[1, 2] 3]", "2**100000",
         "1/0", "sqrt(-1)", "ln(0)", "0^0", "1e99", "1_000", "0x1F", "3j", "2e", "E", "Pi",
         "75%", "1..2", "[]", "[1, 2", "1, , 2", "1;;2", "exp(1000)", "(-1)^(1/2)", "√;",
         "1 ＋", "１２３４５６７８９０１２３４５６７８９０１２３４５６７８９０１２", "∞+1",
         "2(3", "1,2,", "x" * 3000]


@pytest.mark.parametrize("typed", TYPED + hostile())
def test_every_parser_error_reads_in_chinese(typed):
    try:
        parse_answer(typed)
    except ParseError as e:
        text = error_message(e, "zh")
        assert "\n" not in text
        assert english_run(text) is None, (typed, text)
        assert re.search(r"第 \d+ 个字符处", text) or e.position is None


def test_check_in_chinese_says_nothing_in_english():
    run = CliRunner().invoke
    for typed in ("abc", "0.71。2", "1, 3", "0.71, 2.12", "=0.7"):
        result = run(cli, ["check", "worked-4", "1", typed, "--lang", "zh"])
        for line in (result.stdout + result.stderr).splitlines():
            assert english_run(line) is None, line


CLASS = """learner,code,part,answer
李雷,worked-4,1,"0.71, 2.12"
李雷,worked-4,2,"0.20, 0.80"
韩梅梅,worked-4,1,"1, 3"
韩梅梅,worked-4,2,abc
王芳,worked-4,9,1
王芳,worked-99,1,1
赵强,worked-4,1,
赵强,worked-5,1,"1 2 3"
"""


def test_grade_in_chinese_says_nothing_in_english(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # file names as typed: 班级.csv
    Path("班级.csv").write_text(CLASS, encoding="utf-8")
    run = CliRunner().invoke
    for args in ([], ["-o", "r.md"]):
        result = run(cli, ["grade", "班级.csv", "--lang", "zh", *args])
        assert result.exit_code == 0, result.output
        text = result.stdout + result.stderr
        if args:
            text += (tmp_path / "r.md").read_text(encoding="utf-8")
        assert "班级报告" in text and "李雷" in text
        for line in text.splitlines():
            assert english_run(line) is None, line


def test_plural_forms_come_from_the_catalogue():
    from handcalc.text.messages import read_po, tr

    po = 'msgid "a"\nmsgid_plural "a"\nmsgstr[0] "{n} row"\nmsgstr[1] "{n} rows"\n'
    assert read_po(po) == {"a": "{n} row\x1f{n} rows"}
    with pytest.raises(ValueError):
        read_po('msgid "a"\nmsgid_plural "a"\nmsgstr[1] "x"\n')
    assert [tr("classtext.n.rows", "en", n=k) for k in (0, 1, 2)] == ["0 rows", "1 row",
                                                                       "2 rows"]
    assert tr("classtext.n.learners", "zh", n=1) == "1 名学生"


def test_grade_says_1_row_and_2_rows(tmp_path):
    sub = tmp_path / "c.csv"
    sub.write_text('learner,code,part,answer\nann,worked-4,2,"0.20, 0.80"\n', encoding="utf-8")
    result = CliRunner().invoke(cli, ["grade", str(sub), "--lang", "en"])
    assert "1 learner, 1 row graded (1 of 1 counted answer correct), 0 rows could not" \
        in result.stdout


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_practice_in_chinese_says_nothing_in_english(family):
    typed = "帮助\n1 2\nabc\n0.71。2\n=1\n1, 3\n跳过\n显示\n跳过\n跳过\n跳过\n退出\n"
    result = CliRunner().invoke(cli, ["practice", family, "--seed", "7", "--count", "1",
                                      "--level", "2", "--lang", "zh"], input=typed)
    assert result.exit_code == 0, result.output
    for line in result.output.splitlines():
        assert english_run(line) is None, line


def test_the_csv_report_keeps_its_fields_and_says_its_sentences_in_chinese(tmp_path,
                                                                            monkeypatch):
    import csv

    monkeypatch.chdir(tmp_path)
    Path("班级.csv").write_text(CLASS, encoding="utf-8")
    result = CliRunner().invoke(cli, ["grade", "班级.csv", "--lang", "zh", "-o", "r.csv"])
    assert result.exit_code == 0, result.output
    with open("r.csv", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert list(rows[0])[:6] == ["line", "learner", "code", "part", "answer", "status"]
    assert {r["status"] for r in rows} == {"correct", "incorrect", "invalid"}
    assert any("忘记" in r["diagnosis"] for r in rows)
    for r in rows:
        for column in ("diagnosis", "note"):
            assert english_run(r[column]) is None, r[column]
