"""Printed sheets: versions on odd pages (duplex), exams that hide their codes, room to
work, points, the answers-only key, and exact forms a key can print."""

from __future__ import annotations

import io
import json
import re
from fractions import Fraction
from pathlib import Path

import pytest
from click.testing import CliRunner

from handcalc.cli import cli

ROOT = Path(__file__).resolve().parent.parent
EXAM = ROOT / "problems" / "exam.toml"

pypdf = pytest.importorskip("pypdf")


def run(*args: str):
    return CliRunner().invoke(cli, ["worksheet", *args])


def pages(path: Path) -> list[str]:
    return [p.extract_text() for p in pypdf.PdfReader(io.BytesIO(path.read_bytes())).pages]


def version_of(page: str) -> int:
    """The version a page belongs to, from its footer ('version k')."""
    found = re.findall(r"\bversion (\d+)\b", page)
    assert found, page
    return int(found[-1])


def version_starts(texts: list[str]) -> dict[int, int]:
    """Version -> the (1-based) number of its first page."""
    starts: dict[int, int] = {}
    for n, text in enumerate(texts, 1):
        starts.setdefault(version_of(text), n)
    return starts


def only_footer(text: str, title: str = "One page") -> bool:
    """Whether a page is blank but for its footer (title, version k, page n)."""
    rest = " ".join(text.split()).replace(title, "", 1)
    return re.fullmatch(r" ?version \d+ page \d+", rest) is not None


def spec(tmp_path: Path, body: str, name: str = "s.toml") -> Path:
    path = tmp_path / name
    path.write_text(body)
    return path


ONE_PAGE = 'title = "One page"\n[[sections]]\ncodes = ["worked-1"]\n'


# ---------------------------------------------------------------- duplex

@pytest.mark.parametrize("key", [False, True], ids=["sheet", "key"])
def test_every_version_starts_on_an_odd_page(tmp_path, key):
    s = spec(tmp_path, ONE_PAGE)
    out = tmp_path / ("k.pdf" if key else "s.pdf")
    args = ["-o", str(tmp_path / "s.pdf")] + (["--key", str(out)] if key else [])
    r = run(str(s), *args, "--versions", "3")
    assert r.exit_code == 0, r.output
    texts = pages(out)
    starts = version_starts(texts)
    assert sorted(starts) == [1, 2, 3]
    assert all(n % 2 == 1 for n in starts.values()), starts
    assert len(texts) == 5  # 1 page each, and a blank page after versions 1 and 2
    assert [n for n, t in enumerate(texts, 1) if only_footer(t)] == [2, 4]


def test_exam_versions_start_on_odd_pages(tmp_path):
    out = tmp_path / "exam.pdf"
    r = run(str(EXAM), "-o", str(out), "--versions", "3")
    assert r.exit_code == 0, r.output
    starts = version_starts(pages(out))
    assert sorted(starts) == [1, 2, 3] and all(n % 2 == 1 for n in starts.values()), starts


def test_duplex_false_gives_no_blank_pages(tmp_path):
    s = spec(tmp_path, ONE_PAGE.replace("[[sections]]", "duplex = false\n[[sections]]"))
    out = tmp_path / "s.pdf"
    assert run(str(s), "-o", str(out), "--versions", "3").exit_code == 0
    texts = pages(out)
    assert len(texts) == 3 and not any(only_footer(t) for t in texts)
    assert version_starts(texts) == {1: 1, 2: 2, 3: 3}


# ---------------------------------------------------------------- hidden codes

HIDDEN = """title = "Quiz"
seed = 77
codes = "hidden"
[[sections]]
family = "causal"
level = 1
count = 2
[[sections]]
family = "heads"
level = 1
[[sections]]
codes = ["worked-4"]
"""


@pytest.fixture(scope="module")
def hidden(tmp_path_factory):
    d = tmp_path_factory.mktemp("hidden")
    s = spec(d, HIDDEN)
    for sheet, key in (("s.pdf", "k.pdf"), ("s.md", "k.md"), ("s.json", "k.json"),
                       ("s.typ", "a.json")):
        extra = ["--key-style", "answers"] if key == "a.json" else []
        r = run(str(s), "-o", str(d / sheet), "--key", str(d / key), "--versions", "2", *extra)
        assert r.exit_code == 0, r.output
    codes = [[ex["code"] for ex in v["exercises"]]
             for v in json.loads((d / "k.json").read_text())["versions"]]
    return d, codes


def test_hidden_codes_sheet_contains_no_code(hidden):
    d, codes = hidden
    assert len(codes) == 2 and all(len(v) == 4 for v in codes)
    texts = pages(d / "s.pdf")
    sheet = "\n".join(texts)
    for version in codes:
        for code in version:
            assert code not in sheet, code
    assert not re.search(r"[a-z]+-\d-\d{5}|worked-\d", sheet)
    for name in ("s.md", "s.json", "s.typ"):
        text = (d / name).read_text()
        for code in (c for v in codes for c in v):
            assert code not in text, (name, code)
        assert "worked-4" not in text
    student = json.loads((d / "s.json").read_text())
    assert "seed" not in student  # the spec's seed would give every code
    flat = " ".join(sheet.split())
    for k in (1, 2):
        for e in (1, 2, 3, 4):
            assert f"version {k} · exercise {e}" in flat, (k, e)
    assert "handcalc check" not in flat  # the default instructions lose the check line


def test_hidden_codes_key_lists_them(hidden):
    d, codes = hidden
    key = "\n".join(pages(d / "k.pdf"))
    md = (d / "k.md").read_text()
    answers = json.loads((d / "a.json").read_text())
    for k, version in enumerate(codes):
        assert [ex["code"] for ex in answers["versions"][k]["exercises"]] == version
        for code in version:
            assert code in key and code in md, code


# ---------------------------------------------------------------- points and room to work

POINTS = """title = "Points"
seed = 5
[[sections]]
family = "score"
level = 1
points = [1, 2, 0.5]
[[sections]]
codes = ["worked-4"]
points = 3
"""


def test_points_of():
    from handcalc.sheets.spec import parse_spec, points_of

    s = parse_spec(POINTS, "p.toml")
    assert [points_of(s, 0, n) for n in (1, 2, 3)] == [1, 2, Fraction(1, 2)]
    assert points_of(s, 1, 2) == 3 and s.has_points
    plain = parse_spec(ONE_PAGE, "o.toml")
    assert points_of(plain, 0, 1) == 1 and not plain.has_points
    default = parse_spec(ONE_PAGE.replace("[[sections]]", "points = 2.5\n[[sections]]"), "d")
    assert points_of(default, 0, 3) == Fraction(5, 2)


def test_points_appear_beside_parts_and_in_total(tmp_path):
    s = spec(tmp_path, POINTS)
    r = run(str(s), "-o", str(tmp_path / "s.pdf"), "--key", str(tmp_path / "k.md"))
    assert r.exit_code == 0, r.output
    flat = " ".join(" ".join(pages(tmp_path / "s.pdf")).split())
    for text in ("1 point", "2 points", "0.5 points", "3 points", "/ 9.5"):
        assert text in flat, text
    assert "Student number:" in flat and "Name:" in flat and "Date:" in flat
    md = (tmp_path / "k.md").read_text()
    assert "*(2 points)*" in md and "*(0.5 points)*" in md
    # no points given: none printed
    r = run(str(spec(tmp_path, ONE_PAGE, "o.toml")), "-o", str(tmp_path / "o.pdf"))
    assert r.exit_code == 0
    assert "point" not in " ".join(pages(tmp_path / "o.pdf"))


def test_work_large_gives_more_pages_than_none(tmp_path):
    body = ('title = "Work"\nwork = "{}"\n[[sections]]\n'
            'codes = ["worked-1", "worked-2", "worked-3"]\n')
    counts = {}
    for work in ("none", "small", "large"):
        s = spec(tmp_path, body.format(work), f"{work}.toml")
        out = tmp_path / f"{work}.pdf"
        assert run(str(s), "-o", str(out)).exit_code == 0
        counts[work] = len(pages(out))
    assert counts["none"] <= counts["small"] < counts["large"], counts
    typ = tmp_path / "w.typ"
    s = spec(tmp_path, body.format("none") + 'work = "large"\n', "sec.toml")
    assert run(str(s), "-o", str(typ)).exit_code == 0
    assert "#answer-room(" in typ.read_text()  # a section's work overrides the spec's


# ---------------------------------------------------------------- the answers-only key

def test_answers_key_for_thirty_exam_versions_is_at_most_thirty_pages():
    from handcalc.sheets.build import build_worksheet
    from handcalc.sheets.compile import compile_pdf
    from handcalc.sheets.spec import load_spec
    from handcalc.sheets.typst_key import key_typst

    ws = build_worksheet(load_spec(EXAM), 30, formats=("pdf",))
    texts = [p.extract_text() for p in
             pypdf.PdfReader(io.BytesIO(compile_pdf(key_typst(ws, "answers")))).pages]
    assert len(texts) <= 30
    assert version_starts(texts) == {k: k for k in range(1, 31)}  # a version a page
    for version, text in zip(ws.versions, texts, strict=True):
        for item in version.items:
            assert item.code in text
        assert "answer (2 dp)" not in text and "exact" not in text


def test_answers_key_in_markdown_and_json(tmp_path):
    s = spec(tmp_path, POINTS)
    for name in ("a.md", "a.json"):
        r = run(str(s), "-o", str(tmp_path / "s.md"), "--key", str(tmp_path / name),
                "--key-style", "answers")
        assert r.exit_code == 0, r.output
    md = (tmp_path / "a.md").read_text()
    assert "| exercise | code | part | answer (2 dp) | points |" in md
    assert "`worked-4`" in md and "| (2) | $\\begin{bmatrix}0.20 & 0.80\\end{bmatrix}$ | 3 |" in md
    data = json.loads((tmp_path / "a.json").read_text())
    assert data["sheet"] == "answers"
    ex = data["versions"][0]["exercises"][1]
    assert ex == {"exercise": 2, "code": "worked-4", "parts": [
        {"part": 1, "rounded": ["0.71", "2.12"], "points": "3"},
        {"part": 2, "rounded": ["0.20", "0.80"], "points": "3"}]}


def test_answers_style_without_a_key_is_refused(tmp_path):
    r = run(str(spec(tmp_path, ONE_PAGE)), "-o", str(tmp_path / "s.pdf"), "--key-style",
            "answers")
    assert r.exit_code == 2 and "give --key" in r.stderr
    assert [p.name for p in tmp_path.iterdir()] == ["s.toml"]


# ---------------------------------------------------------------- exact forms in the key

def test_exact_brief():
    import sympy

    from handcalc.text.exactmath import exact_brief, typst_math

    def brief(*values):
        return exact_brief([[typst_math(v) for v in values]])

    assert brief(2 * sympy.sqrt(3), sympy.Rational(5, 2))
    assert not brief(700 * sympy.sqrt(26000090) / 2600009)  # digits that help nobody
    e = sympy.exp(sympy.sqrt(2))
    assert not brief(*[e / (1 + 2 * e + e ** 2 + k) for k in range(8)])  # too much of it
    assert not brief(sum(k * sympy.exp(k) / (1 + sympy.exp(k)) for k in range(1, 6)))


def test_long_exact_forms_become_a_note_in_typst_and_markdown(tmp_path):
    s = spec(tmp_path, 'title = "L"\nseed = 3\n[[sections]]\nfamily = "layernorm"\n'
                       'level = 3\n')
    for name in ("k.typ", "k.md", "k.json"):
        assert run(str(s), "-o", str(tmp_path / "s.md"), "--key",
                   str(tmp_path / name)).exit_code == 0
    code = json.loads((tmp_path / "k.json").read_text())["versions"][0]["exercises"][0]["code"]
    # the note names the command that prints the exact value
    assert f"too long to help here; the command handcalc solve {code} " in (
        tmp_path / "k.md").read_text()
    assert f'too long to help here; the command handcalc solve "#"{code}"' in (
        tmp_path / "k.typ").read_text()
    last = json.loads((tmp_path / "k.json").read_text())["versions"][0]["exercises"][0][
        "parts"][-1]
    assert "sqrt" in json.dumps(last["answer"])  # the JSON key keeps the exact value
