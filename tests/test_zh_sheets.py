"""Chinese sheets (issue 21): a Chinese twin of every sheet that ships, and the label of an
exam (试卷 / Exam)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from handcalc.cli import cli
from handcalc.sheets.spec import load_spec

ROOT = Path(__file__).resolve().parent.parent
TWINS = ["worked-set", "minimind", "backward-and-flash", "exam"]


@pytest.mark.parametrize("name", TWINS)
def test_every_sheet_has_a_chinese_twin_with_the_same_exercises(name):
    en, zh = load_spec(ROOT / "problems" / f"{name}.toml"), load_spec(
        ROOT / "problems" / f"{name}-zh.toml")
    assert zh.lang == "zh" and en.lang in (None, "en")
    assert (zh.seed, zh.codes, zh.work) == (en.seed, en.codes, en.work)
    assert [(s.family, s.level, s.count, s.codes, s.points) for s in zh.sections] == \
        [(s.family, s.level, s.count, s.codes, s.points) for s in en.sections]
    for text in [zh.title, *zh.instructions, *(s.title for s in zh.sections if s.title)]:
        assert re.search("[\u4e00-\u9fff]", str(text)) or str(text) in ("RMSNorm",), text
    codes = [re.findall(r'"code": "([^"]+)"', (ROOT / "solutions" / f"{n}.json").read_text(
        encoding="utf-8")) for n in (name, f"{name}-zh")]
    assert codes[0] == codes[1] and codes[0]


def sheet(tmp_path, body: str, lang: str) -> str:
    spec = tmp_path / "s.toml"
    spec.write_text(f'title = "T"\nlang = "{lang}"\nseed = 1\n{body}\n[[sections]]\n'
                    'codes = ["worked-1"]\n', encoding="utf-8")
    out = tmp_path / "s.md"
    result = CliRunner().invoke(cli, ["worksheet", str(spec), "-o", str(out)])
    assert result.exit_code == 0, result.output
    return out.read_text(encoding="utf-8").splitlines()[0]


@pytest.mark.parametrize(("body", "zh", "en"), [
    ("", "练习卷", "worksheet"),
    ('codes = "hidden"', "试卷", "exam"),
    ('kind = "exam"', "试卷", "exam"),
    ('codes = "hidden"\nkind = "worksheet"', "练习卷", "worksheet"),
])
def test_an_exam_says_it_is_one(tmp_path, body, zh, en):
    assert zh in sheet(tmp_path, body, "zh")
    assert f": {en}, version 1" in sheet(tmp_path, body, "en")


def test_an_unknown_kind_is_refused(tmp_path):
    spec = tmp_path / "s.toml"
    spec.write_text('title = "T"\nkind = "quiz"\n[[sections]]\ncodes = ["worked-1"]\n')
    result = CliRunner().invoke(cli, ["worksheet", str(spec), "-o", str(tmp_path / "s.md")])
    assert result.exit_code == 2 and "worksheet, exam" in result.stderr

