"""Your own exercises from the command line, in a spec and in a class CSV: the textbook
example posed, solved, checked right and wrong, printed on a sheet, graded, exported to
Moodle; show --json fed back to new --data; families FAMILY and its example for every
family; bad input in one line with exit 2."""

import csv
import io
import json
import shlex

import pytest
from click.testing import CliRunner

from handcalc.cli import cli
from handcalc.exercises.exercise import build, generate
from handcalc.families import FAMILIES
from handcalc.views.given_text import EXAMPLES

TEXTBOOK = ["--given", "Q=1 0; 0 1", "--given", "K=1 1; 0 1", "--given", "V=1 2; 3 4"]


def run(*args, input=None):
    return CliRunner().invoke(cli, [str(a) for a in args], input=input)


def new_code(*args):
    out = run("new", *args, "--json")
    assert out.exit_code == 0, out.output
    return json.loads(out.stdout)["code"]


def test_the_textbook_example_from_the_command_line():
    code = new_code("attention", *TEXTBOOK)
    assert code.startswith("attention~1~")
    solved = run("solve", code, "--json")
    assert solved.exit_code == 0
    data = json.loads(solved.stdout)
    assert data["parts"][0]["rounded"] == [["0.71", "0.00"], ["0.71", "0.71"]]
    assert data["torch_max_difference"] < 1e-9
    right = run("check", code, "1", "0.71 0; 0.71 0.71")
    assert right.exit_code == 0 and "correct" in right.stdout
    wrong = run("check", code, "1", "1 0; 1 1", "--json")
    assert wrong.exit_code == 1
    assert json.loads(wrong.stdout)["diagnosis"]["mistake"] == "no-scale"
    carried = run("check", code, "2", "0.73 0.27; 0.5 0.5", "--prior", "1=1 0; 1 1")
    assert carried.exit_code == 0
    zh = run("show", code, "--lang", "zh")
    assert zh.exit_code == 0 and code in zh.stdout


@pytest.mark.parametrize("name", sorted(FAMILIES))
def test_show_json_fed_to_new_data_rebuilds_the_exercise(name, tmp_path):
    drawn = generate(name, FAMILIES[name].levels[-1], 11)
    shown = run("show", drawn.code, "--json")
    path = tmp_path / "data.json"
    path.write_text(shown.stdout, encoding="utf-8")
    code = new_code("--data", path)
    assert build(code).instance.given == drawn.instance.given
    assert dict(build(code).instance.params) == dict(drawn.instance.params)
    again = run("new", "--data", "-", "--json", input=run("show", code, "--json").stdout)
    assert json.loads(again.stdout)["code"] == code
    assert json.loads(again.stdout)["parts"] == json.loads(shown.stdout)["parts"]


@pytest.mark.parametrize("name", sorted(FAMILIES))
def test_families_family_lists_the_data_and_its_example_works(name):
    out = run("families", name)
    assert out.exit_code == 0
    for word in ("handcalc new", name):
        assert word in out.stdout
    for lang in ("zh", "en"):
        assert run("families", name, "--lang", lang).exit_code == 0
    code = new_code(name, *shlex.split(EXAMPLES[name]))
    solved = run("solve", code, "--json")
    assert solved.exit_code == 0, solved.output
    last = json.loads(solved.stdout)["parts"][-1]
    value = last["rounded"]
    rows = [[value]] if isinstance(value, str) else [
        r if isinstance(r, list) else [r] for r in value]
    if last["kind"] == "vector" and len(rows[0]) == 1:
        rows = [[r[0] for r in rows]]  # a vector is typed as one list
    typed = "; ".join(" ".join(r) for r in rows)
    assert run("check", code, last["part"], typed).exit_code == 0


@pytest.mark.parametrize("args,fragment", [
    (["attention", "--given", "Q=1 0; 0 1", "--given", "K=1 1; 0 1"], "V is missing"),
    (["attention", *TEXTBOOK[:4], "--given", "V=1 2 3; 3 4"], "V"),
    (["attention", "--given", "Q=1 0; 0 1", "--given", "K=1 1 1; 0 1 1",
      "--given", "V=1 2; 3 4"], "K is 2 x 3"),
    (["attention", *TEXTBOOK, "--given", "Q=1"], "twice"),
    (["attention", *TEXTBOOK, "--param", "d_k"], "--param"),
    (["attention", *TEXTBOOK, "--param", "eps=1"], "no parameter"),
    (["layernorm", "--given", "X=1 2", "--given", "Z=0 1", "--param", "eps=-1"], "eps"),
    (["temperature", "--given", "z=1 2", "--given", "T=1 0"], "T"),
    (["heads", "--param", "d_model=10", "--param", "h=4"], "divide"),
    (["mha", "--given", "X=1 0 0", "--given", "W^Q=1 0 0; 0 1 0; 0 0 1",
      "--given", "W^K=1 0 0; 0 1 0; 0 0 1", "--given", "W^V=1 0 0; 0 1 0; 0 0 1",
      "--given", "W^O=1 0 0; 0 1 0; 0 0 1"], "divide"),
    (["padding", "--given", "M=0 0; 1 1", "--given", "Q=1; 2", "--given", "K=1; 2",
      "--given", "V=1; 2", "--param", "b=1"], "fully masked"),
    (["attention", "--given", "Q=" + "; ".join(["1 0"] * 9), "--given", "K=1 0",
      "--given", "V=1 0"], "cap"),
    (["nope", "--given", "Q=1"], "unknown family"),
    (["--data", "-"], "not JSON"),
])
def test_bad_own_data_one_line_exit_2(args, fragment):
    out = run("new", *args, input="{")
    assert out.exit_code == 2, out.output
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and fragment in lines[0] and "Traceback" not in out.output


def test_findings_go_to_stderr_one_line_each():
    out = run("new", "attention", "--given", "Q=0 2; 2 1", "--given", "K=2 1; -1 1",
              "--given", "V=2 3; -1 0")
    assert out.exit_code == 0
    notes = out.stderr.strip().splitlines()
    assert notes and all(n.startswith("note: part") for n in notes)
    zh = run("new", "attention", "--lang", "zh", "--given", "Q=0 2; 2 1",
             "--given", "K=2 1; -1 1", "--given", "V=2 3; -1 0")
    assert all(n.startswith("注意") for n in zh.stderr.strip().splitlines())


SPEC = """title = "Your own numbers"
seed = 7

[[sections]]
title = "A textbook example"
family = "attention"
given = { Q = [[1, 0], [0, 1]], K = [[1, 1], [0, 1]], V = [[1, 2], [3, 4]] }

[[sections]]
family = "rmsnorm"
exercises = [ { given = { x = [[1, -2]], g = [[1, 2]] }, params = { eps = 0.01 } },
              { given = { x = "3 4", g = "1 1" }, parts = ["rms", "y"] } ]
"""


def test_the_textbook_example_on_a_sheet_graded_and_in_moodle(tmp_path):
    spec = tmp_path / "own.toml"
    spec.write_text(SPEC, encoding="utf-8")
    out = run("worksheet", spec, "-o", tmp_path / "ws.json", "--key", tmp_path / "key.json")
    assert out.exit_code == 0, out.output
    assert "exercises[1]: note: part 3" in out.stderr  # near a boundary: a note, not a refusal
    key = json.loads((tmp_path / "key.json").read_text(encoding="utf-8"))
    text = json.dumps(key)
    code = new_code("attention", *TEXTBOOK)
    assert code in text and "rmsnorm~1~" in text
    pdf = run("worksheet", spec, "-o", tmp_path / "ws.pdf")
    assert pdf.exit_code == 0, pdf.output
    moodle = run("worksheet", spec, "-o", tmp_path / "q.xml", "--format", "moodle")
    assert moodle.exit_code == 0 and code in (tmp_path / "q.xml").read_text(encoding="utf-8")
    rows = [["learner", "code", "part", "answer"], ["ann", code, "1", "0.71 0; 0.71 0.71"],
            ["bob", code, "1", "1 0; 1 1"], ["bob", code, "2", "0.73 0.27; 0.5 0.5"]]
    buf = io.StringIO()
    csv.writer(buf).writerows(rows)
    graded = run("grade", "-", "--format", "csv", input=buf.getvalue())
    assert graded.exit_code == 0, graded.output
    report = list(csv.DictReader(io.StringIO(graded.stdout)))
    assert [r["status"] for r in report] == ["correct", "incorrect", "correct"]
    assert report[1]["mistake"] == "no-scale" and report[2]["accepted_by"] == "carried-forward"


@pytest.mark.parametrize("section,fragment", [
    ('family = "attention"\ngiven = { Q = [[1, 0]] }', "missing"),
    ('family = "attention"\nlevel = 1\ngiven = { Q = [[1]], K = [[1]], V = [[1]] }',
     "not both"),
    ('given = { Q = [[1]], K = [[1]], V = [[1]] }', "family"),
    ('family = "attention"\nexercises = [ { given = { Q = [[1]], K = [[1]], V = [[1]] }, '
     'nope = 1 } ]', "unknown key"),
])
def test_bad_spec_data_one_line(section, fragment, tmp_path):
    spec = tmp_path / "bad.toml"
    spec.write_text(f'title = "t"\n\n[[sections]]\n{section}\n', encoding="utf-8")
    out = run("worksheet", spec, "-o", tmp_path / "ws.md")
    assert out.exit_code == 2
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and fragment in lines[0], out.stderr
    assert not (tmp_path / "ws.md").exists()


def test_practice_drills_a_code_that_carries_its_data():
    code = new_code("attention", *TEXTBOOK)
    out = run("practice", "--code", code, input="0.71 0; 0.71 0.71\n0.5 0.5; 0.5 0.5\n"
                                                "0.67 0.33; 0.5 0.5\n1.66 2.66; 2 3\n")
    assert out.exit_code == 0, out.output
    assert "total:                  3 of 3 parts right" in out.stdout
    assert run("practice", "attention", "--code", code).exit_code == 2


def test_the_readme_examples_work(tmp_path):
    from pathlib import Path

    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text("utf-8")
    section = readme.split("### Your own exercises", 1)[1].split("### Languages", 1)[0]
    toml = section.split("```toml\n", 1)[1].split("```", 1)[0]
    spec = tmp_path / "readme.toml"
    spec.write_text(f'title = "README"\nseed = 1\n\n{toml}', encoding="utf-8")
    out = run("worksheet", spec, "-o", tmp_path / "ws.md")
    assert out.exit_code == 0, out.output
    code = new_code("attention", *TEXTBOOK)
    assert code in section and code in (tmp_path / "ws.md").read_text("utf-8")


@pytest.mark.parametrize("text", [
    "[]", '{"family": 3}', '{"family": "attention", "given": []}',
    '{"family": "attention", "given": {"Q": {"a": 1}}}',
    '{"family": "attention", "given": {"Q": [[[[1]]]], "K": [[1]], "V": [[1]]}}',
    '{"family": "attention", "given": {"Q": [[null]], "K": [[1]], "V": [[1]]}}',
    '{"family": "attention", "given": {"Q": [[1e400]], "K": [[1]], "V": [[1]]}}',
    '{"family": "attention", "given": {"Q": [[1e-300]], "K": [[1]], "V": [[1]]}}',
    '{"family": "attention", "given": {"Q": [[1]], "K": [[1]], "V": [[1]]}, "parts": "S"}',
    '{"family": "attention", "given": {"Q": [[1]], "K": [[1]], "V": [[1]]}, '
    '"parts": [{"nokey": 1}]}',
    '{"family": "attention", "given": {"Q": [[1]], "K": [[1]], "V": [[1]]}, '
    '"params": {"d_k": [1]}}',
    '{"family": "keys", "given": {"Q": [[1]], "K": [[1]], "V": [[1]]}, '
    '"params": {"query": 1, "keys": []}}',
    '{"family": "cross", "given": {"Q": [[1]], "K": [[1]], "V": [[1]], "X": [[1]]}}',
    "[" * 100000 + "]" * 100000,
])
def test_hostile_data_one_line_exit_2(text):
    out = run("new", "--data", "-", input=text)
    assert out.exit_code == 2, out.output
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and len(lines[0]) < 300, out.stderr


def _typed(value, kind):
    rows = [[value]] if isinstance(value, str) else [
        r if isinstance(r, list) else [r] for r in value]
    if kind == "vector" and len(rows[0]) == 1:
        rows = [[r[0] for r in rows]]
    return "; ".join(" ".join(r) for r in rows)


def test_every_familys_data_code_on_a_sheet_and_graded(tmp_path):
    """A data code per family (its `families` example): a worksheet of all 20 (key with
    torch checks, Moodle), then a class CSV answering every part from that key."""
    codes = [new_code(name, *shlex.split(EXAMPLES[name])) for name in sorted(FAMILIES)]
    spec = tmp_path / "all.toml"
    spec.write_text('title = "All"\n\n[[sections]]\ncodes = [' +
                    ", ".join(f'"{c}"' for c in codes) + "]\n", encoding="utf-8")
    out = run("worksheet", spec, "-o", tmp_path / "ws.md", "--key", tmp_path / "key.json")
    assert out.exit_code == 0, out.output
    assert run("worksheet", spec, "-o", tmp_path / "q.xml").exit_code == 0
    key = json.loads((tmp_path / "key.json").read_text(encoding="utf-8"))
    exercises = [e for v in key["versions"] for e in v["exercises"]]
    assert [e["code"] for e in exercises] == codes
    rows = [["learner", "code", "part", "answer"]]
    for e in exercises:
        for p in e["parts"]:
            rows.append(["ann", e["code"], str(p["part"]), _typed(p["rounded"], p["kind"])])
    buf = io.StringIO()
    csv.writer(buf).writerows(rows)
    graded = run("grade", "-", "--format", "csv", input=buf.getvalue())
    assert graded.exit_code == 0, graded.output
    report = list(csv.DictReader(io.StringIO(graded.stdout)))
    assert len(report) == len(rows) - 1 and {r["status"] for r in report} == {"correct"}


@pytest.mark.parametrize("name", sorted(FAMILIES))
def test_families_family_json_describes_what_new_data_takes(name):
    """The JSON description names what a drawn exercise's data holds, and an object built
    from it (the example's data) poses the exercise."""
    out = run("families", name, "--json")
    assert out.exit_code == 0
    desc = json.loads(out.stdout)
    drawn = generate(name, FAMILIES[name].levels[0], 2)
    forms = desc["forms"]
    names = [{m["name"] for m in f["matrices"]} for f in forms]
    templated = [m["name"].split("{")[0] for f in forms for m in f["matrices"] if m["each"]]
    for given in drawn.instance.given:
        assert any(given in n for n in names) or any(given.startswith(t) for t in templated)
    params = {p["name"] for f in forms for p in f["params"]}
    assert {k for k in drawn.instance.params if not k.endswith("_text")} <= params
    assert set(desc["sizes"]) <= params | {m[d] for f in forms for m in f["matrices"]
                                           for d in ("rows", "cols") if isinstance(m[d], str)}


def test_a_long_code_wraps_on_a_pdf_and_reads_back_as_copied(tmp_path):
    pypdf = pytest.importorskip("pypdf")
    eye = "1 0 0; 0 1 0; 0 0 1"
    code = new_code("mha", "--given", "X=1 0 1; 0 1 1; 1 1 0", "--given", f"W^Q={eye}",
                    "--given", "W^K=1 1 0; 0 1 0; 0 0 1", "--given", "W^V=1 0 0; 0 1 0; 1 0 1",
                    "--given", f"W^O={eye}", "--param", "h=1")
    assert len(code) > 100
    spec = tmp_path / "long.toml"
    spec.write_text(f'title = "Long"\n\n[[sections]]\ncodes = ["{code}"]\n', encoding="utf-8")
    for style in ("full", "answers"):
        out = run("worksheet", spec, "-o", tmp_path / "ws.pdf", "--key", tmp_path / "k.pdf",
                  "--key-style", style)
        assert out.exit_code == 0, out.output
        for pdf in ("ws.pdf", "k.pdf"):
            text = "".join(p.extract_text() for p in pypdf.PdfReader(tmp_path / pdf).pages)
            start = text.index(code[:4])
            copied = text[start:start + 2 * len(code)]  # with its U+200B and line breaks
            assert "\u200b" in copied
            flat = copied.replace("\u200b", "").replace("\n", "")
            assert flat.startswith(code)
            end = copied.index(code[-4:]) + 4
            assert build(copied[:end]).code == code  # read back as a person copies it


def test_a_long_code_names_a_moodle_question_short(tmp_path):
    eye = "1 0 0; 0 1 0; 0 0 1"
    code = new_code("mha", "--given", "X=1 0 1; 0 1 1; 1 1 0", "--given", f"W^Q={eye}",
                    "--given", f"W^K={eye}", "--given", f"W^V={eye}", "--given", f"W^O={eye}",
                    "--param", "h=1")
    spec = tmp_path / "long.toml"
    spec.write_text(f'title = "Long"\n\n[[sections]]\ncodes = ["{code}"]\n', encoding="utf-8")
    assert run("worksheet", spec, "-o", tmp_path / "q.xml").exit_code == 0
    xml = (tmp_path / "q.xml").read_text(encoding="utf-8")
    names = [n for n in xml.split("<name><text>")[1:]]
    assert all(len(n.split("</text>")[0]) <= 255 for n in names)
    assert f"mha~...~{code[-4:]}" in xml and code in xml  # short in the name, whole inside


def test_a_long_code_in_a_class_pdf_report_is_short(tmp_path):
    pypdf = pytest.importorskip("pypdf")
    eye = "1 0 0; 0 1 0; 0 0 1"
    code = new_code("mha", "--given", "X=1 0 1; 0 1 1; 1 1 0", "--given", f"W^Q={eye}",
                    "--given", f"W^K={eye}", "--given", f"W^V={eye}", "--given", f"W^O={eye}",
                    "--param", "h=1")
    csv_text = f'learner,code,part,answer\nann,{code},1,"1 0 1; 0 1 1; 1 1 0"\n'
    out = run("grade", "-", "-o", tmp_path / "r.pdf", input=csv_text)
    assert out.exit_code == 0, out.output
    text = "".join(p.extract_text() for p in pypdf.PdfReader(tmp_path / "r.pdf").pages)
    assert f"mha~...~{code[-4:]}" in text
