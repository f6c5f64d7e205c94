"""Feedback for a wrong part that matches no catalogued mistake: the wrong entries, the key's
values for them and the part's worked steps, in Markdown and in the PDF, in English and
Chinese; the exam's title (not the spec's path) heads each learner's page."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pypdf
import pytest
from click.testing import CliRunner

from handcalc.classgrade.assign import load_assignment
from handcalc.cli import cli
from handcalc.core.rounding import fmt2
from handcalc.exercises.exercise import build

ROOT = Path(__file__).resolve().parent.parent
EXAM = ROOT / "problems" / "exam.toml"


@pytest.fixture(scope="module")
def answers(tmp_path_factory):
    """Exam version 1, exercise 2 (attention, 4 x 4): part 2 (the weights) with two entries
    of its last row wrong by a slip; parts 1 and 3 right."""
    tmp = tmp_path_factory.mktemp("fb")
    ex = build(load_assignment(EXAM, 1).slot(1, 2).code)
    rows = []
    for p in ex.parts:
        cells = [[fmt2(v) for v in r] for r in p.answer]
        if p.number == 2:
            cells[3][2] = "0.57" if cells[3][2] != "0.57" else "0.58"
            cells[3][3] = "0.99"
            wrong = [(4, 3, cells[3][2], fmt2(p.answer[3][2])),
                     (4, 4, "0.99", fmt2(p.answer[3][3]))]
        rows.append(["Ana", 1, 2, p.number, "; ".join(" ".join(r) for r in cells)])
    path = tmp / "a.csv"
    with path.open("w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows([["learner", "version", "exercise", "part", "answer"], *rows])
    return tmp, path, ex, wrong


def feedback(answers, name: str, *opts: str) -> Path:
    tmp, path, _, _ = answers
    out = tmp / name
    r = CliRunner().invoke(cli, ["grade", str(path), "--spec", str(EXAM), "-o",
                                 str(tmp / "r.json"), "--feedback", str(out), *opts])
    assert r.exit_code == 0, r.output
    return out


def test_markdown_shows_wrong_entries_keys_and_worked_steps(answers):
    _, _, ex, wrong = answers
    md = feedback(answers, "fb.md").read_text("utf-8")
    assert str(EXAM.parent) not in md and "exam.toml" not in md
    assert md.startswith("# Feedback: Self-attention by hand: exam")
    assert "*Self-attention by hand: exam*" in md
    part2 = md.split("### Exercise 2", 1)[1].split("**Part (2)**", 1)[1].split("**Part (3)**", 1)[0]
    assert "incorrect (14 of 16 entries right)" in part2
    assert "Diagnosis" not in part2
    assert "The entries that are wrong, with the key's values:" in part2
    for row, col, typed, key in wrong:
        line = f"row {row}, column {col}: you wrote {typed}; the key is {key}"
        assert line.replace(".", "\\.") in part2
    assert "The worked steps of this part:" in part2
    last = ex.parts[1].steps[-1]
    assert " ".join(fmt2(v) for v in last.value[3]).replace(" ", ", ") in part2


@pytest.mark.parametrize("lang, words", [
    ("en", ("The entries that are wrong, with the key's values:", "row 4, column 4: you wrote "
            "0.99; the key is", "The worked steps of this part:", "Self-attention by hand: exam")),
    ("zh", ("答错的元素及正确答案", "第 4 行第 4 列：你填的是 0.99，正确答案是", "本小题的详细步骤",
            "Self-attention by hand: exam")),
])
def test_pdf_shows_them_in_each_language(answers, lang, words):
    pdf = feedback(answers, f"fb-{lang}.pdf", "--lang", lang)
    pages = [p.extract_text() for p in pypdf.PdfReader(io.BytesIO(pdf.read_bytes())).pages]
    text = " ".join(" ".join(pages).split())
    for w in words:
        assert " ".join(w.split()) in text, w
    assert pages[0].split("\n", 1)[0].strip() == "Self-attention by hand: exam"
    assert "exam.toml" not in text
