"""Reports written as they are produced: the JSON, CSV and Markdown reports in chunks are
exactly the text they were when built whole, and a file written from chunks lands whole or
not at all (handcalc.io.fileio)."""

import csv
import dataclasses
import io
import json
import os
import random
import re
import threading
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from handcalc import classgrade as cg
from handcalc.classgrade import report_json
from handcalc.classgrade.assign import load_assignment
from handcalc.classgrade.report_csv import _cell
from handcalc.core.rounding import fmt2
from handcalc.io import fileio

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data" / "submissions"
EXAM = ROOT / "problems" / "exam.toml"

# ---------------------------------------------------------------- JSON, value by value

keys = st.one_of(st.text(), st.integers(), st.floats(), st.booleans(), st.none())
scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text())
values = st.recursive(
    scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.tuples(inner, inner),
                            st.dictionaries(keys, inner, max_size=4)),
    max_leaves=30)


@given(values, st.integers(min_value=0, max_value=4))
def test_value_is_json_dumps_with_indent_2(value, level):
    want = json.dumps(value, ensure_ascii=False, indent=2).replace("\n", "\n" + "  " * level)
    assert report_json._value(value, level) == want


def test_value_refuses_what_json_refuses():
    for bad in ({(1, 2): 3}, {"a": object()}, [1j]):
        with pytest.raises(TypeError):
            json.dumps(bad)
        with pytest.raises(TypeError):
            report_json._value(bad, 0)


# ---------------------------------------------------------------- whole reports


def reference_json(report):
    """The JSON report as it was built before it was streamed: one json.dumps."""
    text = json.dumps(cg.report_dict(report), ensure_ascii=False, indent=2)
    return report_json._UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", text) + "\n"


def reference_csv(report):
    """The CSV report as it was built before it was streamed: every line, then one sort."""
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(cg.CSV_COLUMNS)
    lines = []
    for g in report.rows:
        r, v = g.row, g.verdict
        d = None if v is None else v.diagnosis
        lines.append((r.line, [r.line, r.learner, r.code, r.part, r.text,
                               "correct" if g.correct else "incorrect",
                               cg.score_text(g.score), g.accepted_by or "",
                               d.mistake.id if d else "", str(d.text()) if d else "",
                               "yes" if g.counted else "no", g.note]))
    for i in report.invalid:
        lines.append((i.line, [i.line, i.learner, i.code, i.part, i.answer, "invalid", "",
                               "", "", "", "no", i.reason]))
    for _, cells in sorted(lines, key=lambda x: x[0]):
        w.writerow([_cell(c) for c in cells])
    if report.unlisted:
        w.writerow(["", "", "", "", "", "invalid", "", "", "", "", "no",
                    cg.messages.NOT_LISTED.format(count=report.unlisted,
                                                  listed=cg.MAX_LISTED_INVALID)])
    return out.getvalue()


WEIRD = ["ann\u202e", "b\x9bob", "=cmd", "caf\u00e9", "\u5f20\u4e09", "d\u2066e", "-2"]
ANSWERS = ["1, 3", "0.71, 2.12", "0.20, 0.80", "0.12, 0.88", "3.54", "[[1,2],[3,4]]",
           "=1+2", "abc", "1\n2", "-inf", "\u22121.5", "\uff10.\uff17\uff11", "\x9b1"]


def messy_class(tmp_path, invalid=30):
    """Answers right and wrong, repeated, of the wrong shape, with controls, bidirectional
    marks and formulas in the cells, duplicates, rows that cannot be graded (some with
    undecodable bytes)."""
    rng = random.Random(3)
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(["learner", "code", "part", "answer"])
    for _ in range(300):
        w.writerow([rng.choice(WEIRD), rng.choice(["worked-4", "worked-5", "worked-1"]),
                    rng.randint(1, 3), rng.choice(ANSWERS)])
    for n in range(invalid):
        w.writerow([f"bad{n}", "worked-99", 1, 1])
    path = tmp_path / f"messy-{invalid}.csv"
    path.write_bytes(out.getvalue().encode() + b"zed,worked-4,1,\xff 1\n")
    return path


@pytest.fixture(scope="module")
def reports(tmp_path_factory):
    """Reports of several kinds: the corpus's good file, a messy class, a class of more
    invalid rows than are listed, and a class graded against a spec."""
    tmp = tmp_path_factory.mktemp("stream")
    out = {"good": cg.grade_file(DATA / "good.csv"),
           "messy": cg.grade_file(messy_class(tmp))}
    many = messy_class(tmp, invalid=cg.MAX_LISTED_INVALID + 5)
    out["unlisted"] = cg.grade_file(many)
    assert out["unlisted"].unlisted > 0
    grader = cg.ClassGrader()
    a = load_assignment(EXAM, 3, grader.job)
    rows = [["learner", "version", "exercise", "part", "answer"]]
    for i in range(6):
        version = i % 3 + 1
        for slot in a.versions[version - 1]:
            for p in grader.exercise(slot.code).parts:
                if (i + p.number) % 4:
                    rows.append([f"l{i}", version, slot.exercise, p.number,
                                 ", ".join(fmt2(v) for r in p.answer for v in r)])
    path = tmp / "spec.csv"
    with open(path, "w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows(rows)
    out["spec"] = cg.grade_file(path, grader, assignment=a)
    return out


@pytest.mark.parametrize("kind", ["good", "messy", "unlisted", "spec"])
def test_json_report_is_the_json_dumps_of_report_dict(reports, kind):
    report = reports[kind]
    text = cg.render_json(report)
    assert text == reference_json(report)
    assert "".join(cg.iter_json(report)) == text
    json.loads(text)


@pytest.mark.parametrize("kind", ["good", "messy", "unlisted", "spec"])
def test_csv_report_is_the_sorted_lines(reports, kind):
    report = reports[kind]
    assert cg.render_csv(report) == reference_csv(report)
    assert "".join(cg.iter_csv(report, batch=7)) == cg.render_csv(report)


def test_csv_report_sorts_rows_given_out_of_order(reports):
    report = reports["messy"]
    shuffled = list(report.rows)
    random.Random(1).shuffle(shuffled)
    report = dataclasses.replace(report, rows=tuple(shuffled),
                                 invalid=tuple(reversed(report.invalid)))
    assert cg.render_csv(report) == reference_csv(report)


@pytest.mark.parametrize("kind", ["good", "messy", "unlisted", "spec"])
def test_markdown_report_in_chunks_is_the_same_text(reports, kind):
    report = reports[kind]
    text = cg.render_markdown(report)
    assert "".join(cg.iter_markdown(report, batch=3)) == text
    assert text.endswith("\n") and not text.endswith("\n\n")


def test_json_chunks_are_bounded(reports):
    chunks = list(cg.iter_json(reports["unlisted"]))
    assert len(chunks) > 1
    assert max(map(len, chunks)) < 2 * report_json.CHUNK


# ---------------------------------------------------------------- files from chunks


@pytest.mark.parametrize("size", [70_000, 300, 1])
def test_a_file_is_written_from_chunks(tmp_path, size):
    # large chunks written as they come, small ones gathered; more than fileio.CHUNK
    chunks = [bytes([65 + n % 26]) * (size + n % 7) for n in range(3_000_000 // size)]
    chunks[5:5] = [b"x" * 200_000, b"", b"y"]
    fileio.write_files([(tmp_path / "r.txt", iter(chunks))])
    assert (tmp_path / "r.txt").read_bytes() == b"".join(chunks)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.txt"]


def test_a_failure_while_producing_chunks_leaves_every_output_as_it_was(tmp_path):
    (tmp_path / "a.txt").write_bytes(b"old a")

    def broken():
        yield b"new " * 400_000
        raise RuntimeError("renderer broke")

    with pytest.raises(RuntimeError, match="renderer broke"):
        fileio.write_files([(tmp_path / "b.txt", b"new b"), (tmp_path / "a.txt", broken())])
    assert (tmp_path / "a.txt").read_bytes() == b"old a"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.txt"]


def test_a_stream_gets_its_chunks_only_once_every_file_is_produced(tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    got = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_bytes()))
    reader.start()
    fileio.write_files([(fifo, iter([b"one ", b"two"])), (tmp_path / "r.txt", iter([b"x"]))])
    reader.join(10)
    assert got == [b"one two"]
    assert (tmp_path / "r.txt").read_bytes() == b"x"


def test_a_report_written_from_chunks_is_the_report(tmp_path, reports):
    report = reports["messy"]
    for fmt in ("json", "csv", "md"):
        cg.write_report(tmp_path / f"r.{fmt}", cg.STREAMS[fmt](report))
        text = (tmp_path / f"r.{fmt}").read_bytes().decode("utf-8")
        assert text == cg.RENDERERS[fmt](report)


# ---------------------------------------------------------------- totals


@given(st.lists(st.one_of(st.fractions(max_denominator=50), st.integers(-5, 5)), max_size=60))
def test_fraction_sum_is_sum(values):
    from fractions import Fraction

    from handcalc.classgrade.marks import fraction_sum

    got = fraction_sum(values)
    assert got == sum(values, Fraction(0)) and isinstance(got, Fraction)


# ---------------------------------------------------------------- reading


@given(st.text(alphabet=',;\t "\r\n\x00a1.\u3000\u00a0-', max_size=30),
       st.sampled_from([",", ";", "\t"]))
def test_a_line_is_split_as_the_csv_module_splits_it(line, delimiter):
    import csv as csv_module

    from handcalc.classgrade.read import _parse

    def by_csv():
        reader = csv_module.reader([line], delimiter=delimiter, strict=True,
                                   skipinitialspace=True)
        return [[f.strip() for f in record] for record in reader]

    try:
        want = by_csv()
    except csv_module.Error as e:
        with pytest.raises(csv_module.Error, match=re.escape(str(e))):
            _parse([line], delimiter)
    else:
        assert _parse([line], delimiter) == want


# ---------------------------------------------------------------- plain answers, read fast

_PIECES = ["0", "1", "7", "12", "0.5", "3.14", "-", ".", " ", "  ", ",", ";", "[", "]", "\t",
           "e", "+", "1e3", "9" * 13, "0.0000000000001", "00", "\uff11", "(", "x"]


def _numbers():
    return st.builds(lambda neg, whole, frac: ("-" if neg else "") + whole +
                     ("." + frac if frac else ""),
                     st.booleans(), st.from_regex(r"[0-9]{1,13}", fullmatch=True),
                     st.one_of(st.just(""), st.from_regex(r"[0-9]{1,13}", fullmatch=True)))


def _plain_answers():
    row = st.lists(_numbers(), min_size=1, max_size=4)
    sep = st.sampled_from([", ", ",", " ", "  ", " , "])
    rows = st.lists(st.tuples(row, sep).map(lambda r: r[1].join(r[0])), min_size=1,
                    max_size=4)
    return st.one_of(
        rows.map("; ".join), rows.map(lambda r: "[" + ";".join(r) + "]"),
        rows.map(lambda r: "[" + ", ".join("[" + x + "]" for x in r) + "]"),
        rows.map(lambda r: "[[" + "] [".join(r) + "]]"))


@given(st.one_of(_plain_answers(),
                 st.lists(st.sampled_from(_PIECES), max_size=12).map("".join)))
def test_plain_answers_read_fast_are_what_the_parser_reads(text):
    from handcalc.core.parse import _simple
    from handcalc.core.parse.grammar import Parser as _Parser
    from handcalc.core.parse.tokens import tokenize as _tokenize
    from handcalc.errors import ParseError

    fast = _simple(text)
    try:
        slow = _Parser(_tokenize(text)).parse_answer()
    except ParseError:
        assert fast is None
        return
    if fast is not None:
        assert fast == slow
        assert [[type(v) for v in r] for r in fast] == [[type(v) for v in r] for r in slow]


def test_bytes_like_data_still_reaches_a_stream_as_it_is(tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    got = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_bytes()))
    reader.start()
    fileio.write_files([(fifo, bytearray(b"abc"))])
    reader.join(10)
    assert got == [b"abc"]
