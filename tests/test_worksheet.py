"""`handcalc worksheet`: spec validation, sheets and keys in every format, versions,
determinism, escaping, and the checked-in solutions/."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from handcalc.cli import cli
from handcalc.families import FAMILIES

ROOT = Path(__file__).resolve().parent.parent
PROBLEMS = ROOT / "problems"
BAD_SPECS = sorted((ROOT / "tests" / "data" / "specs").glob("*.toml"))
WORKED_SET = PROBLEMS / "worked-set.toml"

pypdf = pytest.importorskip("pypdf")


def run(*args: str):
    return CliRunner().invoke(cli, ["worksheet", *args])


def pdf_pages(data: bytes) -> list[str]:
    return [p.extract_text() for p in pypdf.PdfReader(io.BytesIO(data)).pages]


@pytest.fixture(scope="module")
def worked(tmp_path_factory):
    """The worked set, written once: student and key as PDF and as JSON."""
    d = tmp_path_factory.mktemp("worked")
    r = run(str(WORKED_SET), "-o", str(d / "ws.pdf"), "--key", str(d / "key.pdf"))
    assert r.exit_code == 0, r.output + (r.stderr or "")
    r = run(str(WORKED_SET), "-o", str(d / "ws.json"), "--key", str(d / "key.json"))
    assert r.exit_code == 0, r.output
    return {name: (d / name).read_bytes() for name in ("ws.pdf", "key.pdf", "ws.json",
                                                        "key.json")}


# ---------------------------------------------------------------- spec validation

def _expected(path: Path) -> str:
    first = path.read_bytes().splitlines()[0].decode("utf-8")
    assert first.startswith("# expect: "), path
    return first[len("# expect: "):]


@pytest.mark.parametrize("spec", BAD_SPECS, ids=[p.stem for p in BAD_SPECS])
def test_bad_spec_one_line_exit_2_nothing_written(spec, tmp_path):
    out, key = tmp_path / "out.pdf", tmp_path / "key.pdf"
    r = run(str(spec), "-o", str(out), "--key", str(key))
    assert r.exit_code == 2, r.output
    assert r.exception is None or isinstance(r.exception, SystemExit)
    err = r.stderr.strip()
    assert "Traceback" not in r.output and "\n" not in err, err
    assert err.startswith(f"handcalc: {spec}: "), err
    assert _expected(spec) in err
    assert list(tmp_path.iterdir()) == []


def test_bad_spec_leaves_an_existing_output_untouched(tmp_path):
    out = tmp_path / "out.md"
    out.write_text("before")
    r = run(str(BAD_SPECS[0]), "-o", str(out))
    assert r.exit_code == 2
    assert out.read_text() == "before"
    assert [p.name for p in tmp_path.iterdir()] == ["out.md"]


def test_missing_spec_file(tmp_path):
    r = run(str(tmp_path / "nope.toml"), "-o", str(tmp_path / "x.pdf"))
    assert r.exit_code == 2
    assert "nope.toml: cannot read" in r.stderr
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("args, fragment", [
    (["-o", "x.pdf", "--format", "md"], "the suffix says pdf but --format is md"),
    (["-o", "nofolder/x.pdf"], "no folder"),
    (["-o", "same.md", "--key", "same.md"], "the same file as the sheet"),
    (["--versions", "0"], "0 is not in the range"),
])
def test_bad_options_exit_2(args, fragment, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    r = run(str(WORKED_SET), *args)
    assert r.exit_code == 2, r.output
    assert fragment in r.output + r.stderr
    assert list(tmp_path.iterdir()) == []


# ---------------------------------------------------------------- the worked set

WORKED_ANSWERS = {  # worked out by hand from shared/worked-set.md, to 2 decimals
    "worked-1": ["3.54", "1.00", ["4.00", "0.00"]],
    "worked-2": [[["1.00", "0.00"], ["0.00", "1.00"]], [["0.73", "0.27"], ["0.27", "0.73"]],
                 [["2.19", "0.54"], ["0.81", "1.46"]]],
    "worked-3": ["0.50", ["5.00", "-2.00", "0.00", "3.00"]],
    "worked-4": [["0.71", "2.12"], ["0.20", "0.80"]],
    "worked-5": [[["1.00", "-inf", "-inf"], ["2.00", "4.00", "-inf"], ["3.00", "6.00", "9.00"]],
                 ["10.00", "18.81", "29.48"]],
    "worked-6": ["64.00", "8.00"],
    "worked-7": [[["1.00", "2.00", "-1.00", "0.00"], ["3.00", "4.00", "0.00", "1.00"]],
                 [["-1.00", "2.00"], ["3.00", "3.00"]]],
    "worked-8": [["1.00", "1.00"], ["0.00", "0.00"]],
    "worked-9": [["16.00", "1.00"], ["4.00", "1.00"], ["1.00", "1.00"]],
    "worked-10": [[["0.10", "0.10"], ["0.20", "0.20"]]],
}


def test_key_json_has_the_right_answers_for_the_worked_set(worked):
    key = json.loads(worked["key.json"])
    (version,) = key["versions"]
    got = {ex["code"]: [p["rounded"] for p in ex["parts"]] for ex in version["exercises"]}
    assert got == WORKED_ANSWERS


def test_key_json_is_exercise_dict_with_steps(worked):
    from handcalc.exercises.exercise import build
    from handcalc.views.render import exercise_dict

    key = json.loads(worked["key.json"])
    for ex in key["versions"][0]["exercises"]:
        assert {k: v for k, v in ex.items() if k != "section"} == \
            exercise_dict(build(ex["code"]), steps=True)


def test_student_json_has_no_answers(worked):
    sheet = json.loads(worked["ws.json"])
    text = worked["ws.json"].decode()
    assert '"rounded"' not in text and '"steps"' not in text and '"answer"' not in text
    assert [ex["code"] for ex in sheet["versions"][0]["exercises"]] == list(WORKED_ANSWERS)


def test_student_pdf_has_every_code_and_no_answer(worked):
    text = "\n".join(pdf_pages(worked["ws.pdf"]))
    for code in WORKED_ANSWERS:
        assert re.search(rf"\b{code}\b", text), code
    assert "The worked set" in text and "Version 1" in text and "Name:" in text
    assert "18.81" not in text and "29.48" not in text
    assert not re.findall(r"\d\.\d\d", text), "a 2-decimal number on the student sheet"


def test_key_pdf_shows_every_step_of_worked_5(worked):
    pages = pdf_pages(worked["key.pdf"])
    text = "\n".join(pages)
    for code in WORKED_ANSWERS:
        assert re.search(rf"\b{code}\b", text), code
    start = text.index("worked-5")
    section = text[start:text.index("worked-6")]
    # labels are typeset: their math comes out of the PDF as math italic letters
    for label in ("𝑄𝐾𝑇", "masked 𝑆", "exp(𝑆), row by row", "row sums of exp(𝑆)",
                  "𝐴 = softmax(𝑆)", "𝑍 = 𝐴𝑉", "answer (2 dp)", "exact", "heatmap"):
        assert label in section, label
    for value in ("8103.08", "61.99", "0.88", "0.95", "18.81", "29.48"):
        assert value in section, value


def test_key_pdf_carries_every_rounded_answer(worked):
    text = "\n".join(pdf_pages(worked["key.pdf"])).replace("−", "-")
    for answers in WORKED_ANSWERS.values():
        for value in json.dumps(answers).replace('"', "").replace("[", " ").replace(
                "]", " ").replace(",", " ").split():
            if value != "-inf":  # a whole answer prints as an integer (4, not 4.00)
                assert value in text or (value.endswith(".00") and value[:-3] in text), value


# ---------------------------------------------------------------- determinism, versions

def test_same_spec_same_bytes(tmp_path):
    for n in (1, 2):
        d = tmp_path / str(n)
        d.mkdir()
        for fmt in ("pdf", "md", "typ", "json"):
            r = run(str(PROBLEMS / "first-sheet.toml"), "-o", str(d / f"s.{fmt}"),
                    "--key", str(d / f"k.{fmt}"), "--versions", "2")
            assert r.exit_code == 0, r.output
    for name in ("s.pdf", "k.pdf", "s.md", "k.md", "s.typ", "k.typ", "s.json", "k.json"):
        assert (tmp_path / "1" / name).read_bytes() == (tmp_path / "2" / name).read_bytes()
    assert (tmp_path / "1" / "s.pdf").read_bytes().startswith(b"%PDF")


def test_seeds_are_stable_numbers():
    from handcalc.sheets.build import seed_for

    assert seed_for(3003, 1, 1, 1) == seed_for(3003, 1, 1, 1)
    assert [seed_for(7, 1, 1, k) for k in (1, 2, 3)] == [49437, 45438, 47712]
    assert all(10000 <= seed_for(s, 2, 3, 4) <= 99999 for s in range(50))


def test_versions_start_on_new_pages_and_pages_grow(tmp_path):
    one, three = tmp_path / "one.pdf", tmp_path / "three.pdf"
    assert run(str(WORKED_SET), "-o", str(one)).exit_code == 0
    assert run(str(WORKED_SET), "-o", str(three), "--versions", "3").exit_code == 0
    p1, p3 = pdf_pages(one.read_bytes()), pdf_pages(three.read_bytes())
    assert len(p3) == 3 * len(p1)  # fixed codes: every version is the same exercises
    for k in range(3):
        first = p3[k * len(p1)]
        assert "The worked set" in first and f"Version {k + 1}" in first


def test_versions_draw_different_exercises_and_keep_fixed_codes(tmp_path):
    from handcalc.sheets.build import build_worksheet, worksheet_codes
    from handcalc.sheets.spec import parse_spec

    spec = parse_spec('title = "Mixed"\nseed = 5\n[[sections]]\ncodes = ["worked-5"]\n'
                      '[[sections]]\nfamily = "causal"\nlevel = 2\ncount = 3\n', "mixed.toml")
    codes = worksheet_codes(build_worksheet(spec, 4, formats=("md",)))
    assert all(v[0] == "worked-5" for v in codes)
    drawn = [tuple(v[1:]) for v in codes]
    assert len(set(drawn)) == 4 and all(len(set(v)) == 3 for v in drawn)
    assert all(c.startswith("causal-2-") for v in drawn for c in v)
    again = worksheet_codes(build_worksheet(spec, 4, formats=("md",), workers=2))
    assert again == codes


def test_versions_option_overrides_the_spec(tmp_path):
    out = tmp_path / "s.json"
    spec = tmp_path / "v.toml"
    spec.write_text('title = "V"\nseed = 9\nversions = 4\n[[sections]]\nfamily = "heads"\n'
                    'level = 1\n')
    assert run(str(spec), "-o", str(out)).exit_code == 0
    assert len(json.loads(out.read_text())["versions"]) == 4
    assert run(str(spec), "-o", str(out), "--versions", "2").exit_code == 0
    assert len(json.loads(out.read_text())["versions"]) == 2


def test_default_output_name_and_format(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    r = run(str(WORKED_SET))
    assert r.exit_code == 0, r.output
    assert (tmp_path / "worked-set.pdf").read_bytes().startswith(b"%PDF")
    r = run(str(WORKED_SET), "--format", "md", "--key", "answers.md")
    assert r.exit_code == 0, r.output
    assert (tmp_path / "worked-set.md").exists() and (tmp_path / "answers.md").exists()
    r = run(str(WORKED_SET), "-o", "sheet.typ", "--key", "key.json")
    assert r.exit_code == 0
    assert (tmp_path / "sheet.typ").read_text().startswith("#set document")
    assert json.loads((tmp_path / "key.json").read_text())["sheet"] == "answer key"
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "answers.md", "key.json", "sheet.typ", "worked-set.md", "worked-set.pdf"]


# ---------------------------------------------------------------- every family, every format

@pytest.fixture(scope="module")
def every_family(tmp_path_factory):
    d = tmp_path_factory.mktemp("families")
    spec = d / "all.toml"
    spec.write_text('title = "Every family"\nseed = 11\n' + "".join(
        f'[[sections]]\nfamily = "{name}"\nlevel = {level}\n'
        for name in FAMILIES for level in (1, 3)))
    out = {}
    for fmt in ("pdf", "typ", "md", "json"):
        r = run(str(spec), "-o", str(d / f"s.{fmt}"), "--key", str(d / f"k.{fmt}"))
        assert r.exit_code == 0, r.output
        out[fmt] = ((d / f"s.{fmt}").read_bytes(), (d / f"k.{fmt}").read_bytes())
    return out


def test_every_format_renders_every_family(every_family):
    codes = [ex["code"] for ex in
             json.loads(every_family["json"][1])["versions"][0]["exercises"]]
    assert {c.rsplit("-", 2)[0] for c in codes} == set(FAMILIES)
    for fmt, (sheet, key) in every_family.items():
        texts = ["\n".join(pdf_pages(b)) for b in (sheet, key)] if fmt == "pdf" else \
            [b.decode() for b in (sheet, key)]
        for text in texts:
            for code in codes:
                assert code in text, (fmt, code)


def test_every_family_key_has_heatmaps_and_sheet_has_answer_boxes(every_family):
    sheet, key = every_family["typ"]
    assert b"#answer-area(" in sheet and b"#table(" not in sheet
    assert key.count(b"#table(") >= 4  # attention, keys, causal (weights), score (a)
    md_sheet, md_key = every_family["md"]
    assert b"\\boxed" in md_sheet and b"heatmap" in md_key


def test_md_sheet_has_no_answers(every_family):
    sheet = every_family["md"][0].decode()
    assert "answer (2 dp)" not in sheet
    # numbers of exactly 2 decimals, as answers print: RoPE's statement gives the cos and
    # sin it needs to 6 decimals (cos(3) = -0.989992), which are data, not answers
    assert not re.findall(r"(?<![\d.])\d\.\d\d(?!\d)", sheet)
    assert re.findall(r"\d\.\d{6}", sheet)  # those given values are there


# ---------------------------------------------------------------- escaping

# a spec's text may hold $...$ math (checked, typeset as math); \$ is a dollar sign
HOSTILE = '#set page(width: 1cm) \\\\$x\\\\$ *b* _i_ @ref <lbl> [c] ] \\\\ \\" `r` // no /* x'


def test_hostile_title_is_text_not_markup(tmp_path):
    spec = tmp_path / "h.toml"
    spec.write_text(f'title = "{HOSTILE}"\ninstructions = ["= not a heading", "- nor a list"]\n'
                    '[[sections]]\ntitle = "#pagebreak() ]"\ncodes = ["worked-6"]\n')
    r = run(str(spec), "-o", str(tmp_path / "h.pdf"), "--key", str(tmp_path / "k.md"))
    assert r.exit_code == 0, r.output + r.stderr
    pages = pdf_pages((tmp_path / "h.pdf").read_bytes())
    assert len(pages) == 1
    title = HOSTILE.replace("\\\\", "\\").replace('\\"', '"').replace("\\$", "$")
    flat = " ".join(pages[0].split())
    assert " ".join(title.split()) in flat
    assert "#pagebreak() ]" in flat and "= not a heading" in flat
    md = (tmp_path / "k.md").read_text()
    assert md.splitlines()[0].startswith("# \\#set page")


def test_typst_string_escape():
    from handcalc.text.markup import mdtext, tstr

    assert tstr('a"b\\c\nd') == '"a\\"b\\\\c\\nd"'
    assert tstr("\x01") == '"\\u{1}"'
    assert mdtext("d_k = 2 * 3 # <b>") == "d\\_k = 2 \\* 3 \\# \\<b\\>"
    assert mdtext("1. not a list") == "1\\. not a list"


def test_exact_values_as_math():
    import sympy

    from handcalc.text.exactmath import latex_math, typst_math

    assert typst_math(sympy.Rational(1, 10)) == "1/10"
    # a product over a denominator is one fraction, never "5 sqrt(2)/2" (a mixed number)
    assert typst_math(5 * sympy.sqrt(2) / 2) == "(5 sqrt(2))/2"
    assert typst_math(-5 * sympy.sqrt(2) / 2) == "-(5 sqrt(2))/2"
    assert typst_math(sympy.sqrt(2) / 2) == "sqrt(2)/2"
    assert typst_math(3 * sympy.exp(2) / (1 + sympy.exp(2))) == "(3 e^(2))/(1 + e^(2))"
    assert typst_math(sympy.exp(3 * sympy.sqrt(2) / 2)) == "e^((3 sqrt(2))/2)"
    assert typst_math(2 * sympy.sqrt(3)) == "2 sqrt(3)"
    assert typst_math(sympy.E / (1 + sympy.E)) in ("e/(1 + e)", "e/(e + 1)")
    assert typst_math(-sympy.oo) == "-infinity"
    assert typst_math(sympy.exp(sympy.Rational(-1, 2))) == "e^(-1/2)"
    assert latex_math(-sympy.oo) == r"-\infty"


# ---------------------------------------------------------------- problems/ and solutions/

def test_problem_specs_are_valid():
    from handcalc.sheets.spec import load_spec

    specs = {p.stem: load_spec(p) for p in PROBLEMS.glob("*.toml")}
    assert {"worked-set", "first-sheet", "masks-and-heads", "exam"} <= set(specs)
    assert specs["worked-set"].title == "The worked set"
    exam = specs["exam"]
    assert sum(s.size for s in exam.sections) == 10
    assert {s.family for s in exam.sections} <= set(FAMILIES)  # newer families may be absent
    assert all(s.level in (2, 3) for s in exam.sections)


def test_solutions_are_not_stale():
    from handcalc.sheets.solutions import stale_solutions

    stale = stale_solutions()
    assert stale == [], ("stale solutions/ files (rewrite them with "
                         "`.venv/bin/python -m handcalc.sheets.solutions --write-solutions`): "
                         f"{stale}")


def test_exam_class_set_has_thirty_versions():
    from handcalc.sheets.build import build_worksheet, worksheet_codes
    from handcalc.sheets.jsonsheet import key_json, student_json
    from handcalc.sheets.spec import load_spec

    ws = build_worksheet(load_spec(PROBLEMS / "exam.toml"), 30, formats=("json",))
    sheet = json.loads(student_json(ws))
    assert [v["version"] for v in sheet["versions"]] == list(range(1, 31))
    codes = [tuple(c) for c in worksheet_codes(ws)]
    assert all(len(c) == 10 for c in codes) and len(set(codes)) == 30
    # an exam: the sheet hides its codes, the key (here the answers-only one) lists them
    assert '"code"' not in json.dumps(sheet)
    answers = json.loads(key_json(ws, "answers"))
    assert [tuple(ex["code"] for ex in v["exercises"]) for v in answers["versions"]] == codes


# ---------------------------------------------------------------- fast 2-decimal text

def test_fresh_processes_and_this_one_give_the_same_pdf(tmp_path):
    """A fresh `handcalc` compiles the sheet in a forked process, this (test) process
    compiles in turn: every path gives the same bytes."""
    import subprocess
    import sys

    exe = str(Path(sys.executable).parent / "handcalc")
    for n in (1, 2):
        subprocess.run([exe, "worksheet", str(WORKED_SET), "-o", str(tmp_path / f"s{n}.pdf"),
                        "--key", str(tmp_path / f"k{n}.pdf")], check=True,
                       capture_output=True)
    r = run(str(WORKED_SET), "-o", str(tmp_path / "s3.pdf"), "--key", str(tmp_path / "k3.pdf"))
    assert r.exit_code == 0
    for name in ("s", "k"):
        first = (tmp_path / f"{name}1.pdf").read_bytes()
        assert first == (tmp_path / f"{name}2.pdf").read_bytes()
        assert first == (tmp_path / f"{name}3.pdf").read_bytes()


# ---------------------------------------------------------------- keys checked apart

def _wrong_attention(monkeypatch):
    """The torch kernel of attention off by 0.5 in its outputs (the checking process is
    forked from this one, so it inherits the change)."""
    from handcalc.core import kernel

    right = kernel.attention

    def wrong(*args, **kwargs):
        out = right(*args, **kwargs)
        return {**out, "Z": [[v + 0.5 for v in row] for row in out["Z"]]}

    monkeypatch.setattr(kernel, "attention", wrong)


@pytest.mark.parametrize("workers", [1, 2])
def test_a_key_torch_disagrees_with_is_refused_however_it_is_checked(monkeypatch, workers):
    from handcalc.errors import KernelMismatch
    from handcalc.sheets.build import build_worksheet
    from handcalc.sheets.keychecks import key_checks
    from handcalc.sheets.spec import load_spec

    spec = load_spec(WORKED_SET)
    build_worksheet(spec, 2, formats=("json",), workers=workers, check=True)  # agrees
    _wrong_attention(monkeypatch)
    with pytest.raises(KernelMismatch, match="torch gives"):
        build_worksheet(spec, 2, formats=("json",), workers=workers, check=True)
    with pytest.raises(KernelMismatch, match="torch gives"):  # checked in a process apart
        with key_checks() as checks:
            ws = build_worksheet(spec, 2, formats=("json",), workers=workers, check=True,
                                 checks=checks)
            assert len(ws.versions) == 2  # built: the verdict comes when the block ends
    build_worksheet(spec, 2, formats=("json",), workers=workers)  # no key: no check


def test_the_command_writes_nothing_when_torch_disagrees(monkeypatch, tmp_path):
    _wrong_attention(monkeypatch)
    sheet, key = tmp_path / "s.json", tmp_path / "k.json"
    r = run(str(WORKED_SET), "-o", str(sheet), "--key", str(key))
    assert r.exit_code == 1
    assert "torch gives" in r.output and len(r.output.strip().splitlines()) == 1
    assert not sheet.exists() and not key.exists()
    r = run(str(WORKED_SET), "-o", str(sheet))  # the sheet alone shows no key: not checked
    assert r.exit_code == 0 and sheet.exists()
