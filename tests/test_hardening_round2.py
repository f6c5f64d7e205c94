"""Hardening, round two (issue 25): the inputs and outputs that the newer features opened.

Cases about processes and streams run the CLI in a subprocess (standard input redirected
from the output file, PYTHONIOENCODING=cp1252, ...); the others run it in process."""

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from handcalc import classgrade as cg
from handcalc.classgrade.assign import load_assignment
from handcalc.cli import cli
from handcalc.core.rounding import fmt2

ROOT = Path(__file__).resolve().parent.parent
EXAM = ROOT / "problems" / "exam.toml"
WORKED_SET = ROOT / "problems" / "worked-set.toml"
GOOD = ROOT / "tests" / "data" / "submissions" / "good.csv"
CLI = [sys.executable, "-c", "from handcalc.cli import main; main()"]
WAIT = 120


def run_proc(*args, env=None, **kwargs):
    kwargs.setdefault("stdout", subprocess.PIPE)
    kwargs.setdefault("stdin", subprocess.DEVNULL)
    full_env = {**os.environ, **(env or {})}
    return subprocess.run([*CLI, *map(str, args)], stderr=subprocess.PIPE, timeout=WAIT,
                          env=full_env, **kwargs)


def one_line(stderr: bytes) -> str:
    text = stderr.decode("utf-8", "replace")
    assert "Traceback" not in text and "Exception ignored" not in text, text[-2000:]
    lines = text.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("handcalc: "), text[-2000:]
    return lines[0]


def run(*args, **kwargs):
    return CliRunner().invoke(cli, [str(a) for a in args], **kwargs)


def typed(m):
    return "; ".join(" ".join(fmt2(v) for v in row) for row in m)


def write_csv(path, header, rows):
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(header)
        w.writerows(rows)
    return path


@pytest.fixture(scope="module")
def exam():
    grader = cg.ClassGrader()
    return load_assignment(EXAM, 2, grader.job), grader


def version_rows(a, grader, name, version):
    rows = []
    for slot in a.versions[version - 1]:
        ex = grader.exercise(slot.code)
        rows += [[name, slot.code, p.number, typed(p.answer)] for p in ex.parts]
    return rows


# ---------------------------------------------------------------- data loss


@pytest.mark.parametrize("option", ["-o", "--gradebook", "--feedback"])
def test_grade_from_stdin_refuses_to_overwrite_the_file_stdin_reads(tmp_path, option):
    subs = tmp_path / "s.csv"
    subs.write_bytes(GOOD.read_bytes())
    target = subs
    if option == "--feedback":  # a feedback file must be .md or .pdf: stdin from a .md
        target = tmp_path / "s.md"
        target.write_bytes(GOOD.read_bytes())
    before = target.read_bytes()
    with open(target, "rb") as stdin:
        r = run_proc("grade", "-", option, target, stdin=stdin)
    assert r.returncode == 2
    assert "overwrite the submissions file" in one_line(r.stderr)
    assert target.read_bytes() == before


def test_worksheet_from_stdin_refuses_to_overwrite_the_spec(tmp_path):
    spec = tmp_path / "w.md"
    spec.write_bytes(WORKED_SET.read_bytes())
    before = spec.read_bytes()
    with open(spec, "rb") as stdin:
        r = run_proc("worksheet", "-", "-o", spec, stdin=stdin)
    assert r.returncode == 2
    assert "that is the spec itself" in one_line(r.stderr)
    assert spec.read_bytes() == before


def test_grade_from_stdin_still_writes_another_file(tmp_path):
    with open(GOOD, "rb") as stdin:
        r = run_proc("grade", "-", "-o", tmp_path / "r.csv", stdin=stdin)
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "r.csv").read_text().startswith("line,")


def test_a_spec_changed_since_the_exam_is_refused_not_graded_to_zero(tmp_path, exam):
    a, grader = exam
    rows = version_rows(a, grader, "ann", 1) + version_rows(a, grader, "bob", 2)
    subs = write_csv(tmp_path / "s.csv", ["learner", "code", "part", "answer"], rows)
    changed = tmp_path / "exam.toml"
    changed.write_text(EXAM.read_text().replace("seed = 3003", "seed = 3004"))
    book = tmp_path / "book.csv"
    r = run("grade", subs, "--spec", changed, "--versions", 2, "--gradebook", book)
    assert r.exit_code == 2
    assert "name no exercise of the assignment" in r.output
    assert "spec changed" in r.output or "the spec changed" in r.output
    assert not book.exists()
    # by version: a wrong --versions leaves every row outside the assignment
    by_version = [["ann", 3, e, 1, "1"] for e in range(1, 6)]
    subs2 = write_csv(tmp_path / "v.csv", ["learner", "version", "exercise", "part", "answer"],
                      by_version)
    r = run("grade", subs2, "--spec", EXAM, "--versions", 2)
    assert r.exit_code == 2 and "5 of 5 rows" in r.output
    # the right spec grades
    r = run("grade", subs, "--spec", EXAM, "--versions", 2, "--gradebook", book)
    assert r.exit_code == 0, r.output


# ---------------------------------------------------------------- wrong totals, merges


def test_answers_to_every_version_are_graded_but_not_counted_in_any_report(tmp_path, exam):
    a, grader = exam
    rows = version_rows(a, grader, "zoe", 1) + version_rows(a, grader, "zoe", 2)
    subs = write_csv(tmp_path / "s.csv", ["learner", "code", "part", "answer"], rows)
    report = cg.grade_file(subs, cg.ClassGrader(), assignment=a)
    (m,) = report.marks
    (t,) = report.learners
    parts = sum(len(e.parts) for e in m.exercises)
    assert m.total == m.maximum  # all of version 1 right, nothing more
    assert t.answered == t.correct == t.score == parts
    assert sum(g.counted for g in report.rows) == t.answered
    lines = list(csv.reader(cg.render_csv(report).splitlines()))
    counted = [r[10] for r in lines[1:]]
    assert counted.count("yes") == t.answered
    md = cg.render_markdown(report)
    total = cg.score_text(m.total)
    assert f"| zoe | 10 | {parts} | {parts} | {total} of {total} | 0 |" in md
    data = json.loads(cg.render_json(report))
    assert sum(r["counted"] for r in data["rows"]) == t.answered


def test_names_that_print_alike_are_one_learner_with_a_warning(tmp_path):
    ex_rows = [["bob", "worked-1", "1", "1"], ["ｂｏｂ", "worked-1", "2", "1"],
               ["bo\u200bb", "worked-2", "1", "1"], ["b\u200dob", "worked-3", "1", "1"],
               ["\u202ebob", "worked-4", "1", "1"]]
    subs = write_csv(tmp_path / "s.csv", ["learner", "code", "part", "answer"], ex_rows)
    report = cg.grade_file(subs)
    assert [t.learner for t in report.learners] == ["bob"]
    folded = [w for w in report.warnings if "is read as 'bob' (line 2)" in w.message]
    assert len(folded) == 4
    assert any("\\u200b" in w.message for w in folded)


def test_full_width_version_exercise_and_part_are_read(tmp_path, exam):
    a, grader = exam
    ex = grader.exercise(a.versions[1][2].code)
    rows = [["ann", "２", "３", "１", typed(ex.parts[0].answer)]]
    subs = write_csv(tmp_path / "v.csv", ["learner", "version", "exercise", "part", "answer"],
                     rows)
    report = cg.grade_file(subs, cg.ClassGrader(), assignment=a)
    assert not report.invalid, report.invalid
    (g,) = report.rows
    assert g.correct and g.row.version == 2
    subs = write_csv(tmp_path / "c.csv", ["learner", "code", "part", "answer"],
                     [["ann", "worked-1", "２", "1"]])
    report = cg.grade_file(subs)
    assert not report.invalid and report.rows[0].row.part == 2


# ---------------------------------------------------------------- streams that are not Unicode


@pytest.mark.parametrize("encoding", ["cp1252", "latin-1", "ascii"])
def test_json_to_a_stream_without_unicode_uses_u_escapes(tmp_path, encoding):
    subs = tmp_path / "zh.csv"
    subs.write_text("learner,code,part,answer\n张三,worked-1,1,1\n", encoding="utf-8")
    env = {"PYTHONIOENCODING": encoding}
    for args in (["show", "worked-1", "--json", "--lang", "zh"], ["solve", "worked-1", "--json"],
                 ["grade", subs, "--json"]):
        r = run_proc(*args, env=env)
        assert r.returncode == 0, r.stderr.decode()[-2000:]
        assert b"Traceback" not in r.stderr
        data = json.loads(r.stdout.decode("ascii"))
        if args[0] == "grade":
            assert data["learners"][0]["learner"] == "张三"
    r = run_proc("grade", subs, env=env)  # the Markdown summary: text falls back
    assert r.returncode == 0 and b"Traceback" not in r.stderr, r.stderr.decode()[-2000:]
    if encoding != "ascii":  # (click writes UTF-8 to a stream that says ASCII)
        assert b"| ?? |" in r.stdout


def test_a_gbk_terminal_keeps_the_chinese_words():
    r = run_proc("solve", "worked-1", "--lang", "zh", env={"PYTHONIOENCODING": "gbk"})
    assert r.returncode == 0, r.stderr.decode()[-2000:]
    text = r.stdout.decode("gbk")
    assert "单个查询" in text and "缩放" in text
    assert text.count("?") < 5, text


@pytest.mark.parametrize("encoding", ["ascii", "cp1252"])
def test_chinese_on_a_stream_that_cannot_carry_it_falls_back_to_english(encoding):
    r = run_proc("show", "worked-1", "--lang", "zh", env={"PYTHONIOENCODING": encoding})
    assert r.returncode == 0
    assert "cannot carry Chinese; writing English" in one_line(r.stderr)
    text = r.stdout.decode(encoding)
    assert "Score of one query-key pair" in text and "?" not in text


# ---------------------------------------------------------------- tracebacks


def spec_with_title(tmp_path, title):
    path = tmp_path / "deep.toml"
    path.write_text(f'title = "{title}"\nseed = 1\n[[sections]]\nfamily = "score"\n'
                    'level = 1\n', encoding="utf-8")
    return path


@pytest.mark.parametrize("fmt", ["md", "xml", "pdf"])
def test_deeply_nested_math_in_a_spec_is_refused_naming_the_field(tmp_path, fmt):
    spec = spec_with_title(tmp_path, "$" + "(" * 660 + "x" + ")" * 660 + "$")
    r = run("worksheet", spec, "-o", tmp_path / f"w.{fmt}")
    assert r.exit_code == 2, r.output
    assert "title: brackets nested more than 30 deep in math" in r.output
    assert not (tmp_path / f"w.{fmt}").exists()
    ok = spec_with_title(tmp_path, "$" + "(" * 30 + "x" + ")" * 30 + "$")
    assert run("worksheet", ok, "-o", tmp_path / "ok.md").exit_code == 0


@pytest.mark.parametrize("encoding", ["punycode", "idna", "unicode_escape"])
def test_a_codec_that_is_no_character_set_is_refused(tmp_path, encoding):
    r = run_proc("grade", GOOD, "--encoding", encoding)
    assert r.returncode == 2
    line = one_line(r.stderr)
    assert "not the encoding of a text file" in line or "unknown encoding" in line


def test_big5_read_as_gb18030_is_refused_not_graded_to_nothing(tmp_path):
    rows = "learner,code,part,answer\n陳大文,worked-1,1,1\n林小明,worked-1,1,1\n" \
           "黃志強,worked-1,1,1\n張偉,worked-1,1,1\n"
    path = tmp_path / "big5.csv"
    path.write_bytes(rows.encode("big5"))
    r = run("grade", path, "--encoding", "gb18030")
    assert r.exit_code == 2
    assert "rows are not gb18030 text" in r.output and "check --encoding" in r.output
    r = run("grade", path, "--encoding", "big5", "--json")
    assert r.exit_code == 0 and not json.loads(r.stdout)["invalid"]
    gbk = tmp_path / "gbk.csv"  # Chinese names in GBK, read as GBK: all graded
    gbk.write_bytes(rows.encode("gb18030"))
    r = run("grade", gbk, "--encoding", "gb18030", "--json")
    assert r.exit_code == 0 and not json.loads(r.stdout)["invalid"]


# ---------------------------------------------------------------- typed numbers


@pytest.mark.parametrize("answer", ["0·71", "０·７１", "3·14"])
def test_a_middle_dot_between_digits_is_refused_with_a_hint(answer):
    r = run("check", "worked-1", "1", answer)
    assert r.exit_code == 2
    assert "between digits is not accepted: type . for a decimal point" in r.output
    assert run("check", "worked-1", "1", "2 · 3").exit_code in (0, 1)  # a product, spaced


def test_the_size_limit_is_200_mb_said_in_one_unit(tmp_path):
    from handcalc.classgrade import read

    assert read.MAX_BYTES == 200_000_000
    big = tmp_path / "big.csv"
    with open(big, "wb") as f:
        f.write(b"learner,code,part,answer\n")
        f.truncate(200_400_000)  # sparse: nothing is written
    r = run("grade", big)
    assert r.exit_code == 2
    assert "too large: 200.4 MB, more than the 200 MB allowed" in r.output
    with open(big, "r+b") as f:
        f.truncate(210_000_000)
    assert "too large: 210 MB, more than the 200 MB allowed" in run("grade", big).output


# ---------------------------------------------------------------- Moodle


def test_display_math_delimiters_in_spec_text_reach_moodle_as_words():
    from handcalc.sheets.moodle import quiz_xml
    from handcalc.sheets.spec import parse_spec

    spec = parse_spec('title = "T \\\\[ x \\\\] and \\\\( y \\\\) and $$z$$ cost"\nseed = 1\n'
                      'instructions = ["see \\\\[ a^2 \\\\]"]\n'
                      '[[sections]]\nfamily = "score"\nlevel = 1\n', "t.toml")
    xml = quiz_xml(spec)
    info = xml[xml.index("<info"):xml.index("</info>")]
    assert "\\[" not in info
    assert "\\ [ x \\]" in info and "\\ [ a^2 \\]" in info
    assert "\\ ( y" in info


def test_a_title_empty_once_rendered_is_refused(tmp_path):
    spec = tmp_path / "t.toml"
    spec.write_text('title = "$ $"\nseed = 1\n[[sections]]\nfamily = "score"\nlevel = 1\n')
    r = run("worksheet", spec, "-o", tmp_path / "q.xml")
    assert r.exit_code == 2
    assert "title: empty once its math is rendered" in r.output
    assert not (tmp_path / "q.xml").exists()


def test_every_spelling_of_minus_infinity_that_check_accepts_is_a_moodle_answer():
    import sympy

    from handcalc.core.parse import parse_answer
    from handcalc.sheets.moodle import NEG_INF_ANSWERS

    for typed_inf in ("－inf", "－∞", "–inf", "－ｉｎｆ", "-inf", "−∞", "–∞", "−ｉｎｆ"):
        assert parse_answer(typed_inf) == ((-sympy.oo,),)
        assert typed_inf in NEG_INF_ANSWERS
    assert NEG_INF_ANSWERS[:4] == ("-inf", "\u2212inf", "-\u221e", "\u2212\u221e")
    for spelled in NEG_INF_ANSWERS:
        assert parse_answer(spelled) == ((-sympy.oo,),), spelled


# ---------------------------------------------------------------- reports


def test_entities_in_names_stay_text_in_every_markdown_output(tmp_path):
    from handcalc.classgrade.feedback import feedback_markdown
    from handcalc.text.messages import render

    name = "&lt;b&gt;x&amp;y"
    subs = write_csv(tmp_path / "s.csv", ["learner", "code", "part", "answer"],
                     [[name, "worked-1", "1", "1"]])
    grader = cg.ClassGrader()
    report = cg.grade_file(subs, grader)
    for md in (feedback_markdown(report, grader, "en"), cg.render_markdown(report)):
        assert "&amp;lt;b&amp;gt;x&amp;amp;y" in md
        assert "&lt;b&gt;x&amp;y" not in md.replace("&amp;", "")
    assert render(name, "en", "markdown") == "\\&lt;b\\&gt;x\\&amp;y"


@pytest.mark.parametrize("lead", ["＝", "＋", "－", "＠", "=", "+", "-", "@"])
def test_full_width_formula_signs_are_quoted_like_ascii_ones(tmp_path, lead):
    from handcalc.classgrade.gradebook import render_gradebook

    name = f"{lead}HYPERLINK(1)"
    subs = write_csv(tmp_path / "s.csv", ["learner", "code", "part", "answer"],
                     [[name, "worked-1", "1", f"{lead}1"]])
    report = cg.grade_file(subs)
    rows = list(csv.reader(cg.render_csv(report).splitlines()))
    assert rows[1][1] == "'" + name
    book = list(csv.reader(render_gradebook(report).splitlines()))
    assert book[1][0] == "'" + name


def test_a_class_too_large_for_a_pdf_is_refused_with_one_line(tmp_path, monkeypatch):
    from handcalc.classgrade import feedback, report_pdf

    assert report_pdf.MAX_PDF_LEARNERS == 10_000 and feedback.MAX_PDF_LEARNERS == 4_000
    monkeypatch.setattr(report_pdf, "MAX_PDF_LEARNERS", 2)
    monkeypatch.setattr(feedback, "MAX_PDF_LEARNERS", 1)
    subs = write_csv(tmp_path / "s.csv", ["learner", "code", "part", "answer"],
                     [[f"l{i}", "worked-1", "1", "1"] for i in range(3)])
    r = run("grade", subs, "-o", tmp_path / "r.pdf")
    assert r.exit_code == 2
    assert "3 learners, more than the 2 a PDF report holds" in r.output
    assert "write .csv, .md or .json" in r.output and not (tmp_path / "r.pdf").exists()
    r = run("grade", subs, "-o", tmp_path / "r.md", "--feedback", tmp_path / "f.pdf")
    assert r.exit_code == 2 and "more than the 1 a PDF feedback holds" in r.output
    assert not (tmp_path / "r.md").exists()
    r = run("grade", subs, "-o", tmp_path / "r.md", "--feedback", tmp_path / "f.md")
    assert r.exit_code == 0, r.output


def test_30000_learners_to_a_pdf_under_a_3_gb_limit_is_one_line_not_an_abort(tmp_path):
    import resource

    subs = tmp_path / "k.csv"
    with open(subs, "w") as f:
        f.write("learner,code,part,answer\n")
        f.writelines(f"learner {i:05d},worked-1,1,{('3.54', '2.5', '1')[i % 3]}\n"
                     for i in range(30_000))

    def limit():
        resource.setrlimit(resource.RLIMIT_AS, (3 * 1024 ** 3, 3 * 1024 ** 3))

    r = run_proc("grade", subs, "-o", tmp_path / "r.pdf", preexec_fn=limit)
    assert r.returncode == 2
    assert "30,000 learners, more than the 10,000 a PDF report holds" in one_line(r.stderr)
    assert not (tmp_path / "r.pdf").exists()
