"""Grading a class: `handcalc grade`, the corpus of submission files, reports, atomic writes."""

import csv
import io
import json
import os
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from handcalc import classgrade as cg
from handcalc.cli import cli

DATA = Path(__file__).parent / "data" / "submissions"
EXPECTED = json.loads((DATA / "expected.json").read_text(encoding="utf-8"))
CORPUS = sorted(k for k in EXPECTED if not k.startswith("_"))
HEADER = "learner,code,part,answer\n"


def run(*args):
    return CliRunner().invoke(cli, ["grade", *map(str, args)])


def write(tmp_path, text, name="class.csv"):
    path = tmp_path / name
    path.write_bytes(text.encode() if isinstance(text, str) else text)
    return path


@pytest.fixture
def corpus(tmp_path, monkeypatch):
    """The corpus copied to a temporary directory that is the current directory."""
    for f in DATA.iterdir():
        shutil.copy(f, tmp_path / f.name)
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.mark.parametrize("name", CORPUS)
def test_corpus(corpus, name):
    want = EXPECTED[name]
    result = run(name, "--json")
    assert result.exit_code == want["exit"], result.output
    assert "Traceback" not in result.output
    if want["exit"] == 2:
        assert want["stderr"] in result.stderr
        assert result.stdout == ""
        return
    data = json.loads(result.stdout)
    assert len(data["rows"]) == want["graded"]
    invalid = {str(i["line"]): i["reason"] for i in data["invalid"]}
    assert set(invalid) == set(want["invalid"]), invalid
    for line, words in want["invalid"].items():
        assert words in invalid[line]
        assert f"{name}:{line}: " in result.stderr
    warnings = {str(w["line"]): w["message"] for w in data["warnings"]}
    assert set(warnings) == set(want.get("warnings", {}))
    for line, words in want.get("warnings", {}).items():
        assert words in warnings[line]


def rows_by(data, learner, code, part):
    return [r for r in data["rows"] if (r["learner"], r["code"], r["part"]) == (learner, code,
                                                                               part)]


def test_good_file_verdicts_paths_and_summary(corpus):
    data = json.loads(run("good.csv", "--json").stdout)
    (ann,) = rows_by(data, "ann", "worked-4", 2)
    assert ann["correct"] and ann["accepted_by"] == "exact"
    (bob1,) = rows_by(data, "bob", "worked-4", 1)
    assert not bob1["correct"] and bob1["diagnosis"]["mistake"] == "no-scale"
    (bob2,) = rows_by(data, "bob", "worked-4", 2)
    assert bob2["correct"] and bob2["accepted_by"] == "carried-forward"
    assert bob2["diagnosis"]["mistake"] == "no-scale" and bob2["diagnosis"]["part"] == 1
    (bob5,) = rows_by(data, "bob", "worked-5", 2)
    assert bob5["correct"] and bob5["accepted_by"] == "rounded-intermediates"
    (cat,) = rows_by(data, "cat", "worked-4", 2)
    assert not cat["correct"]  # neither right nor carried from cat's own part 1
    (dan,) = rows_by(data, "dan", "worked-10", 1)
    assert dan["diagnosis"]["mistake"] == "grad-transposed"

    learners = {t["learner"]: t for t in data["learners"]}
    assert learners["ann"]["correct"] == learners["ann"]["answered"] == 4
    assert learners["bob"]["accepted_by"] == {"exact": 0, "carried-forward": 1,
                                              "rounded-intermediates": 1}
    assert (learners["bob"]["answered"], learners["bob"]["correct"]) == (3, 2)
    assert data["totals"] == {"rows": 12, "graded": 12, "counted": 12, "correct": 7,
                              "invalid": 0, "invalid_not_listed": 0, "learners": 4}

    w4 = next(e for e in data["exercises"] if e["code"] == "worked-4")
    part1 = w4["parts"][0]
    assert (part1["answered"], part1["correct"]) == (4, 1)
    assert part1["share"] == 0.25
    assert [(m["mistake"], m["count"]) for m in part1["mistakes"]] == [("no-scale", 2),
                                                                        ("div-dk", 1)]
    assert part1["unrecognised"] == 0
    assert w4["parts"][1]["unrecognised"] == 1  # cat's 0.5, 0.5


def test_markdown_summary_on_stdout_by_default(corpus):
    result = run("good.csv")
    assert result.exit_code == 0
    md = result.stdout
    assert md.startswith("# Class report: good.csv")
    assert "## worked-4: Attention to selected keys" in md
    assert "| 1 | 4 | 1 | 25% | 0 | 0 | forgot √d_k (2), divided by d_k (1) |" in md
    assert "| 2 | 3 | 2 | 67% | 1 | 0 | unrecognised (1) |" in md
    assert "## Learners" in md and "| bob | 2 | 3 | 2 | 2 | 0 |" in md


def test_markdown_lists_invalid_rows_and_wrong_shapes(corpus):
    md = run("bad_rows.csv").stdout
    assert "## Rows that could not be graded" in md
    assert "| 8 | bob | unknown code 'worked-55'" in md
    assert "## Answers of the wrong shape" in md and "line 16 (cat)" in md


def test_wrong_shape_is_graded_incorrect_with_a_note(corpus):
    data = json.loads(run("bad_rows.csv", "--json").stdout)
    (cat,) = rows_by(data, "cat", "worked-1", 1)
    assert cat["correct"] is False and cat["score"] == 0.0
    assert "expected a single number" in cat["note"]


def test_duplicates_last_answer_counts_and_is_the_prior(corpus):
    data = json.loads(run("duplicates.csv", "--json").stdout)
    first, second = rows_by(data, "ann", "worked-4", 1)
    assert first["correct"] and not first["counted"]
    assert not second["correct"] and second["counted"]
    (part2,) = rows_by(data, "ann", "worked-4", 2)
    assert part2["accepted_by"] == "carried-forward"  # carried from the last part-1 answer
    (ann,) = data["learners"]
    assert (ann["answered"], ann["correct"]) == (2, 1)


def test_prior_comes_from_the_learners_rows_in_any_order(tmp_path):
    path = write(tmp_path, HEADER + 'bob,worked-4,2,"0.12, 0.88"\nbob,worked-4,1,"1, 3"\n'
                                    'amy,worked-4,2,"0.12, 0.88"\n')
    report = cg.grade_file(path)
    by = {(g.row.learner, g.row.part): g for g in report.rows}
    assert by[("bob", 2)].accepted_by == "carried-forward"
    assert not by[("amy", 2)].correct  # another learner's part 1 is not amy's


def test_a_wrong_shaped_earlier_answer_is_not_used_as_prior(tmp_path):
    path = write(tmp_path, HEADER + 'bob,worked-4,1,"1, 3, 5"\nbob,worked-4,2,"0.20, 0.80"\n'
                                    'bob,worked-10,1,"0.1, 0.2; 0.1, 0.2"\n')
    report = cg.grade_file(path)
    assert [g.correct for g in report.rows] == [False, True, False]
    assert report.rows[0].note and not report.invalid


def test_codes_are_canonical_and_case_insensitive(tmp_path):
    path = write(tmp_path, HEADER + "ann,Worked-1,1,3.54\nann, worked-1 ,2, 1\n")
    report = cg.grade_file(path)
    assert [g.row.code for g in report.rows] == ["worked-1", "worked-1"]
    assert all(g.correct for g in report.rows)
    assert len(report.exercises) == 1


# ---------------------------------------------------------------- report files


@pytest.mark.parametrize(("name", "fmt"), [("r.csv", "csv"), ("r.json", "json"), ("r.md", "md"),
                                          ("R.MARKDOWN", "md")])
def test_report_format_from_suffix(corpus, name, fmt):
    result = run("bad_rows.csv", "-o", name)
    assert result.exit_code == 0, result.output
    assert f"report written to {name}" in result.stdout
    text = (corpus / name).read_text(encoding="utf-8")
    if fmt == "json":
        assert len(json.loads(text)["invalid"]) == 10
    elif fmt == "csv":
        rows = list(csv.DictReader(io.StringIO(text)))
        assert list(rows[0]) == list(cg.CSV_COLUMNS)
        assert [int(r["line"]) for r in rows] == sorted(int(r["line"]) for r in rows)
        assert len(rows) == 13
        statuses = {r["line"]: r["status"] for r in rows}
        assert statuses["2"] == "correct" and statuses["8"] == "invalid"
        assert statuses["16"] == "incorrect"
    else:
        assert text.startswith("# Class report")


def test_format_option_overrides_suffix_and_json_flag(corpus):
    assert run("good.csv", "-o", "out.txt", "--format", "json").exit_code == 0
    json.loads((corpus / "out.txt").read_text(encoding="utf-8"))
    result = run("good.csv", "--format", "csv")
    assert result.stdout.startswith(",".join(cg.CSV_COLUMNS))
    assert run("good.csv", "--json", "--format", "md").exit_code == 2


def test_unknown_report_suffix_exits_2_before_grading(corpus):
    result = run("good.csv", "-o", "report.txt")
    assert result.exit_code == 2 and "--format" in result.stderr
    assert not (corpus / "report.txt").exists()


def test_report_never_overwrites_the_submissions(corpus):
    before = (corpus / "good.csv").read_bytes()
    result = run("good.csv", "-o", "good.csv", "--format", "csv")
    assert result.exit_code == 2
    assert (corpus / "good.csv").read_bytes() == before


def test_csv_cells_are_not_spreadsheet_formulas(tmp_path):
    path = write(tmp_path, HEADER + '=HYPERLINK("x"),worked-1,1,3.54\n'
                                    '@ann,worked-1,1,-3.54\n'
                                    'bob,worked-1,1,"-1+cmd|\' /C calc\'!A0"\n')
    text = cg.render_csv(cg.grade_file(path))
    rows = list(csv.DictReader(io.StringIO(text)))
    assert rows[0]["learner"] == "'=HYPERLINK(\"x\")"
    assert rows[1]["learner"] == "'@ann" and rows[1]["answer"] == "-3.54"
    assert rows[2]["answer"].startswith("'-1+cmd")


def test_markdown_escapes_table_cells(tmp_path):
    path = write(tmp_path, HEADER + "a|b,worked-1,1,3.54\n")
    assert "| a\\|b | 1 | 1 | 1 | 1 | 0 |" in cg.render_markdown(cg.grade_file(path))


def test_stderr_lists_at_most_50_invalid_rows(tmp_path):
    path = write(tmp_path, HEADER + "ann,worked-1,1,x\n" * 60)
    result = run(path, "-o", tmp_path / "r.json")
    assert result.exit_code == 0
    assert result.stderr.count(": answer: ") == 50
    assert "and 10 more rows" in result.stderr
    assert len(json.loads((tmp_path / "r.json").read_text())["invalid"]) == 60


# ---------------------------------------------------------------- atomic writes


def leftovers(directory):
    return sorted(p.name for p in directory.iterdir() if p.name.endswith(".tmp"))


def test_failed_rename_leaves_the_old_report_and_no_temp_file(corpus, monkeypatch):
    (corpus / "r.json").write_text("old report")

    def fail(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", fail)
    result = run("good.csv", "-o", "r.json")
    assert result.exit_code == 1
    assert "cannot write r.json: No space left on device" in result.stderr
    assert (corpus / "r.json").read_text() == "old report"
    assert leftovers(corpus) == []


def test_failure_while_writing_leaves_nothing(corpus, monkeypatch):
    def fail(fd):
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(os, "fsync", fail)
    result = run("good.csv", "-o", "new.md")
    assert result.exit_code == 1 and "Input/output error" in result.stderr
    assert not (corpus / "new.md").exists()
    assert leftovers(corpus) == []


def test_interrupted_write_leaves_nothing(tmp_path, monkeypatch):
    def interrupt(fd):
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "fsync", interrupt)
    with pytest.raises(KeyboardInterrupt):
        cg.write_report(tmp_path / "r.csv", "a,b\n")
    assert list(tmp_path.iterdir()) == []


def test_report_in_a_missing_directory_exits_1_and_creates_nothing(corpus):
    result = run("good.csv", "-o", corpus / "nowhere" / "r.json")
    assert result.exit_code == 1 and "cannot write" in result.stderr
    assert not (corpus / "nowhere").exists()


def test_written_report_has_ordinary_permissions(tmp_path):
    cg.write_report(tmp_path / "r.md", "# hi\n")
    mode = (tmp_path / "r.md").stat().st_mode & 0o777
    umask = os.umask(0o022)
    os.umask(umask)
    assert mode == 0o666 & ~umask
    assert (tmp_path / "r.md").read_text() == "# hi\n"


# ---------------------------------------------------------------- speed, by call counts


def test_identical_answers_are_graded_once(tmp_path):
    """A class typing the same answers costs a few grade() calls, not one per row."""
    lines = []
    for n in range(40):
        lines += [f"l{n},worked-4,1,\"1, 3\"", f"l{n},worked-4,2,\"0.12, 0.88\"",
                  f"l{n},worked-5,2,\"10, 18.81, 29.48\"", f"l{n},worked-1,1,3.54"]
    path = write(tmp_path, HEADER + "\n".join(lines) + "\n")
    grader = cg.ClassGrader()
    report = cg.grade_file(path, grader)
    assert len(report.rows) == 160
    # strict + full for "1, 3"; strict + full (with prior) for "0.12, 0.88"; one strict each
    assert grader.grade_calls == 6
    assert sum(g.accepted_by == "carried-forward" for g in report.rows) == 40


def test_a_crash_grading_one_row_does_not_lose_the_class(tmp_path, monkeypatch):
    real = cg.core.grade

    def flaky(ex, part, answer, **kw):
        if ex.code == "worked-5":
            raise RuntimeError("boom")
        return real(ex, part, answer, **kw)

    monkeypatch.setattr(cg.core, "grade", flaky)
    path = write(tmp_path, HEADER + "ann,worked-1,1,3.54\nann,worked-5,2,\"10, 18.81, 29.48\"\n"
                                    "bob,worked-1,1,3.54\n")
    report = cg.grade_file(path)
    assert [g.row.line for g in report.rows] == [2, 4]
    (bad,) = report.invalid
    assert bad.line == 3 and "internal error" in bad.reason and "boom" in bad.reason
