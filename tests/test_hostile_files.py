"""Hostile files: malformed worksheet specs (`handcalc worksheet`) and submission CSVs
(`handcalc grade`), generated in tmp_path: huge files, deep nesting, binary junk, byte-order
marks, wrong encodings, formula injection. Each must end with the documented exit code
(0, or 2 with one line on stderr), never a traceback, and write nothing when refused.
"""

import csv
import io
import re

import pytest
from click.testing import CliRunner

from handcalc.cli import cli

BASE = 'title = "T"\nseed = 1\n[[sections]]\nfamily = "score"\nlevel = 1\n'
HEADER = "learner,code,part,answer\n"
GOOD = 'ann,worked-5,2,"10, 18.81, 29.48"\n'


def invoke(*args):
    # no wall-clock limit here: the machines are shared; benchmarks/ measure speed
    result = CliRunner().invoke(cli, [str(a) for a in args])
    assert "Traceback" not in result.output, result.output[-2000:]
    assert result.exception is None or isinstance(result.exception, SystemExit), \
        repr(result.exception)
    return result


def assert_one_line_error(result):
    assert result.exit_code == 2, (result.exit_code, result.output[-500:])
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("handcalc: "), result.stderr[:1000]
    assert len(lines[0]) < 1000, lines[0][:300]


def worksheet(tmp_path, data: bytes):
    spec = tmp_path / "spec.toml"
    spec.write_bytes(data)
    out = tmp_path / "sheet.md"
    result = invoke("worksheet", spec, "--format", "md", "-o", out, "--key", tmp_path / "key.md")
    return result, out


# ---------------------------------------------------------------- worksheet specs

REFUSED_SPECS = {
    "empty": b"",
    "binary junk": bytes(range(256)) * 40,
    "utf-16": BASE.encode("utf-16"),
    "latin-1": BASE.replace('"T"', '"Caf\xe9"').encode("latin-1"),
    "NUL in a string": BASE.replace('"T"', '"T\x00"').encode(),
    "not TOML": b"title: T\nsections: - score\n",
    "5 MB title": BASE.replace('"T"', '"' + "x" * 5_000_000 + '"').encode(),
    "huge count": (BASE + "count = 100000000000000000000000000000\n").encode(),
    "many versions": BASE.replace("seed = 1", "seed = 1\nversions = 100000").encode(),
    "20000 sections": ('title = "T"\nseed = 1\n'
                       + '[[sections]]\nfamily = "score"\nlevel = 1\n' * 20000).encode(),
    "float seed": BASE.replace("seed = 1", "seed = 1e300").encode(),
    "inf seed": BASE.replace("seed = 1", "seed = inf").encode(),
    "date seed": BASE.replace("seed = 1", "seed = 1979-05-27T07:32:00Z").encode(),
    "boolean level": BASE.replace("level = 1", "level = true").encode(),
    "unknown family": BASE.replace('"score"', '"score\\u0000"').encode(),
    "formula as a code": b'title = "T"\n[[sections]]\ncodes = ["=cmd|\' /C calc\'!A0"]\n',
    "100-digit code": ('title = "T"\n[[sections]]\ncodes = ["causal-2-' + "9" * 100
                       + '"]\n').encode(),
    "sections not tables": b'title = "T"\nsections = [1, 2, 3]\n',
    "300 nested arrays": ('title = "T"\nx = ' + "[" * 300 + "]" * 300 + "\n").encode(),
}


@pytest.mark.parametrize("data", REFUSED_SPECS.values(), ids=REFUSED_SPECS.keys())
def test_hostile_spec_is_refused_with_one_line(tmp_path, data):
    result, out = worksheet(tmp_path, data)
    assert_one_line_error(result)
    assert not out.exists() and not (tmp_path / "key.md").exists()


def test_spec_with_a_30_mb_comment_is_refused_by_its_size(tmp_path):
    """A spec is capped at 1 MB (fileio.MAX_SPEC_BYTES), comments included."""
    result, out = worksheet(tmp_path, BASE.encode() + b"#" + b"x" * 30_000_000 + b"\n")
    assert_one_line_error(result)
    assert "more than the 1 MB allowed" in result.stderr
    assert not out.exists()


def test_spec_with_a_900_kb_comment_still_works(tmp_path):
    result, out = worksheet(tmp_path, BASE.encode() + b"#" + b"x" * 900_000 + b"\n")
    assert result.exit_code == 0, result.output[-500:]
    assert out.exists()


def test_spec_with_a_byte_order_mark_is_read(tmp_path):
    result, out = worksheet(tmp_path, b"\xef\xbb\xbf" + BASE.encode())
    assert result.exit_code == 0, result.output[-500:]
    assert out.exists()


@pytest.mark.parametrize("data", [
    ('title = "T"\nx = ' + "[" * 1000 + "]" * 1000 + "\n").encode(),
    ('title = "T"\nx = ' + "{a = " * 1000 + "1" + "}" * 1000 + "\n").encode(),
], ids=["1000 nested arrays", "1000 nested inline tables"])
def test_deeply_nested_spec_is_refused(tmp_path, data):
    # tomllib recurses: a RecursionError here was a traceback until fe3e333
    result, out = worksheet(tmp_path, data)
    assert_one_line_error(result)


def test_spec_with_a_5000_digit_code_is_refused(tmp_path):
    data = ('title = "T"\n[[sections]]\ncodes = ["worked-' + "9" * 5000 + '"]\n').encode()
    result, out = worksheet(tmp_path, data)
    assert_one_line_error(result)


# ---------------------------------------------------------------- submission CSVs


def grade(tmp_path, data: bytes, report: str = "report.csv"):
    path = tmp_path / "class.csv"
    path.write_bytes(data)
    out = tmp_path / report
    return invoke("grade", path, "-o", out), out


def report_rows(out):
    return list(csv.reader(io.StringIO(out.read_text(encoding="utf-8"))))


UNREADABLE_CSVS = {
    "empty": b"",
    "binary junk": bytes(range(256)) * 40,
    "utf-16 without BOM": (HEADER + GOOD).encode("utf-16-le"),
    "wrong header": b"name,score\nann,3\n",
}


@pytest.mark.parametrize("data", UNREADABLE_CSVS.values(), ids=UNREADABLE_CSVS.keys())
def test_unreadable_submissions_exit_2_and_write_nothing(tmp_path, data):
    result, out = grade(tmp_path, data)
    assert_one_line_error(result)
    assert not out.exists()


GRADED_CSVS = {  # name: (file, rows graded correct, invalid rows)
    "BOM": (b"\xef\xbb\xbf" + (HEADER + GOOD).encode(), 1, 0),
    "utf-16 with BOM": ((HEADER + GOOD).encode("utf-16"), 1, 0),
    "a latin-1 row": ((HEADER + GOOD + "z\xe9,worked-1,1,3.54\n").encode("latin-1"), 1, 1),
    "2 MB quoted field": ((HEADER + 'ann,worked-1,1,"' + "9" * 2_000_000 + '"\n'
                           + GOOD).encode(), 1, 1),
    "500 kB unquoted field": ((HEADER + "ann,worked-1,1," + "1" * 500_000 + "\n"
                               + GOOD).encode(), 1, 1),
    "100000 columns": ((HEADER + "a," * 100000 + "b\n" + GOOD).encode(), 1, 1),
    "quote never closed": ((HEADER + GOOD + 'bob,worked-1,1,"3.54\n').encode(), 1, 1),
    "deeply nested answers": ((HEADER + 'ann,worked-1,1,"' + "[" * 5000 + "]" * 5000
                               + '"\nbob,worked-1,1,' + "(" * 5000 + "1" + ")" * 5000
                               + "\n" + GOOD).encode(), 1, 2),
    "CR line ends": ((HEADER + GOOD + "bob,worked-1,1,3.54\n").replace("\n", "\r").encode(),
                     2, 0),
    "100-digit code": ((HEADER + "ann,causal-2-" + "9" * 100 + ",1,1\n" + GOOD).encode(),
                       1, 1),
    "a NUL in a row": ((HEADER + GOOD + "a\x00b,worked-1,1,3.54\n").encode(), 1, 1),
    "a NUL in a UTF-16 row": ((HEADER + GOOD + "a\x00b,worked-1,1,3.54\n").encode("utf-16"),
                              1, 1),
}


@pytest.mark.parametrize(("data", "correct", "invalid"), GRADED_CSVS.values(),
                         ids=GRADED_CSVS.keys())
def test_malformed_rows_are_reported_and_the_rest_graded(tmp_path, data, correct, invalid):
    result, out = grade(tmp_path, data)
    undecodable = "not UTF-8" in result.stderr  # graded, but learners lost rows: exit 3
    assert result.exit_code == (3 if undecodable else 0), result.output[-1000:]
    rows = report_rows(out)[1:]
    status = [r[5] for r in rows]
    assert status.count("correct") == correct, rows
    assert status.count("invalid") == invalid, [r[-1][:100] for r in rows]
    lines = [x for x in result.stderr.strip().splitlines() if not x.startswith("handcalc: ")]
    assert len(lines) == invalid
    lost = "handcalc: not UTF-8 text, so not graded: 1 row of 1 learner"
    assert (lost in result.stderr) == undecodable
    for line in lines:
        assert re.match(r".*class\.csv:\d+: ", line) and len(line) < 1000, line[:300]


def test_thirty_thousand_rows_are_graded(tmp_path):
    rows = "".join(f"l{i % 300},worked-{1 + i % 10},1,{i % 7}.{i % 97:02d}\n"
                   for i in range(30000))
    result, out = grade(tmp_path, (HEADER + rows).encode())
    assert result.exit_code == 0, result.output[-500:]
    assert len(report_rows(out)) == 30001


INJECTION = [
    ("=cmd|' /C calc'!A0", "worked-1", "1", "3.54"),
    ("bob", "worked-1", "1", "=cmd|' /C calc'!A0"),
    ("@SUM(A1)", "worked-1", "1", "+cmd|' /C calc'!A0"),
    ("ann", '=HYPERLINK("http://x")', "1", "1"),
    ("eve", "worked-1", "=1+1", "3.54"),
    ("\tx", "worked-1", "1", "-3.54"),
    ("cy", "worked-1", "1", "-1.5"),
    ("dee", "worked-1", "1", "-sqrt(2)"),
]


def _csv(rows):
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(["learner", "code", "part", "answer"])
    w.writerows(rows)
    return out.getvalue().encode()


def _dangerous(cell: str) -> bool:
    """A cell a spreadsheet would run: starts with = @ tab CR, or with + or - followed by
    a call of a name other than the answer grammar's functions."""
    if cell[:1] in ("=", "@", "\t", "\r"):
        return True
    if cell[:1] in ("+", "-"):
        names = re.findall(r"([A-Za-z_]+)\s*\(", cell)
        return any(n.lower() not in ("sqrt", "exp", "ln", "log") for n in names) or \
            any(ch in cell for ch in "|!\"':")
    return False


def test_formula_injection_is_neutralised_in_the_csv_report(tmp_path):
    result, out = grade(tmp_path, _csv(INJECTION))
    assert result.exit_code == 0, result.output[-1000:]
    rows = report_rows(out)
    assert len(rows) == len(INJECTION) + 1
    for r in rows:
        for cell in r:
            assert not _dangerous(cell), cell
    answers = {r[1]: r[4] for r in rows[1:]}
    assert answers["cy"] == "-1.5"  # plain numbers stay numbers
    assert answers["dee"] == "'-sqrt(2)"  # a spreadsheet would run it as a formula


@pytest.mark.parametrize("answer", ["-IMPORTXML(CONCAT(A2,B2),A2)", "+WEBSERVICE(A2)"])
def test_sign_led_function_calls_are_neutralised(tmp_path, answer):
    result, out = grade(tmp_path, _csv([("ann", "worked-1", "1", answer)]))
    assert result.exit_code == 0
    for r in report_rows(out):
        for cell in r:
            assert not _dangerous(cell), cell


def test_csv_with_a_5000_digit_code_is_graded(tmp_path):
    result, out = grade(tmp_path, (HEADER + "ann,worked-" + "9" * 5000 + ",1,1\n"
                                   + GOOD).encode())
    assert result.exit_code == 0
