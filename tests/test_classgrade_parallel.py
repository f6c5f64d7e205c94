"""Grading a class with worker processes (handcalc.classgrade.parallel): the same reports,
byte for byte, as grading in one process; errors in a worker surface as they would here."""

import importlib.util
import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from handcalc import classgrade as cg
from handcalc.classgrade import parallel
from handcalc.classgrade.feedback import feedback_markdown
from handcalc.classgrade.gradebook import render_gradebook
from handcalc.cli import cli
from handcalc.errors import SpecError

ROOT = Path(__file__).resolve().parent.parent
EXAM = ROOT / "problems" / "exam.toml"
HEADER = "learner,code,part,answer\n"

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="workers are forked")


def _bench():
    spec = importlib.util.spec_from_file_location("grade_speed",
                                                  ROOT / "benchmarks" / "grade_speed.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """A class of 12 learners over 16 codes (right, rounded, mistaken, carried forward,
    random; a few malformed rows), its rows shuffled and some answered twice, and a class
    of about 300 rows by version and exercise against 2 versions of exam.toml."""
    bench = _bench()
    folder = tmp_path_factory.mktemp("parallel")
    plain = folder / "class.csv"
    bench.class_file(plain, 12, 3)
    lines = plain.read_text(encoding="utf-8").splitlines()
    body = lines[1:]
    body = body[1::2] + body[::2] + body[5:40]  # out of order, and parts answered again
    plain.write_text("\n".join([lines[0], *body, "zoë,worked-5,2,\"1, 2\"",
                                "\u202eeve,worked-5,1,x"]) + "\n", encoding="utf-8")
    spec = folder / "exam-class.csv"
    bench.spec_class_file(spec, 2, 300, 4)
    return plain, spec


@pytest.fixture
def two_cores(monkeypatch):
    """Workers from the first row on, on (what looks like) two cores."""
    monkeypatch.setattr(parallel, "PARALLEL_ROWS", 1)
    if hasattr(os, "sched_getaffinity"):
        monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 1})
    else:
        monkeypatch.setattr(os, "cpu_count", lambda: 2)


def _reports(path, workers):
    grader = cg.ClassGrader()
    report = cg.grade_file(path, grader, grading=parallel.Parallel(1) if workers else None)
    return grader, report, {"csv": cg.render_csv(report), "json": cg.render_json(report),
                    "md": cg.render_markdown(report), "book": render_gradebook(report),
                    "feedback": feedback_markdown(report, grader, "en")}


def test_workers_give_the_same_reports_as_one_process(files, two_cores):
    alone, serial, want = _reports(files[0], 0)
    shared, report, got = _reports(files[0], 1)
    assert got == want
    # the verdicts themselves, the answer each keeps (as grade() shaped it) included
    assert [(g.row, g.verdict, g.counted, g.note) for g in report.rows] == \
        [(g.row, g.verdict, g.counted, g.note) for g in serial.rows]
    assert report.invalid == serial.invalid and report.learners == serial.learners
    assert '"carried-forward"' in got["json"] and "answered worked-" in got["json"]
    assert '"mistake": "' in got["json"] and "wrong shape" in got["json"]
    # this process graded only its share: the worker's grade() calls are not counted here
    assert 0 < shared.grade_calls < alone.grade_calls


def test_workers_give_the_same_reports_against_a_spec(files, two_cores):
    from handcalc.classgrade.assign import load_assignment

    reports = []
    for grading in (None, parallel.Parallel(1)):
        grader = cg.ClassGrader()
        a = load_assignment(EXAM, 2, grader.job)
        report = cg.grade_file(files[1], grader, assignment=a, grading=grading)
        reports.append((cg.render_json(report), render_gradebook(report),
                        feedback_markdown(report, grader, "en")))
    assert reports[0] == reports[1]


@pytest.mark.parametrize("fmt", ["json", "csv", "md"])
def test_the_command_writes_the_same_bytes_with_workers(files, tmp_path, monkeypatch, fmt):
    outputs = []
    for rows in (10**9, 1):  # in this process alone, then with a worker from the first row
        monkeypatch.setattr(parallel, "PARALLEL_ROWS", rows)
        (tmp_path / str(rows)).mkdir()
        monkeypatch.chdir(tmp_path / str(rows))
        result = CliRunner().invoke(cli, ["grade", str(files[0]), "-o", f"report.{fmt}",
                                          "--gradebook", "book.csv"])
        assert result.exit_code == 0, result.output
        outputs.append((Path(f"report.{fmt}").read_bytes(), Path("book.csv").read_bytes(),
                        result.stdout, result.stderr))
    assert outputs[0] == outputs[1]


def test_the_shares_hold_whole_groups_of_each_code_in_file_order(files):
    grader = cg.ClassGrader()
    report = cg.grade_file(files[0], grader)
    subs = [g.row for g in report.rows]
    shares = parallel.deal(subs, 2)
    assert sorted(shares[0] + shares[1]) == list(range(len(subs)))
    assert all(s == sorted(s) for s in shares)
    owner = {}
    for k, share in enumerate(shares):
        for i in share:
            assert owner.setdefault((subs[i].learner, subs[i].code), k) == k
    for code in {s.code for s in subs}:  # each code's rows about evenly shared
        counts = [sum(subs[i].code == code for i in share) for share in shares]
        assert abs(counts[0] - counts[1]) <= max(counts) // 2 + 5, (code, counts)


def test_small_files_are_graded_in_this_process():
    assert parallel.processes(parallel.PARALLEL_ROWS - 1, 3) == 1
    assert parallel.processes(10**6, 0) == 1
    assert 1 <= parallel.processes(10**6, 3) <= parallel.MAX_PROCESSES


def test_a_crash_grading_a_row_in_a_worker_is_the_same_invalid_row(tmp_path, monkeypatch,
                                                                   two_cores):
    real = cg.core.grade

    def flaky(ex, part, answer, **kw):
        if ex.code == "worked-5":
            raise RuntimeError("boom")
        return real(ex, part, answer, **kw)

    monkeypatch.setattr(cg.core, "grade", flaky)  # the forked worker has it too
    path = tmp_path / "class.csv"
    path.write_text(HEADER + "ann,worked-1,1,3.54\nann,worked-5,2,\"10, 18.81, 29.48\"\n"
                    "bob,worked-5,2,\"10, 18.81, 29.48\"\nbob,worked-1,1,3.54\n")
    serial = cg.grade_file(path)
    shared = cg.grade_file(path, grading=parallel.Parallel(1))
    assert [i.line for i in shared.invalid] == [3, 4]  # ann's row here, bob's in the worker
    assert shared.invalid == serial.invalid and "boom" in shared.invalid[1].reason
    assert cg.render_json(shared) == cg.render_json(serial)


def _refuses(share):
    raise SpecError("refused in the worker")


def _dies(share):
    os._exit(3)


@pytest.mark.parametrize("worker, code, line", [
    (_refuses, 2, "handcalc: refused in the worker"),
    (_dies, 1, "handcalc: a process grading a share of the rows ended before it was done"),
])
def test_an_error_in_a_worker_ends_the_command_with_one_line(files, tmp_path, monkeypatch,
                                                             two_cores, worker, code, line):
    monkeypatch.setattr(parallel, "grade_share", worker)
    out = tmp_path / "report.json"
    result = CliRunner().invoke(cli, ["grade", str(files[0]), "-o", str(out)])
    assert result.exit_code == code
    (said,) = result.stderr.splitlines()
    assert said.startswith(line), said
    assert "Traceback" not in result.output
    assert not out.exists() and list(tmp_path.iterdir()) == []


def test_the_json_report_is_json_dumps_of_the_report_dict(files):
    """Written piece by piece (each escaped on its own, a learner's repeated parts once),
    the JSON report is still json.dumps(report_dict, indent=2) with the characters a
    terminal would act on escaped."""
    import json
    import re

    from handcalc.classgrade.assign import load_assignment

    grader = cg.ClassGrader()
    plain = cg.grade_file(files[0], grader)
    spec = cg.grade_file(files[1], cg.ClassGrader(),
                         assignment=load_assignment(EXAM, 2, cg.ClassGrader().job))
    for report in (plain, spec):
        want = json.dumps(cg.report_dict(report), ensure_ascii=False, indent=2) + "\n"
        want = re.sub("[\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]",
                      lambda m: f"\\u{ord(m.group()):04x}", want)
        assert cg.render_json(report) == want
    assert "\\u202eeve" in cg.render_json(plain)
