"""Chinese classes (issue 21): every learner's name prints in the PDFs, whatever its
characters; a character no font has is printed as its code point with one warning; the
outputs that need no font are written when a PDF cannot be."""

from __future__ import annotations

import csv
import random
from pathlib import Path

import pytest
from click.testing import CliRunner

from handcalc.cli import cli

pypdf = pytest.importorskip("pypdf")

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林高罗陳張劉黃鄭謝龔歐陽司馬"
GIVEN = ["喆", "玥", "堃", "珺", "祎", "垚", "赟", "子涵", "欣怡", "梓萱", "浩然", "宇轩",
         "雨桐", "思远", "晓明", "佳琪", "俊杰", "婧", "曦", "燚", "瑄", "昀", "彧", "翀",
         "頔", "鑫", "淼", "曉華", "國強", "麗娟", "龍", "鳳儀"]
RARE = "喆玥堃珺祎垚赟陳張劉黃"
ROOT_SPEC = Path(__file__).resolve().parent.parent / "problems" / "exam.toml"
NO_FONT = {"李😀": "[U+1F600]", "𠀀明": "[U+20000]"}  # an emoji, a CJK Extension B one


def class_names(n: int = 40) -> list[str]:
    """n distinct names from real surnames and given names, every rare character among
    them, and the two no font has."""
    r = random.Random(21)
    names = [s + g for s, g in zip("陳張劉黃王李张刘陈杨黄", RARE, strict=True)]
    while len(names) < n - len(NO_FONT):
        name = r.choice(SURNAMES) + r.choice(GIVEN)
        if name not in names:
            names.append(name)
    return names + list(NO_FONT)


def write_class(path, names) -> None:
    with open(path, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(["learner", "code", "part", "answer"])
        for i, name in enumerate(names):
            w.writerow([name, "worked-4", 1, "0.71, 2.12" if i % 3 else "1, 3"])
            w.writerow([name, "worked-4", 2, "0.20, 0.80"])


def pdf_text(path) -> str:
    return "".join(page.extract_text() for page in pypdf.PdfReader(path).pages)


def grade(*args):
    return CliRunner().invoke(cli, ["grade", *map(str, args)])


def test_a_class_of_40_chinese_names_prints_every_name(tmp_path):
    names = class_names()
    assert len(set(names)) == 40 and all(ch in "".join(names) for ch in RARE)
    sub = tmp_path / "class.csv"
    write_class(sub, names)
    report, feedback, book = tmp_path / "r.pdf", tmp_path / "f.pdf", tmp_path / "gb.csv"
    result = grade(sub, "-o", report, "--feedback", feedback, "--gradebook", book,
                   "--lang", "zh")
    assert result.exit_code == 0, result.stderr
    for pdf in (report, feedback):
        text = pdf_text(pdf)
        for name in names:
            assert NO_FONT.get(name, name).replace("😀", "").replace("𠀀", "") in text
        assert "李[U+1F600]" in text and "[U+20000]明" in text
    with open(book, encoding="utf-8") as f:
        assert [row["learner"] for row in csv.DictReader(f)] == sorted(names)
    warnings = [x for x in result.stderr.splitlines() if "U+" in x]
    assert len(warnings) == 2  # one line per learner, naming the line
    assert "第 78 行" in warnings[0] and "李😀" in warnings[0] and "[U+1F600]" in warnings[0]
    assert "第 80 行" in warnings[1] and "𠀀明" in warnings[1]


def test_the_teachers_own_text_is_still_refused_and_the_rest_written(tmp_path):
    sub = tmp_path / "班😀.csv"  # the submissions file's name is the report's title
    write_class(sub, ["陳喆", "李玥"])
    report, book = tmp_path / "r.pdf", tmp_path / "gb.csv"
    result = grade(sub, "-o", report, "--gradebook", book)
    assert result.exit_code == 2
    assert not report.exists() and book.exists()  # the gradebook needs no font
    assert "-o" in result.stderr and "U+1F600" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_grade_takes_font_dir(tmp_path):
    sub = tmp_path / "class.csv"
    write_class(sub, ["陳喆"])
    result = grade(sub, "-o", tmp_path / "r.pdf", "--font-dir", tmp_path / "nowhere")
    assert result.exit_code == 2 and "--font-dir" in result.stderr
    fonts = tmp_path / "fonts"
    fonts.mkdir()
    result = grade(sub, "-o", tmp_path / "r.pdf", "--font-dir", fonts)
    assert result.exit_code == 0, result.stderr


def test_the_ideographic_space_separates_entries(tmp_path):
    from handcalc.core.parse import parse_answer

    assert parse_answer("０.７１\u3000２.１２") == parse_answer("0.71 2.12")
    assert parse_answer("1\u30002；3\u30004") == parse_answer("1 2; 3 4")
    result = CliRunner().invoke(cli, ["check", "worked-4", "1", "０.７１\u3000２.１２"])
    assert result.exit_code == 0, result.output
    sub = tmp_path / "class.csv"
    sub.write_text('learner,code,part,answer\n李雷,worked-4,1,"０.７１\u3000２.１２"\n',
                   encoding="utf-8")
    result = grade(sub, "--json")
    assert result.exit_code == 0 and '"invalid": []' in result.stdout.replace("\n", "")


def test_a_form_export_with_chinese_headers_and_extra_columns(tmp_path):
    """时间戳, 学号, 姓名, 版本, 题号, 小题, 答案: graded against the spec, 学号 carried."""
    from handcalc.classgrade.core import ClassGrader
    from handcalc.core.rounding import fmt2
    from handcalc.sheets.build import build_worksheet
    from handcalc.sheets.spec import load_spec

    spec = ROOT_SPEC
    ws = build_worksheet(load_spec(spec), 2, formats=())
    names = ["陳喆", "王玥", "李堃", "黃珺"]
    sub = tmp_path / "form.csv"
    with open(sub, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(["时间戳", "学号", "姓名", "版本", "题号", "小题", "答案"])
        for i, name in enumerate(names):
            version = ws.versions[i % 2]
            item = version.sections[0][1][0]
            part = ClassGrader().exercise(item.code).part(1)
            right = "; ".join(", ".join(fmt2(x) for x in row) for row in part.answer)
            w.writerow([f"2026/12/07 10:0{i}:00", f"2026{i:04d}", name, i % 2 + 1, 1, 1,
                        right])
    book, feedback = tmp_path / "gb.csv", tmp_path / "fb.md"
    result = grade(sub, "--spec", spec, "--versions", 2, "--gradebook", book,
                   "--feedback", feedback, "--json")
    assert result.exit_code == 0, result.stderr
    assert '"invalid": []' in result.stdout.replace("\n", "")
    with open(book, encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert list(rows[0])[:2] == ["learner", "student_id"]
    assert {r["learner"]: r["student_id"] for r in rows} == {
        n: f"2026{i:04d}" for i, n in enumerate(names)}
    assert all(r["exercise 1"] != "0" for r in rows)  # part 1 of exercise 1 was right
    text = feedback.read_text(encoding="utf-8")
    assert "20260003" in text and "student number" in text


def test_header_names_in_any_language_and_order(tmp_path):
    sub = tmp_path / "class.csv"
    sub.write_text("答案,小题,代码,姓名,备注\n\"0.71, 2.12\",1,worked-4,李雷,迟交\n",
                   encoding="utf-8")
    result = grade(sub, "--json")
    assert result.exit_code == 0, result.stderr
    assert '"invalid": []' in result.stdout.replace("\n", "")
    sub.write_text("姓名,学生,代码,小题,答案\n", encoding="utf-8")  # two learner columns
    assert grade(sub).exit_code == 2


def test_a_gbk_file_with_a_few_chinese_rows_is_not_clean(tmp_path):
    """李雷's 2 rows in 31 do not decode as UTF-8: counted, exit 3, the hint names gb18030."""
    rows = "".join(f'l{i},worked-4,1,"0.71, 2.12"\n' for i in range(29))
    sub = tmp_path / "gbk.csv"
    sub.write_bytes(b"learner,code,part,answer\n" + rows.encode() + (
        '李雷,worked-4,1,"0.71, 2.12"\n李雷,worked-4,2,"0.20, 0.80"\n').encode("gb18030"))
    report = tmp_path / "r.md"
    result = grade(sub, "-o", report)
    assert result.exit_code == 3
    summary = "not UTF-8 text, so not graded: 2 rows of 1 learner"
    assert summary in result.stderr and "--encoding gb18030" in result.stderr
    assert summary in report.read_text(encoding="utf-8")
    result = grade(sub, "--lang", "zh")
    assert result.exit_code == 3 and "1 名学生的 2 行不是 UTF-8 文本" in result.stderr
    assert "1 名学生的 2 行不是 UTF-8 文本" in result.stdout
    fine = grade(sub, "--encoding", "gb18030", "--json")
    assert fine.exit_code == 0 and '"invalid": []' in fine.stdout.replace("\n", "")
