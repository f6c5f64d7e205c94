"""A teacher's class workflow: grading against a spec's versions (by version and exercise, or
by code), blanks, totals out of the maximum, feedback (PDF and Markdown), the gradebook and
the PDF class report with its charts."""

import csv
import io
import json
import random
from fractions import Fraction
from pathlib import Path

import pypdf
import pytest
from click.testing import CliRunner

from handcalc import classgrade as cg
from handcalc.classgrade.assign import load_assignment
from handcalc.classgrade.feedback import feedback_markdown
from handcalc.classgrade.gradebook import render_gradebook
from handcalc.classgrade.report_pdf import render_pdf
from handcalc.cli import cli
from handcalc.core.rounding import fmt2
from handcalc.exercises.exercise import mistaken
from handcalc.sheets.build import build_worksheet, worksheet_codes
from handcalc.sheets.spec import load_spec

ROOT = Path(__file__).resolve().parent.parent
EXAM = ROOT / "problems" / "exam.toml"
CLASS = 30
CHART_TITLES = ("Learners' percentages", "Share correct per exercise and part",
                "Most frequent mistakes per part")


def run(*args):
    return CliRunner().invoke(cli, ["grade", *map(str, args)])


def typed(m):
    return "; ".join(" ".join(fmt2(v) for v in row) for row in m)


def learner(i):
    return f"Learner {i:02d}"


def class_rows(assignment, grader, learners, seed=7, by="version"):
    """Each learner answers their version (learner i: version i): the keys rounded to 2
    decimals, an exercise worked with a catalogued mistake now and then, some parts blank."""
    rng = random.Random(seed)
    rows = []
    for i in range(1, learners + 1):
        version = (i - 1) % len(assignment.versions) + 1
        for slot in assignment.versions[version - 1]:
            ex = grader.exercise(slot.code)
            wrong = None
            if rng.random() < 0.3:
                options = [m for m in ex.family.mistakes if mistaken(ex.instance, m)]
                if options:
                    wrong = mistaken(ex.instance, rng.choice(options))
            for p in ex.parts:
                if rng.random() < 0.1:
                    continue  # blank
                value = wrong.get(p.key, p.answer) if wrong else p.answer
                where = [version, slot.exercise] if by == "version" else [slot.code]
                rows.append([learner(i), *where, p.number, typed(value)])
    return rows


def write_csv(path, header, rows):
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(header)
        w.writerows(rows)
    return path


@pytest.fixture(scope="module")
def thirty(tmp_path_factory):
    """The class of 30 against 30 versions of exam.toml, graded once through the command."""
    tmp = tmp_path_factory.mktemp("thirty")
    grader = cg.ClassGrader()
    a = load_assignment(EXAM, CLASS, grader.job)
    rows = class_rows(a, grader, CLASS)
    subs = write_csv(tmp / "class.csv", ["Learner", "Version", "Exercise", "Part", "Answer"],
                     rows)
    result = run(subs, "--spec", EXAM, "--versions", CLASS, "-o", tmp / "report.json",
                 "--feedback", tmp / "feedback.pdf", "--gradebook", tmp / "gradebook.csv")
    assert result.exit_code == 0, result.output
    report = cg.grade_file(subs, grader, assignment=a)
    return {"dir": tmp, "rows": rows, "assignment": a, "grader": grader, "report": report,
            "json": json.loads((tmp / "report.json").read_text("utf-8"))}


def test_gradebook_totals_add_up_from_the_rows(thirty):
    book = list(csv.DictReader(io.StringIO((thirty["dir"] / "gradebook.csv").read_text())))
    assert len(book) == CLASS
    assert list(book[0])[:4] == ["learner", "total", "maximum", "percent"]
    assert [c for c in book[0] if c.startswith("exercise ")] == \
        [f"exercise {e}" for e in range(1, 11)]
    data = thirty["json"]
    earned: dict[str, Fraction] = {}
    for r in data["rows"]:
        if r["counted"]:
            earned[r["learner"]] = earned.get(r["learner"], Fraction(0)) + \
                Fraction(r["score"]).limit_denominator(1000) * Fraction(r["points"])
    answered = {r[0] for r in thirty["rows"]}
    blanks = 0
    for line in book:
        name = line["learner"]
        assert Fraction(line["total"]) == pytest.approx(earned.get(name, 0), abs=0.006)
        columns = sum(Fraction(line[f"exercise {e}"]) for e in range(1, 11))
        assert columns == pytest.approx(Fraction(line["total"]), abs=0.06)
        spec = thirty["assignment"].spec  # the maximum is the spec's points of the version
        points = sum(spec.points_of(s.section, p.number)
                     for s in thirty["assignment"].versions[int(line["version"]) - 1]
                     for p in thirty["grader"].exercise(s.code).parts)
        assert Fraction(line["maximum"]) == points
        assert float(line["percent"]) == pytest.approx(
            100 * float(Fraction(line["total"])) / points, abs=0.06)
        assert line["version"] == str(int(name.split()[1]))
        assert name in answered
    for m in data["learners"]:
        blanks += m["blank"]
    assert blanks == sum(len(thirty["grader"].exercise(s.code).parts)
                         for v in thirty["assignment"].versions for s in v) - \
        len(thirty["rows"])
    assert blanks > 0


def test_feedback_pdf_starts_a_page_per_learner(thirty):
    pages = [p.extract_text() for p in pypdf.PdfReader(thirty["dir"] / "feedback.pdf").pages]
    assert len(pages) >= CLASS
    # each learner's page starts with the exam's title, then the learner's name
    heads = [[line.strip() for line in t.split("\n")[:2]] for t in pages]
    starts = [h[1] for h in heads if h[0] == "Self-attention by hand: exam" and len(h) > 1]
    assert [s for s in starts if s.startswith("Learner ")] == \
        [learner(i) for i in range(1, CLASS + 1)]
    text = "\n".join(pages)
    # the footer names the exam, never the spec's path on the teacher's machine
    assert "Feedback: Self-attention by hand: exam" in text
    assert "exam.toml" not in text and str(EXAM.parent) not in text
    for words in ("Version 1", "Total", "blank (not answered)", "Diagnosis:",
                  "The worked step"):
        assert words in text


def test_report_pdf_has_the_three_charts_and_is_reproducible(thirty):
    pdf = render_pdf(thirty["report"])
    assert pdf == render_pdf(thirty["report"])
    text = "".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(pdf)).pages)
    text = " ".join(text.split())
    for title in CHART_TITLES:
        assert title in text
    assert "Learner 30" in text


def test_markdown_feedback_and_gradebook_in_the_library(thirty):
    report = thirty["report"]
    md = feedback_markdown(report, thirty["grader"], "en")
    assert md.count("\n## Learner ") == CLASS
    assert "blank (not answered)" in md and "Diagnosis:" in md
    assert render_gradebook(report) == (thirty["dir"] / "gradebook.csv").read_text()


def test_the_assignment_is_the_worksheets():
    ws = build_worksheet(load_spec(EXAM), 2, formats=("md",))
    a = load_assignment(EXAM, 2)
    assert [[s.code for s in v] for v in a.versions] == worksheet_codes(ws)


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("small")
    grader = cg.ClassGrader()
    a = load_assignment(EXAM, 2, grader.job)
    return tmp, a, grader


def test_codes_with_a_spec_and_a_code_not_assigned(small):
    tmp, a, grader = small
    rows = class_rows(a, grader, 2, by="code")
    rows.append(["Learner 01", "causal-2-4821", "1", "1"])  # not in the assignment
    subs = write_csv(tmp / "codes.csv", ["learner", "code", "part", "answer"], rows)
    result = run(subs, "--spec", EXAM, "--versions", 2, "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    (bad,) = data["invalid"]
    assert "not an exercise of the assignment" in bad["reason"]
    assert bad["line"] == len(rows) + 1
    assert [m["version"] for m in data["learners"]] == [1, 2]
    assert all(m["notes"] == [] for m in data["learners"])


def test_version_rows_out_of_range_are_invalid(small):
    tmp, a, grader = small
    subs = write_csv(tmp / "range.csv", ["learner", "version", "exercise", "part", "answer"],
                     [["ann", 3, 1, 1, "1"], ["ann", 1, 11, 1, "1"], ["ann", "x", 1, 1, "1"],
                      ["ann", 1, 1, 1, "1"]])
    data = json.loads(run(subs, "--spec", EXAM, "--versions", 2, "--json").stdout)
    reasons = [i["reason"] for i in data["invalid"]]
    assert len(reasons) == 3
    assert "no version 3" in reasons[0] and "no exercise 11" in reasons[1]
    (ann,) = data["learners"]
    parts = sum(len(grader.exercise(s.code).parts) for s in a.versions[0])
    assert ann["version"] == 1 and ann["blank"] == parts - 1


def test_chinese_feedback(small):
    tmp, a, grader = small
    subs = write_csv(tmp / "zh.csv", ["learner", "version", "exercise", "part", "answer"],
                     class_rows(a, grader, 2))
    out = tmp / "zh.md"
    result = run(subs, "--spec", EXAM, "--versions", 2, "--feedback", out, "--lang", "zh",
                 "-o", tmp / "zh.json")
    assert result.exit_code == 0, result.output
    text = out.read_text("utf-8")
    assert "总分" in text and "满分" in text and "版本 1" in text
    assert "未作答" in text or "正确" in text


def test_points_of_decides_the_points(small):
    """The spec's points (Spec.points_of) give each part's points."""
    from types import SimpleNamespace

    from handcalc.classgrade.assign import Assignment

    tmp, a, grader = small
    rows = class_rows(a, grader, 1)
    subs = write_csv(tmp / "points.csv", ["learner", "version", "exercise", "part", "answer"],
                     rows)
    spec = SimpleNamespace(name="exam.toml", codes="shown", lang=None,
                           points_of=lambda section, part: Fraction(2 if section == 0 else 1))
    report = cg.grade_file(subs, grader, assignment=Assignment(spec, a.versions))
    (m,) = report.marks
    first = m.exercises[0]
    assert [p.points for p in first.parts] == [2] * len(first.parts)
    assert m.maximum == sum(e.maximum for e in m.exercises) == \
        sum(len(e.parts) for e in m.exercises) + len(first.parts)


@pytest.mark.parametrize("args, words", [
    (["--spec", "no-such.toml"], "no-such.toml"),
    (["--feedback", "out.txt"], "--feedback out.txt: use a .pdf or .md name"),
    (["--gradebook", "book.json"], "--gradebook book.json: use a .csv name"),
    (["--versions", "3"], "--versions needs --spec"),
    (["--format", "pdf"], "a PDF report needs a file"),
    (["--feedback", "x.md", "-o", "x.md"], "-o and --feedback name the same file"),
])
def test_bad_options_exit_2_with_one_line(tmp_path, monkeypatch, args, words):
    monkeypatch.chdir(tmp_path)
    subs = write_csv(tmp_path / "c.csv", ["learner", "code", "part", "answer"],
                     [["ann", "worked-1", "1", "1"]])
    result = run(subs, *args)
    assert result.exit_code == 2
    assert words in result.stderr
    lines = [x for x in result.stderr.splitlines() if x.strip() and not x.startswith(
        ("Usage:", "Try "))]
    assert len(lines) == 1, result.stderr
    assert not list(tmp_path.glob("out.txt")) and not list(tmp_path.glob("x.md"))


def test_version_rows_need_a_spec(tmp_path):
    subs = write_csv(tmp_path / "v.csv", ["learner", "version", "exercise", "part", "answer"],
                     [["ann", 1, 1, 1, "1"]])
    result = run(subs)
    assert result.exit_code == 2
    assert "give --spec" in result.stderr


def test_without_a_spec_the_gradebook_has_a_column_per_code(tmp_path):
    subs = write_csv(tmp_path / "c.csv", ["learner", "code", "part", "answer"],
                     [["ann", "worked-1", "1", "3.54"], ["bob", "worked-2", "1", "7"],
                      ["=cmd", "worked-1", "1", "3.54"]])
    book = tmp_path / "book.csv"
    result = run(subs, "--gradebook", book, "--feedback", tmp_path / "f.md")
    assert result.exit_code == 0, result.output
    lines = list(csv.reader(io.StringIO(book.read_text())))
    assert lines[0] == ["learner", "total", "maximum", "percent", "worked-1", "worked-2"]
    assert lines[1][0] == "'=cmd"  # a name a spreadsheet would run is protected
    assert [row[0] for row in lines[1:]] == ["'=cmd", "ann", "bob"]


def test_chinese_pdf_needs_the_cjk_font(small):
    """Where handcalc ships its CJK font the PDF is made; where it does not, refused."""
    import importlib.util

    tmp, a, grader = small
    subs = write_csv(tmp / "zhpdf.csv", ["learner", "version", "exercise", "part", "answer"],
                     class_rows(a, grader, 1))
    out = tmp / "zh.pdf"
    result = run(subs, "--spec", EXAM, "--versions", 2, "--feedback", out, "--lang", "zh",
                 "--gradebook", tmp / "zh-book.csv")
    if importlib.util.find_spec("handcalc.sheets.fonts") is None:
        assert result.exit_code == 2
        assert "no font for" in result.stderr and len(result.stderr.splitlines()) == 1
        assert not out.exists() and not (tmp / "zh-book.csv").exists()
    else:
        assert result.exit_code == 0, result.output
        assert "总分" in "".join(p.extract_text() for p in pypdf.PdfReader(out).pages)


def test_classflow_catalogue_en_and_zh_match_and_cover_the_code():
    import re

    from handcalc.text.messages import LOCALE_DIR, read_po

    en, zh = (read_po((LOCALE_DIR / lang / "classflow.po").read_text("utf-8"))
              for lang in ("en", "zh"))
    assert set(en) == set(zh) and all(k.startswith("classflow.") for k in en)
    for key in en:
        assert set(re.findall(r"\{(\w+)\}", en[key])) == set(re.findall(r"\{(\w+)\}", zh[key]))
        assert "$" not in en[key] + zh[key]
    code = "".join(p.read_text() for p in (ROOT / "handcalc" / "classgrade").glob("*.py"))
    named = {k for k in re.findall(r'"(classflow\.[a-z_.]+)"', code) if k != "classflow.po"}
    named |= {f"classflow.verdict.{k}" for k in ("correct", "carried", "rounded")}
    named |= {f"classflow.col.{c}" for c in ("learner", "version", "total", "maximum",
                                              "percent", "correct", "blank")}
    for key in named:
        assert key in en, key


def test_a_learner_between_versions_is_noted_and_off_sheet_answers_add_nothing(small):
    tmp, a, grader = small
    one, two = a.versions[0][0].code, a.versions[1][1].code
    rows = []
    for code in (one, two):
        ex = grader.exercise(code)
        rows += [["zoe", code, p.number, typed(p.answer)] for p in ex.parts]
    subs = write_csv(tmp / "between.csv", ["learner", "code", "part", "answer"], rows)
    report = cg.grade_file(subs, grader, assignment=a)
    (m,) = report.marks
    assert m.version == 1  # a tie: the lowest
    assert [n[0] for n in m.notes] == ["classflow.note.chosen", "classflow.note.off_sheet"]
    assert m.total == len(grader.exercise(one).parts)
    assert len(m.off_sheet) == len(grader.exercise(two).parts)
    md = feedback_markdown(report, grader, "en")
    assert "Graded as version 1: 1 of the 2 exercises you answered are on it." in md


def test_hidden_codes_stay_hidden_in_the_feedback(small):
    from types import SimpleNamespace

    from handcalc.classgrade.assign import Assignment

    tmp, a, grader = small
    hidden = Assignment(SimpleNamespace(name="exam.toml", title="Exam", codes="hidden",
                                        points_of=a.spec.points_of), a.versions)
    subs = write_csv(tmp / "hidden.csv", ["learner", "version", "exercise", "part", "answer"],
                     class_rows(a, grader, 2))
    report = cg.grade_file(subs, grader, assignment=hidden)
    md = feedback_markdown(report, grader, "en")
    assert "### Exercise 1: " in md
    assert not any(s.code in md for v in a.versions for s in v)
    shown_spec = SimpleNamespace(name="exam.toml", title="Exam", codes="shown",
                                 points_of=a.spec.points_of)
    shown = feedback_markdown(cg.grade_file(subs, grader,
                                            assignment=Assignment(shown_spec, a.versions)),
                              grader, "en")
    assert a.versions[0][0].code in shown
