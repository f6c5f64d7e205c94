"""`handcalc worksheet SPEC --format moodle`: Moodle XML checked against the format's own
rules: well-formed XML, one category per exercise slot, one cloze question per version,
and every cloze subquestion read as Moodle's own parser reads it."""

from __future__ import annotations

import html
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import sympy
from click.testing import CliRunner

from handcalc.cli import cli
from handcalc.core.exact import entries, is_finite
from handcalc.core.rounding import fmt2
from handcalc.exercises.exercise import build
from handcalc.sheets.build import build_worksheet, worksheet_codes
from handcalc.sheets.moodle import NEG_INF_ANSWERS, blank, cdata, quiz_xml, words
from handcalc.sheets.spec import parse_spec

ROOT = Path(__file__).resolve().parent.parent
EXAM = ROOT / "problems" / "exam.toml"

# ---------------------------------------------------------------- Moodle's cloze parser
# Restated from Moodle's question/type/multianswer/questiontype.php (the ANSWER_*,
# NUMBER_REGEX and NUMERICAL_ALTERNATIVE_REGEX constants and
# qtype_multianswer_extract_question), in Python's dialect: a subquestion is
# {WEIGHT:TYPE:ALTERNATIVES}; alternatives are separated by ~; each is an optional
# fraction (= or %N%), an answer that runs lazily up to a ~, # or } not preceded by a
# backslash, & or &amp;, and an optional #feedback that runs lazily up to a ~ or } not
# preceded by a backslash. PHP's /s flag is re.S. Python's lookbehinds must have one
# width, so "not preceded by \ or & or &amp;" is three lookbehinds in a row.
TYPES = ("NUMERICAL|NM|MULTICHOICE|MC|MULTICHOICE_V|MCV|MULTICHOICE_H|MCH|SHORTANSWER|SA|MW|"
         "SHORTANSWER_C|SAC|MWC|MULTICHOICE_S|MCS|MULTICHOICE_VS|MCVS|MULTICHOICE_HS|MCHS|"
         "MULTIRESPONSE|MR|MULTIRESPONSE_H|MRH|MULTIRESPONSE_S|MRS|MULTIRESPONSE_HS|MRHS")
FRACTION = r"=|%-?[0-9]+(?:[.,][0-9]*)?%"
ANSWER = r".+?(?<!\\)(?<!&)(?<!&amp;)(?=[~#}]|$)"
FEEDBACK = r".*?(?<!\\)(?=[~}]|$)"
ALT_PLAIN = rf"(?:{FRACTION})?(?:{ANSWER})(?:#(?:{FEEDBACK}))?"
ALT = re.compile(rf"~?(?P<fraction>{FRACTION})?(?P<answer>{ANSWER})(?:#(?P<feedback>{FEEDBACK}))?",
                 re.S)
CLOZE = re.compile(rf"\{{(?P<weight>[0-9]*):(?P<type>{TYPES}):"
                   rf"(?P<alts>{ALT_PLAIN}(?:~{ALT_PLAIN})*)\}}", re.S)
NUMBER = r"-?(?:(?:[0-9]+[.,]?[0-9]*|[.,][0-9]+)(?:[eE][-+]?[0-9]+)?)"
NUMERICAL = re.compile(rf"^(?P<value>{NUMBER})(?::(?P<tolerance>{NUMBER}))?$", re.S)


def moodle_feedback(raw: str) -> str:
    """Feedback as Moodle stores it: entities decoded, then \\} and \\# undone."""
    return html.unescape(raw).replace("\\}", "}").replace("\\#", "#")


def extract(text: str) -> tuple[str, list[dict]]:
    """What Moodle makes of a cloze question text: the text with {#n} in place of each
    subquestion, and the subquestions (type, alternatives), as its parser loops."""
    subs = []
    while (m := CLOZE.search(text)) is not None:
        alts, rest = [], m.group("alts")
        while rest and (a := ALT.search(rest)) is not None:
            fb = a.group("feedback")
            alts.append({"fraction": a.group("fraction") or "", "answer": a.group("answer"),
                         "feedback": None if fb is None else moodle_feedback(fb)})
            rest = rest.split(a.group(0), 1)[1]
        subs.append({"raw": m.group(0), "type": m.group("type"), "alts": alts})
        text = text.replace(m.group(0), f"{{#{len(subs)}}}", 1)
    return text, subs


# ---------------------------------------------------------------- fixtures

def run(*args: str, **kwargs):
    return CliRunner().invoke(cli, ["worksheet", *args], **kwargs)


@pytest.fixture(scope="module")
def exam(tmp_path_factory):
    """problems/exam.toml, 3 versions, as the command writes it."""
    out = tmp_path_factory.mktemp("moodle") / "quiz.xml"
    r = run(str(EXAM), "--versions", "3", "--format", "moodle", "-o", str(out), "--lang", "en")
    assert r.exit_code == 0, r.output + (r.stderr or "")
    assert "3 versions" in r.output
    return out.read_bytes()


def questions(data: bytes | str) -> list[ET.Element]:
    root = ET.fromstring(data)
    assert root.tag == "quiz"
    return list(root)


def text_of(q: ET.Element, tag: str) -> str:
    return q.find(f"{tag}/text").text or ""


def code_of(q: ET.Element) -> str:
    return re.search(r"\(([a-z0-9-]+)\)$", text_of(q, "name")).group(1)


def spec_text(title: str, body: str) -> str:
    return f'title = "{title}"\nseed = 5\n' + body


# ---------------------------------------------------------------- the exam, 3 versions

def test_one_category_per_slot_and_one_cloze_per_version(exam):
    qs = questions(exam)
    assert [q.get("type") for q in qs] == (["category"] + ["cloze"] * 3) * 10
    cats = [text_of(q, "category") for q in qs if q.get("type") == "category"]
    assert cats == [f"$course$/handcalc/Self-attention by hand: exam/Exercise {e}"
                    for e in range(1, 11)]
    for q in qs:
        if q.get("type") == "cloze":
            assert q.find("questiontext").get("format") == "html"
            assert q.find("hidden").text == "0" and float(q.find("penalty").text) > 0
    slots = [qs[i + 1:i + 4] for i in range(0, 40, 4)]
    spec = parse_spec(EXAM.read_text("utf-8"), "exam.toml")
    sheet = worksheet_codes(build_worksheet(spec, 3, formats=("md",)))
    by_slot = [list(codes) for codes in zip(*sheet, strict=True)]
    assert [[code_of(q) for q in slot] for slot in slots] == by_slot


def test_every_subquestion_is_read_by_moodles_parser_as_written(exam):
    for q in questions(exam):
        if q.get("type") != "cloze":
            continue
        text = text_of(q, "questiontext")
        rest, subs = extract(text)
        opened = re.findall(r"\{\d+:(?:NUMERICAL|SHORTANSWER_C):", text)
        assert subs and not re.search(r"\{\d+:", rest)
        assert len(subs) == len(opened) == len(re.findall(r"\{#\d+\}", rest))
        for sub in subs:  # each match ends where the blank was closed: at its cell's end
            assert text.split(sub["raw"], 1)[1].startswith("</td>"), sub["raw"][:80]
            assert sub["type"] in ("NUMERICAL", "SHORTANSWER_C")
            assert all(a["fraction"] in ("=", "%0%") for a in sub["alts"])
            if sub["type"] == "NUMERICAL":
                for a in sub["alts"]:
                    m = NUMERICAL.match(a["answer"])
                    assert m and m.group("tolerance"), a["answer"]
                    tolerance = float(m.group("tolerance"))  # 0: an exact count
                    assert 0 < tolerance <= 0.005 or (
                        tolerance == 0 and float(m.group("value")).is_integer())


def test_the_key_is_the_first_alternative_of_every_blank(exam):
    seen_inf = 0
    for q in questions(exam):
        if q.get("type") != "cloze":
            continue
        _, subs = extract(text_of(q, "questiontext"))
        keys = [v for p in build(code_of(q)).parts for v in entries(p.answer)]
        assert len(keys) == len(subs)
        for key, sub in zip(keys, subs, strict=True):
            first = sub["alts"][0]
            assert first["fraction"] == "="
            if is_finite(key):
                assert sub["type"] == "NUMERICAL"
                value, tolerance = first["answer"].split(":")
                if tolerance == "0":  # an exact count: the whole number itself
                    assert sympy.Integer(value) == key
                    continue
                assert value == fmt2(key)  # Moodle shows it as the right answer
                # inside the two-decimal rule's interval around the exact value
                reach = sympy.N(abs(sympy.Rational(value) - key) + sympy.Rational(tolerance), 50)
                assert reach <= sympy.Rational(1, 200) + sympy.Rational(1, 10**40)
            else:  # -inf: the spellings handcalc parses, as a case-sensitive SHORTANSWER
                seen_inf += 1
                assert sub["type"] == "SHORTANSWER_C"
                n = len(NEG_INF_ANSWERS)
                assert [a["answer"] for a in sub["alts"][:n]] == list(NEG_INF_ANSWERS)
                assert all(a["fraction"] == "=" for a in sub["alts"][:n])
                assert all(a["fraction"] == "%0%" for a in sub["alts"][n:])
    assert seen_inf  # the causal exercises have masked scores


def test_neg_inf_spellings_are_what_handcalc_parses():
    from handcalc.core.parse import parse_answer

    assert {"- inf", "\u2013inf", "\uff0dinf"} <= set(NEG_INF_ANSWERS)
    for text in NEG_INF_ANSWERS:
        assert parse_answer(text) == ((-sympy.oo,),), text


def test_mistakes_are_0_percent_alternatives_with_their_diagnosis(exam):
    found = 0
    for q in questions(exam):
        if q.get("type") != "cloze":
            continue
        for sub in extract(text_of(q, "questiontext"))[1]:
            for a in sub["alts"][1:]:
                if a["fraction"] == "%0%":
                    found += 1
                    assert (a["feedback"] or "").startswith("This entry matches "), \
                        sub["raw"][:80]
                elif a["answer"] not in NEG_INF_ANSWERS and a["feedback"] is not None:
                    assert "rounded" in a["feedback"], sub["raw"][:80]
    assert found > 100


def test_no_blank_feedback_holds_latex(exam, tmp_path):
    """Moodle's MathJax filter does not typeset a blank's feedback popover: Unicode math."""
    out = tmp_path / "zh.xml"
    assert run(str(EXAM), "--versions", "2", "--format", "moodle", "-o", str(out),
               "--lang", "zh").exit_code == 0
    feedbacks = []
    for data in (exam, out.read_bytes()):
        for q in questions(data):
            if q.get("type") == "cloze":
                for sub in extract(text_of(q, "questiontext"))[1]:
                    feedbacks += [a["feedback"] for a in sub["alts"] if a["feedback"]]
    assert len(feedbacks) > 1000
    bad = [f for f in feedbacks if "\\(" in f or "\\frac" in f or "\\sqrt" in f]
    assert not bad, bad[:3]
    assert any("√d_k" in f for f in feedbacks) and any("这个元素" in f for f in feedbacks)


def test_the_general_feedback_is_the_worked_solution(exam):
    q = questions(exam)[1]
    fb = text_of(q, "generalfeedback")
    ex = build(code_of(q))
    assert "Worked solution" in fb and ex.code in fb and ex.code not in text_of(
        q, "questiontext")
    for part in ex.parts:
        assert fmt2(part.answer[0][0]) in fb


def test_a_known_mistake_names_itself():
    """worked-4 part 1: the unscaled scores 1 and 3 are the no-scale mistake."""
    spec = parse_spec(spec_text("w4", '[[sections]]\ncodes = ["worked-4"]\n'), "w4.toml")
    q = questions(quiz_xml(spec, 1, "en"))[1]
    sub = extract(text_of(q, "questiontext"))[1][0]
    # 0.71 for sqrt(2)/2 = 0.70711: 0.71 +- 0.00211 lies inside 0.70711 +- 0.005, which
    # the second alternative accepts whole
    assert sub["raw"].startswith("{1:NUMERICAL:=0.71:0.0021067811~=0.707106781187:0.005~"
                                 "%0%1:0.005#This entry matches the unscaled scores")
    alt = sub["alts"][2]
    assert alt["answer"] == "1:0.005" and "forgot to divide QKᵀ by √d_k" in alt["feedback"]
    assert "The key of this entry is 0.71." in alt["feedback"]


# ---------------------------------------------------------------- escaping

def test_feedback_braces_hashes_tildes_and_markup_survive_the_parser():
    text = "a } b # c ~ d &lt;x&gt; &amp; \\(x_{1}\\) \\}"
    raw = blank(sympy.Rational(73, 100), [(sympy.Rational(88, 100), "%0%", text)])
    assert "\\}" in raw and "\\#" in raw and "~ d" not in raw
    rest, subs = extract(f"<td>{raw}</td>")
    assert rest == "<td>{#1}</td>"
    (sub,) = subs
    assert [a["answer"] for a in sub["alts"]] == ["0.73:0.005", "0.88:0.005"]
    assert sub["alts"][1]["feedback"] == text


def test_hostile_spec_title_is_escaped(tmp_path):
    title = "<script>alert(1)</script> ]]> a/b & c"
    spec = tmp_path / "hostile.toml"
    spec.write_text(spec_text(title.replace('"', ""), '[[sections]]\ncodes = ["worked-1"]\n'))
    out = tmp_path / "quiz.xml"
    r = run(str(spec), "-o", str(out))
    assert r.exit_code == 0, r.output
    qs = questions(out.read_bytes())  # well-formed despite ]]> and <
    assert text_of(qs[0], "category") == (
        "$course$/handcalc/<script>alert(1)<//script> ]]> a//b & c/Exercise 1")
    info = text_of(qs[0], "info")
    assert "<script" not in info and "&lt;script&gt;" in info and "]]&gt;" in info
    assert ET.fromstring(f"<t>{cdata('x ]]> y')}</t>").text == "x ]]> y"


def test_math_in_html_is_escaped():
    from handcalc.text.messages import Math

    assert words(Math("x <= y < z"), "en") == "\\(x \\le y &lt; z\\)"


# ---------------------------------------------------------------- language, options

def test_lang_zh_gives_chinese_words(tmp_path):
    spec = tmp_path / "c.toml"
    spec.write_text(spec_text("掩码", '[[sections]]\nfamily = "causal"\nlevel = 2\n'))
    out = tmp_path / "c.xml"
    r = run(str(spec), "-o", str(out), "--lang", "zh")
    assert r.exit_code == 0, r.output
    qs = questions(out.read_bytes())
    assert text_of(qs[0], "category") == "$course$/handcalc/掩码/第 1 题"
    text, fb = text_of(qs[1], "questiontext"), text_of(qs[1], "generalfeedback")
    assert "这个元素" in text and "解答" in fb and "Worked solution" not in fb
    assert "半角" in text
    assert "=-inf~=−inf~=-∞~=−∞~" in text


def test_key_with_moodle_is_refused(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for args in (["-o", "q.xml", "--key", "k.xml"], ["--format", "moodle", "--key", "k.xml"]):
        r = run(str(EXAM), *args)
        assert r.exit_code == 2, r.output
        err = r.stderr.strip()
        assert "\n" not in err and "Moodle" in err
    assert list(tmp_path.iterdir()) == []


def test_xml_suffix_and_default_name(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    spec = tmp_path / "one.toml"
    spec.write_text(spec_text("One", '[[sections]]\ncodes = ["worked-5"]\n'))
    assert run(str(spec), "--format", "moodle").exit_code == 0
    assert run(str(spec), "-o", "b.xml").exit_code == 0
    assert (tmp_path / "one.xml").read_bytes() == (tmp_path / "b.xml").read_bytes()


def test_a_chinese_spec_gives_a_chinese_quiz_and_lang_overrides_it(tmp_path):
    spec = Path(__file__).resolve().parent.parent / "problems" / "worked-set-zh.toml"
    out = tmp_path / "q.xml"
    assert run(str(spec), "-o", str(out)).exit_code == 0
    text = out.read_text("utf-8")
    ET.fromstring(text)
    assert "自注意力手算" in text and "缩放点积注意力" in text
    assert run(str(spec), "-o", str(out), "--lang", "en").exit_code == 0
    assert "Scaled dot-product attention" in out.read_text("utf-8")


@pytest.mark.parametrize("scoring, said", [
    ("entries", None),
    ("diagnosed", 'scoring "diagnosed" gives 0 to a part that matches a catalogued mistake'),
    ("part", 'scoring "part" gives 0 to every wrong part'),
])
def test_the_summary_line_says_which_grade_to_trust(tmp_path, scoring, said):
    spec = tmp_path / "s.toml"
    spec.write_text(spec_text("S", f'scoring = "{scoring}"\n[[sections]]\n'
                                   'codes = ["worked-4"]\n'))
    r = run(str(spec), "-o", str(tmp_path / "s.xml"))
    assert r.exit_code == 0, r.output
    line = r.output.strip()
    assert "\n" not in line and "no credit carried forward from earlier parts" in line
    assert "the marks to trust are those of handcalc grade" in line
    if said is None:
        assert "right entries" not in line
    else:
        assert "a wrong part keeps the points of its right entries" in line and said in line
    r = run(str(spec), "-o", str(tmp_path / "s.xml"), "--lang", "zh")
    assert "不按前面小题的答案顺延给分" in r.output and "handcalc grade" in r.output
