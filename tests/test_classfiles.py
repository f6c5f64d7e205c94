"""Class files as they come from real spreadsheets and hostile hands: multi-line cells,
delimiters, encodings (UTF-16, GBK), NUL bytes, special files, huge garbage, and the
escaping of submission text in reports and on the terminal."""

import csv
import io
import json
import os
import re
import stat
import subprocess
import sys
import textwrap

import pytest
from click.testing import CliRunner

from handcalc import classgrade as cg
from handcalc.classgrade import core, read
from handcalc.cli import cli

HEADER = "learner,code,part,answer\n"
GOOD = 'ann,worked-5,2,"10, 18.81, 29.48"\n'


def run(*args, input=None):
    return CliRunner().invoke(cli, ["grade", *map(str, args)], input=input)


def write(tmp_path, data, name="class.csv"):
    path = tmp_path / name
    path.write_bytes(data.encode() if isinstance(data, str) else data)
    return path


def graded(result, clean=True):
    """The JSON report; exit 0, or 3 (NOT_CLEAN) when rows were not text in the encoding."""
    assert result.exit_code == (0 if clean else 3), result.output[-2000:]
    return json.loads(result.stdout)


def assert_one_line_error(result, *words):
    assert result.exit_code == 2, (result.exit_code, result.output[-1000:])
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("handcalc: "), result.stderr[:1000]
    for w in words:
        assert w in lines[0], lines[0]
    return lines[0]


# ---------------------------------------------------------------- multi-line cells


def test_a_quoted_cell_spanning_lines_is_one_row(tmp_path):
    path = write(tmp_path, HEADER + 'bob,worked-5,1,"1 -inf -inf\n2 4 -inf\n3 6 9"\n'
                                    'cat,worked-5,1,"[[1, -inf, -inf],\r\n [2, 4, -inf],\r\n'
                                    ' [3, 6, 9]]"\n'
                                    'dan,worked-4,1,"0.71,\n2.12"\n'
                                    "eve,worked-1,1,x\n")
    data = graded(run(path, "--json"))
    assert [(r["line"], r["learner"], r["correct"]) for r in data["rows"]] == [
        (2, "bob", True), (5, "cat", True), (8, "dan", True)]
    assert data["rows"][0]["answer"] == "1 -inf -inf\n2 4 -inf\n3 6 9"  # as typed
    (bad,) = data["invalid"]
    assert bad["line"] == 10 and bad["learner"] == "eve"  # later rows keep their line


def test_lines_of_a_cell_are_matrix_rows_only_without_brackets_or_semicolons():
    assert cg.cell_answer("1 2\n3 4") == "1 2; 3 4"
    assert cg.cell_answer("1, 2,\r\n3, 4\n") == "1, 2; 3, 4"
    assert cg.cell_answer("[[1, 2],\n[3, 4]]") == "[[1, 2],\n[3, 4]]"
    assert cg.cell_answer("1 2;\n3 4") == "1 2;\n3 4"
    assert cg.cell_answer("3.54") == "3.54"


def test_a_quote_never_closed_costs_its_own_line_only(tmp_path):
    rows = "".join(f"l{i},worked-1,1,3.54\n" for i in range(30))
    path = write(tmp_path, HEADER + 'bob,worked-1,1,"3.54\n' + rows + 'cy,worked-1,1,"3.5\n')
    data = graded(run(path, "--json"))
    assert len(data["rows"]) == 30 and all(r["correct"] for r in data["rows"])
    assert [(i["line"], "never closed" in i["reason"]) for i in data["invalid"]] == [
        (2, True), (33, True)]


def test_a_quote_that_closes_a_few_lines_later_swallows_no_good_rows(tmp_path):
    # a stray quote on line 2 and another on line 4: the joined lines are not one CSV
    # record, so each line is read on its own
    path = write(tmp_path, HEADER + 'ann,worked-1,1,3.54"\nbob,worked-1,1,3.54\n'
                                    'cat,worked-1,1,3"54\ndan,worked-1,1,3.54\n')
    data = graded(run(path, "--json"))
    assert [r["learner"] for r in data["rows"]] == ["bob", "dan"]
    assert [i["line"] for i in data["invalid"]] == [2, 4]


def test_a_bad_row_inside_a_multi_line_record_is_numbered_by_its_first_line(tmp_path):
    path = write(tmp_path, (HEADER + 'ann,worked-5,1,"1 -inf -inf\n2 4 -inf\n3 6 9"\n'
                            'Jos\xe9,worked-5,1,"1 -inf -inf\n2 \xe9 -inf\n3 6 9"\n' + GOOD
                            ).encode("latin-1"))
    data = graded(run(path, "--json"), clean=False)
    (bad,) = data["invalid"]
    assert bad["line"] == 5 and "byte 0xe9 at column 4" in bad["reason"]
    assert [r["line"] for r in data["rows"]] == [2, 8]


# ---------------------------------------------------------------- delimiters


@pytest.mark.parametrize("delimiter", [",", ";", "\t"])
def test_semicolon_and_tab_files_are_read_like_comma_files(tmp_path, delimiter):
    rows = [["learner", "code", "part", "answer"], ["ann", "worked-4", "1", "0.71, 2.12"],
            ["ann", "worked-5", "1", "1 -inf -inf; 2 4 -inf; 3 6 9"],
            ["bob", "worked-1", "1", "3.54"]]
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    data = graded(run(write(tmp_path, out.getvalue()), "--json"))
    assert [(r["learner"], r["correct"]) for r in data["rows"]] == [
        ("ann", True), ("ann", True), ("bob", True)]
    assert data["invalid"] == []


def test_the_delimiter_comes_from_the_header_not_the_data(tmp_path):
    # a comma file whose answers are full of semicolons stays a comma file ...
    comma = HEADER + "".join(f'l{i},worked-5,1,"1 -inf -inf; 2 4 -inf; 3 6 9"\n'
                             for i in range(5))
    data = graded(run(write(tmp_path, comma), "--json"))
    assert len(data["rows"]) == 5 and all(r["correct"] for r in data["rows"])
    # ... and a semicolon file takes unquoted commas as part of the answer
    semi = "Learner; Code; Part; Answer\nann;worked-4;1;0.71, 2.12\nbob;worked-4;1;1;3\n"
    data = graded(run(write(tmp_path, semi, "semi.csv"), "--json"))
    assert [r["learner"] for r in data["rows"]] == ["ann"]
    (bad,) = data["invalid"]
    assert "got 5" in bad["reason"] and "semicolons" in bad["reason"]


def test_a_file_without_header_is_read_with_its_own_delimiter(tmp_path):
    data = graded(run(write(tmp_path, "ann;worked-1;1;3.54\nbob;worked-1;1;3.5\n"), "--json"))
    assert [r["correct"] for r in data["rows"]] == [True, False]
    assert "missing header" in data["warnings"][0]["message"]


# ---------------------------------------------------------------- encodings and NULs

GBK_CLASS = (HEADER + "张三,worked-1,1,3.54\n李四,worked-4,1,\"0.71，2.12\"\n"
             "王小明,worked-1,1,3.5\nann,worked-1,1,3.54\n")


def test_a_gbk_file_is_refused_with_the_hint_and_graded_with_its_encoding(tmp_path):
    path = write(tmp_path, GBK_CLASS.encode("gb18030"))
    report = tmp_path / "r.json"
    line = assert_one_line_error(run(path, "-o", report), "not UTF-8", "--encoding gb18030")
    assert "3 of 4 rows" in line
    assert not report.exists()
    for name in ("gb18030", "GBK", "gb2312"):
        data = graded(run(path, "--json", "--encoding", name))
        assert [(r["learner"], r["correct"]) for r in data["rows"]] == [
            ("张三", True), ("李四", True), ("王小明", False), ("ann", True)]


def test_a_gbk_file_with_only_chinese_names_never_grades_nothing(tmp_path):
    path = write(tmp_path, (HEADER + "张三,worked-1,1,3.54\n").encode("gb18030"))
    assert_one_line_error(run(path), "1 of 1 rows", "--encoding gb18030")


def test_a_gbk_header_is_refused_with_the_hint(tmp_path):
    path = write(tmp_path, "学生,代码,题,答案\n张三,worked-1,1,3.54\n".encode("gb18030"))
    assert_one_line_error(run(path), "line 1", "not UTF-8", "--encoding gb18030")


def test_with_an_encoding_an_undecodable_row_is_invalid_on_its_own(tmp_path):
    bad = "钱,worked-1,1,3.54\n".encode("gb18030").replace("钱".encode("gb18030"), b"\x81\x20")
    path = write(tmp_path, GBK_CLASS.encode("gb18030") + bad)
    data = graded(run(path, "--json", "--encoding", "gb18030"), clean=False)
    assert len(data["rows"]) == 4
    (row,) = data["invalid"]
    assert row["line"] == 6 and "not gb18030 text (byte 0x81 at column 1)" in row["reason"]


@pytest.mark.parametrize("name", ["nope", "utf-9", "base64", "rot13", "zlib", ""])
def test_an_unknown_or_non_text_encoding_is_refused(tmp_path, name):
    path = write(tmp_path, HEADER + GOOD)
    assert_one_line_error(run(path, "--encoding", name), "unknown encoding")


def test_a_utf8_file_with_a_few_bad_bytes_still_grades_the_rest(tmp_path):
    rows = "".join(f"l{i},worked-1,1,3.54\n" for i in range(40))
    path = write(tmp_path, HEADER.encode() + rows.encode() + b"Jos\xe9,worked-1,1,3.54\n" * 4)
    data = graded(run(path, "--json"), clean=False)
    assert len(data["rows"]) == 40 and len(data["invalid"]) == 4


def test_a_file_mostly_not_utf8_is_refused(tmp_path):
    rows = "".join(f"l{i},worked-1,1,3.54\n" for i in range(20))
    path = write(tmp_path, HEADER.encode() + rows.encode() + b"Jos\xe9,worked-1,1,3.54\n" * 3)
    assert_one_line_error(run(path), "3 of 23 rows are not UTF-8")


@pytest.mark.parametrize(("bad", "rows", "refused"), [
    (0, 0, False), (0, 10, False), (1, 1, True), (2, 2, True), (1, 2, False), (2, 4, False),
    (3, 30, False), (3, 29, True), (4, 1000, False), (101, 1000, True)])
def test_the_refusal_rule(bad, rows, refused):
    assert read.too_many_undecodable(bad, rows) is refused


def test_utf16_one_bad_code_unit_invalidates_its_own_row(tmp_path):
    body = (HEADER + GOOD + "bob,worked-1,1,3.54\n" + GOOD).encode("utf-16-le")
    start = body.index("bob".encode("utf-16-le"))
    broken = body[:start] + b"\x00\xd8" + body[start + 2:]  # a lone high surrogate for 'b'
    data = graded(run(write(tmp_path, b"\xff\xfe" + broken), "--json"), clean=False)
    assert len(data["rows"]) == 2
    (bad,) = data["invalid"]
    assert bad["line"] == 3 and "not UTF-16 text" in bad["reason"]


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-16", "utf-32"])
def test_a_byte_order_mark_wins_over_the_encoding_given(tmp_path, encoding):
    path = write(tmp_path, (HEADER + "张三,worked-1,1,3.54\n").encode(encoding))
    data = graded(run(path, "--json", "--encoding", "gb18030"))
    assert data["rows"][0]["learner"] == "张三"


def test_utf16_without_bom_needs_its_encoding(tmp_path):
    path = write(tmp_path, (HEADER + GOOD).encode("utf-16-le"))
    assert_one_line_error(run(path), "NUL", "--encoding utf-16-le")
    assert len(graded(run(path, "--json", "--encoding", "utf-16-le"))["rows"]) == 1


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "utf-16", "utf-16-be", "utf-32",
                                      "gb18030"])
def test_a_nul_invalidates_its_own_row_in_every_encoding(tmp_path, encoding):
    text = HEADER + GOOD + "a\x00b,worked-1,1,3.54\n" + "bob,worked-1,1,3.5\x00\n" + GOOD
    path = write(tmp_path, text.encode(encoding))
    args = [] if encoding in ("utf-8", "utf-8-sig", "utf-16", "utf-32") else ["--encoding",
                                                                            encoding]
    data = graded(run(path, "--json", *args))
    assert [r["line"] for r in data["rows"]] == [2, 5]
    reasons = {i["line"]: i["reason"] for i in data["invalid"]}
    assert "NUL" in reasons[3] and "column 2" in reasons[3]
    assert "NUL" in reasons[4] and "column 19" in reasons[4]


def test_full_width_answers_in_a_class_file(tmp_path):
    path = write(tmp_path, HEADER + 'ann,worked-4,1,"０.７１，２.１２"\nbob,worked-4,1,0.71、2.12\n'
                                    "cy,worked-1,1,3。54\n")
    data = graded(run(path, "--json"))
    assert [r["correct"] for r in data["rows"]] == [True, True]
    assert "type . for a decimal point" in data["invalid"][0]["reason"]


# ---------------------------------------------------------------- what is read at all


def test_a_fifo_is_refused_at_once(tmp_path):
    fifo = tmp_path / "class.csv"
    os.mkfifo(fifo)  # no writer: opening it for a blocking read would wait for ever
    assert_one_line_error(run(fifo), "give a regular file", "FIFO")


def test_a_character_device_is_refused_without_reading(tmp_path):
    zero = tmp_path / "zero"
    try:
        os.mknod(zero, 0o600 | stat.S_IFCHR, os.makedev(1, 5))  # a private /dev/zero
    except (PermissionError, OSError) as e:
        pytest.skip(f"cannot make a device node here: {e}")
    assert_one_line_error(run(zero), "give a regular file", "device")


def test_a_directory_is_refused(tmp_path):
    assert_one_line_error(run(tmp_path), "cannot read a folder")


def test_a_file_over_the_limit_is_refused_before_reading(tmp_path, monkeypatch):
    monkeypatch.setattr(read, "MAX_BYTES", 1024 * 1024)
    path = write(tmp_path, HEADER + GOOD * 40000)  # 1.4 MB
    assert_one_line_error(run(path), "too large", "1.05 MB")
    small = write(tmp_path, HEADER + GOOD * 100, "small.csv")
    assert len(graded(run(small, "--json"))["rows"]) == 100


def test_standard_input(monkeypatch):
    data = graded(run("-", "--json", input=HEADER + GOOD))
    assert data["source"] == "<stdin>" and len(data["rows"]) == 1
    result = run("-", input=HEADER + "ann,worked-1,1,x\n")
    assert result.exit_code == 0 and "<stdin>:2: answer:" in result.stderr
    monkeypatch.setattr(read, "MAX_BYTES", 100)
    assert_one_line_error(run("-", input=HEADER + GOOD * 10), "<stdin>", "too large")


# ---------------------------------------------------------------- many malformed rows


def test_invalid_rows_beyond_the_listed_ones_are_counted(tmp_path, monkeypatch):
    monkeypatch.setattr(core, "MAX_LISTED_INVALID", 5)
    path = write(tmp_path, HEADER + GOOD + "x\n" * 20 + "ann,worked-1,1,3.54\n")
    data = graded(run(path, "--json"))
    assert len(data["rows"]) == 2 and len(data["invalid"]) == 5
    assert data["invalid"][-1]["line"] == 7
    assert data["totals"]["invalid"] == 20 and data["totals"]["invalid_not_listed"] == 15
    md = run(path).stdout
    assert "20 rows could not be graded" in md and "15 more rows could not be graded" in md
    rows = list(csv.reader(io.StringIO(run(path, "--format", "csv").stdout)))
    assert len(rows) == 1 + 2 + 5 + 1 and "15 more rows" in rows[-1][-1]


def test_invalid_rows_keep_their_fields_short(tmp_path):
    path = write(tmp_path, HEADER + "a" * 100000 + ",worked-1,1," + "(" * 100000 + "\n"
                 + "b" * 5000 + ",worked-1\n")
    report = cg.grade_file(path)
    for i in report.invalid:
        assert all(len(f) <= read.MAX_FIELD for f in (i.learner, i.code, i.part, i.answer))
        assert len(i.reason) < 1000


# Peak memory of this process alone: VmHWM (ru_maxrss would count the pytest process it
# was forked from, as getrusage values survive execve).
MEASURE = textwrap.dedent("""
    import json, re, sys
    from handcalc import classgrade as cg
    report = cg.grade_file(sys.argv[1])
    text = cg.render_json(report) + cg.render_csv(report) + cg.render_markdown(report)
    with open("/proc/self/status") as f:
        peak = int(re.search(r"VmHWM:\\s*(\\d+) kB", f.read()).group(1))
    print(json.dumps({"invalid": report.invalid_count, "peak_kb": peak}))
""")


@pytest.mark.skipif(not os.path.exists("/proc/self/status"), reason="needs Linux /proc")
def test_garbage_rows_cost_little_memory(tmp_path):
    """100,000 malformed rows in about 65 MB, the interpreter and sympy included (the old
    reader took 230 to 450 MB for them; 2,000,000 lines of garbage peak at about 72 MB)."""
    count = 100_000
    garbage = [b"x\n", b"a,b,c,d\n", b"\x00\n", b";\n", b"ann,worked-1,1,((\n"]
    path = write(tmp_path, HEADER.encode() + b"".join(garbage) * (count // len(garbage)))
    out = subprocess.run([sys.executable, "-c", MEASURE, str(path)], capture_output=True,
                         text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    found = json.loads(out.stdout)
    assert found["invalid"] == count
    assert found["peak_kb"] < 120_000, found


# ---------------------------------------------------------------- text from a submission

HOSTILE_NAMES = [
    "<script>alert(1)</script>",
    '<img src=x onerror="alert(1)">',
    "![x](http://evil/x.png)",
    "[x](javascript:alert(1))",
    "a|b | c",
    "`rm -rf`",
    "**bold** _it_ ~~gone~~",
    "&lt;b&gt;",
    "x\\",
]


def test_markdown_shows_submission_text_as_text(tmp_path):
    rows = [["learner", "code", "part", "answer"]]
    rows += [[name, "worked-1", "1", "3.54"] for name in HOSTILE_NAMES]
    rows += [["line\nbreak", "worked-1", "1", "3.54"], ["<b>", "<i>x</i>", "1", "1"],
             ["ann", "worked-1", "1", "[x](javascript:alert(1))"]]
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    md = run(write(tmp_path, out.getvalue())).stdout
    assert "<" not in md and ">" not in md.replace("->", "")
    assert "](" not in md.replace("\\](", "")
    for line in md.splitlines():
        if line.startswith("|"):  # every table row keeps its columns
            cells = re.split(r"(?<!\\)\|", line)
            assert len(cells) in (5, 8, 9), line
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in md
    assert "\\!\\[x\\]" not in md and "!\\[x\\](http://evil/x.png)" in md
    assert "\\[x\\](javascript:alert(1))" in md
    assert "a\\|b \\| c" in md and "\\`rm -rf\\`" in md
    assert "\\*\\*bold\\*\\* \\_it\\_ \\~\\~gone\\~\\~" in md
    assert "&amp;lt;b&amp;gt;" in md and "x\\\\" in md
    assert "line\\\\x0abreak" in md  # the line break is shown, the table row stays one line


def test_titles_of_mistakes_are_not_mangled(tmp_path):
    md = run(write(tmp_path, HEADER + 'bob,worked-4,1,"1, 3"\n')).stdout
    assert "forgot √d_k (1)" in md  # the title whole, not cut


ESCAPES = ["\x1b]52;c;cm0gLXJmIH4=\x07", "\x1b[2J", "\x9b31m", "\x7f", "\u202e"]


def test_control_characters_from_a_submission_never_reach_the_terminal(tmp_path):
    rows = "".join(f"ann{e},worked-1{e},1,3.54\nbob,worked-1,1,3.5{e}\n" for e in ESCAPES)
    path = write(tmp_path, HEADER + rows)
    result = run(path)
    assert result.exit_code == 0
    for stream in (result.stderr, result.stdout):
        assert not re.search("[\x00-\x09\x0b-\x1f\x7f-\x9f\u202e]", stream), ascii(stream)
    assert "unknown code 'worked-1\\x1b]52;c;" in result.stderr
    assert "\\x9b31m" in result.stderr and "U+202E" in result.stderr
    assert "ann\\\\x1b\\]52;c;cm0gLXJmIH4=\\\\x07" in result.stdout  # in a Markdown cell
    assert len(result.stderr.strip().splitlines()) == 2 * len(ESCAPES)


def test_a_header_with_escapes_is_refused_with_them_escaped(tmp_path):
    line = assert_one_line_error(run(write(tmp_path, "\x1b]52;c;x\x07name,score\n")))
    assert "\\x1b]52;c;x\\x07" in line


def test_json_escapes_controls_losslessly(tmp_path):
    path = write(tmp_path, HEADER + "ann\x9b\u202e\x7f,worked-1,1,3.54\n")
    result = run(path, "--json")
    assert not re.search("[\x7f-\x9f\u202e]", result.stdout)
    assert json.loads(result.stdout)["rows"][0]["learner"] == "ann\x9b\u202e\x7f"


def test_reports_on_a_terminal_escape_controls(tmp_path):
    """`--format csv` on a terminal: the cells' control characters are shown escaped."""
    pty = pytest.importorskip("pty")
    path = write(tmp_path, HEADER + "ann\x1b]52;c;x\x07,worked-1,1,3.54\n")
    leader, follower = pty.openpty()
    try:
        proc = subprocess.run([sys.executable, "-c", "from handcalc.cli import main; main()",
                               "grade", str(path), "--format", "csv"], stdout=follower,
                              stderr=subprocess.PIPE, timeout=120)
        os.close(follower)
        out = b""
        while True:
            try:
                chunk = os.read(leader, 65536)
            except OSError:
                break
            if not chunk:
                break
            out += chunk
    finally:
        os.close(leader)
    assert proc.returncode == 0, proc.stderr
    assert b"\x1b" not in out and b"\x07" not in out
    assert b"ann\\x1b]52;c;x\\x07" in out


# ---------------------------------------------------------------- options


@pytest.mark.parametrize("args", [("-o", "r.md", "--json"), ("-o", "r.csv", "--json"),
                                  ("-o", "r.json", "--format", "csv"),
                                  ("-o", "r.markdown", "--format", "json")])
def test_a_report_name_and_format_that_disagree_are_refused(tmp_path, monkeypatch, args):
    monkeypatch.chdir(tmp_path)
    write(tmp_path, HEADER + GOOD)
    line = assert_one_line_error(run("class.csv", *args), "the suffix says")
    assert "--json" in line or "--format" in line
    assert sorted(p.name for p in tmp_path.iterdir()) == ["class.csv"]


def test_a_report_name_without_a_known_suffix_takes_the_format(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write(tmp_path, HEADER + GOOD)
    assert run("class.csv", "-o", "r.txt", "--json").exit_code == 0
    json.loads((tmp_path / "r.txt").read_text(encoding="utf-8"))
    assert run("class.csv", "-o", "r.json", "--json").exit_code == 0
