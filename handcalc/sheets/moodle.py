"""Moodle XML: a worksheet spec as a question bank of cloze questions.

``quiz_xml(spec, versions, lang)`` writes one ``<quiz>`` that a teacher imports into a
Moodle question bank:

* one category per exercise slot of the spec, ``$course$/handcalc/<title>/Exercise e``
  (a ``/`` in a name doubled, as Moodle's category paths want), holding one cloze
  (embedded answers) question per version, so that a quiz's "random question from this
  category" gives each learner one version of the slot; version k of a slot is the same
  exercise as version k of the printed worksheet;
* the question text (HTML) holds the statement, the given matrices as tables with LaTeX
  math between ``\\(`` and ``\\)`` (for Moodle's MathJax filter) and, per part, its prompt
  and a table of blanks shaped like the answer, one cloze subquestion per entry;
* a finite entry is ``{1:NUMERICAL:=KEY:0.005#...}`` with the 2-decimal key (Moodle's
  bounds are inclusive, as in the two-decimal rule), then, when it differs at 2 decimals,
  the value from intermediates rounded to 2 decimals (also full marks, as ``handcalc
  check`` accepts it), then each catalogued mistake of the family whose value of that
  entry differs at 2 decimals, as a 0% alternative whose feedback is the diagnosis.
  Moodle takes the first alternative that matches, so the key comes first;
* an entry that is ``-inf`` (a masked score) cannot be NUMERICAL (Moodle's numbers are
  finite), so it is ``{1:SHORTANSWER:=-inf~=−inf~=-∞~=−∞~=–inf~...~%0%0.00#...}``: every
  spelling of minus infinity that handcalc's answer grammar accepts (``neg_inf_answers``:
  ASCII, U+2212, en dash or full-width minus; inf, ∞ or ｉｎｆ; SHORTANSWER ignores case),
  then the mistakes' values as text;
* the worked solution (every step with 2-decimal values, each answer to 2 decimals and
  exact, the exercise's code) is the general feedback, shown after an attempt. The code
  is not in the question text: with it, ``handcalc solve`` would answer the quiz.

Escaping: feedback inside a subquestion is HTML whose ``&`` is doubled (Moodle decodes
entities in it once), with ``}`` and ``#`` written ``\\}`` and ``\\#`` (Moodle's parser
undoes exactly these two) and ``~`` written ``&#126;`` (a ``\\~`` would stay visible, as
the parser does not undo it). Question text and feedback are CDATA, ``]]>`` split; words
from the spec are HTML-escaped; math is HTML-escaped too (``<`` and ``&`` in LaTeX).
Every word comes from the message catalogue in ``lang`` (en or zh).
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from typing import Any

import sympy

from handcalc.core.exact import Mat, entries, fmt2, is_finite, shape
from handcalc.exercises.datacode import short
from handcalc.text.messages import Text, render

TOLERANCE = "0.005"


def neg_inf_answers() -> tuple[str, ...]:
    """Every spelling of minus infinity that handcalc's answer grammar accepts, for a
    SHORTANSWER blank: a minus (ASCII, U+2212, the en dash, full-width) before ``inf``,
    ``∞`` or full-width ``ｉｎｆ``; the four first spellings as before."""
    minuses = ("-", "\u2212", "\u2013", "\uff0d")
    infinities = ("inf", "\u221e", "\uff49\uff4e\uff46")
    first = ("-inf", "\u2212inf", "-\u221e", "\u2212\u221e")
    every = [m + i for i in infinities for m in minuses]
    return first + tuple(a for a in every if a not in first)


NEG_INF_ANSWERS = neg_inf_answers()
PENALTY = "0.3333333"
TD = 'style="border:1px solid #bbb;padding:2px 8px;text-align:right"'
TABLE = 'style="border-collapse:collapse;margin:4px 0 8px 0"'


# ---------------------------------------------------------------- text and escaping

def words(text: Text, lang: str) -> str:
    """A message as HTML: words escaped, math between \\( \\) with its own <, > and &
    escaped (the browser unescapes them before MathJax reads the math)."""
    out = render(text, lang, "latex")
    return re.sub(r"\\\((.*?)\\\)", lambda m: math_html(m.group(1)), out, flags=re.S)


def math_html(latex: str) -> str:
    return "\\(" + html.escape(latex, quote=False) + "\\)"


def cdata(text: str) -> str:
    return "<![CDATA[" + text.replace("]]>", "]]]]><![CDATA[>") + "]]>"


def xml_text(text: str) -> str:
    return html.escape(text, quote=False)


def category_name(name: str) -> str:
    """One name of a Moodle category path: '/' doubled, padded where it starts or ends
    one (Moodle's own rule for writing category paths)."""
    name = " ".join(name.split()).replace("/", "//")
    return (" " if name.startswith("/") else "") + name + (" " if name.endswith("/") else "")


def cloze_feedback(feedback_html: str) -> str:
    """HTML feedback as it is written inside a cloze subquestion (see module docstring)."""
    text = feedback_html.replace("&", "&amp;").replace("}", "\\}").replace("#", "\\#")
    text = text.replace("~", "&#126;")
    return text + " " if text.endswith("\\") else text


# ---------------------------------------------------------------- values

def latex_value(x: sympy.Expr) -> str:
    return sympy.latex(x, order="none")


def latex_rounded(x: sympy.Expr) -> str:
    return r"-\infty" if x == -sympy.oo else fmt2(x)


def bmatrix(cells: Sequence[Sequence[str]]) -> str:
    if len(cells) == 1 and len(cells[0]) == 1:
        return cells[0][0]
    return r"\begin{bmatrix}" + r" \\ ".join(" & ".join(r) for r in cells) + r"\end{bmatrix}"


def short_forms(x: sympy.Expr) -> list[str]:
    """A finite value as typed text: '1.50' and '1.5', '0.00' and '0'."""
    two = fmt2(x)
    short = two.rstrip("0").rstrip(".") if "." in two else two
    return list(dict.fromkeys([two, "0" if short in ("-0", "") else short]))


def same_cell(a: sympy.Expr, b: sympy.Expr) -> bool:
    """Whether two entries show the same at 2 decimals (-inf only equals -inf)."""
    if not (is_finite(a) and is_finite(b)):
        return bool(a == b)
    return fmt2(a) == fmt2(b)


# ---------------------------------------------------------------- blanks

def diagnosis(mistake: Any, part: int, lang: str) -> str:
    """The diagnosis of a mistake in a part, as `handcalc check` words it."""
    from handcalc.exercises.grade import Diagnosis

    return words(Diagnosis(mistake, part).text(), lang)


Alternative = tuple[sympy.Expr, str, str]  # (value, "=" or "%0%", feedback HTML)


def alternatives(ex: Any, lang: str) -> list[list[list[list[Alternative]]]]:
    """Per part, per entry, the other values worth naming, in the order Moodle tries
    them: intermediates rounded to 2 decimals (right), then each catalogued mistake."""
    from handcalc.core.mistakes import CATALOGUE
    from handcalc.exercises.exercise import compute, mistaken, usable
    from handcalc.text.messages import msg

    paths: list[tuple[dict[str, Mat], str, Any]] = []  # (results, mark, part -> feedback)
    try:
        paths.append((compute(ex.instance, rounded=True).results, "=",
                      lambda n: words(msg("verdict.accepted.rounded-intermediates"), lang)))
    except (ArithmeticError, ValueError, TypeError):
        pass
    for mistake in ex.family.mistakes:
        results = mistaken(ex.instance, mistake)
        if results is not None:
            paths.append((results, "%0%",
                          lambda n, m=CATALOGUE[mistake]: diagnosis(m, n, lang)))
    out = []
    for part in ex.parts:
        rows, cols = shape(part.answer)
        cells: list[list[list[Alternative]]] = [[[] for _ in range(cols)] for _ in range(rows)]
        for results, mark, feedback in paths:
            value = results.get(part.key)
            if value is None or not usable(value) or shape(value) != (rows, cols):
                continue  # not reached, or another shape (heads stacked along rows)
            text = None
            for i in range(rows):
                for j in range(cols):
                    key, v, cell = part.answer[i][j], value[i][j], cells[i][j]
                    if is_finite(key) and not is_finite(v):
                        continue  # a NUMERICAL blank cannot hold -inf
                    if same_cell(v, key) or any(same_cell(v, w) for w, _, _ in cell):
                        continue
                    text = text or feedback(part.number)
                    cell.append((v, mark, text))
        out.append(cells)
    return out


def blank(key: sympy.Expr, alts: Sequence[Alternative], tolerance: str = TOLERANCE) -> str:
    """One cloze subquestion for an entry (see the module docstring); an exact count's
    entries have tolerance 0."""
    if is_finite(key):
        head = f"1:NUMERICAL:={fmt2(key)}:{tolerance}"
        tails = [f"{mark}{fmt2(v)}:{tolerance}#{cloze_feedback(text)}"
                 for v, mark, text in alts]
    else:
        head = "1:SHORTANSWER:" + "~".join(f"={a}" for a in NEG_INF_ANSWERS)
        tails = [f"{mark}{form}#{cloze_feedback(text)}"
                 for v, mark, text in alts for form in short_forms(v)]
    return "{" + "~".join([head, *tails]) + "}"


# ---------------------------------------------------------------- HTML pieces

def table(cells: Sequence[Sequence[str]]) -> str:
    body = "".join("<tr>" + "".join(f"<td {TD}>{c}</td>" for c in r) + "</tr>" for r in cells)
    return f"<table {TABLE}>{body}</table>"


def given_html(name: str, m: Mat) -> str:
    from handcalc.text.mathtext import to_target
    from handcalc.views.render import name_math

    label = math_html(to_target(name_math(name), "latex") + " =")
    cells = [[math_html(latex_value(v)) for v in r] for r in m]
    return f"<p>{label}</p>{table(cells)}"


def question_html(ex: Any, lang: str) -> str:
    from handcalc.text.messages import msg

    out = [f"<p><strong>{words(ex.title, lang)}</strong></p>",
           f"<p>{words(ex.statement, lang)}</p>"]
    out += [given_html(name, m) for name, m in ex.given.items()]
    for part, alts in zip(ex.parts, alternatives(ex, lang), strict=True):
        tol = "0" if ex.family.quantity(part.key).count else TOLERANCE
        cells = [[blank(key, a, tol) for key, a in zip(r, ra, strict=True)]
                 for r, ra in zip(part.answer, alts, strict=True)]
        out += [f"<p>({part.number}) {words(part.prompt, lang)}</p>", table(cells)]
    notes = [words(msg("exercise.footer.round"), lang)]
    if ex.family.row_softmax:
        notes.append(words(msg("exercise.footer.softmax"), lang))
    if any(not is_finite(v) for part in ex.parts for v in entries(part.answer)):
        notes.append(words(msg("moodle.infinity"), lang))
    return "\n".join(out + [f"<p><em>{' '.join(notes)}</em></p>"])


def solution_html(ex: Any, lang: str) -> str:
    from handcalc.text.mathtext import to_target
    from handcalc.text.messages import Math, msg

    out = [f"<p><strong>{words(msg('solution.head'), lang)}</strong> "
           f"({words(msg('moodle.code', code=ex.code), lang)})</p>"]
    for part in ex.parts:
        items = []
        for step in part.steps:
            value = bmatrix([[latex_rounded(v) for v in r] for r in step.value])
            if isinstance(step.label, Math):  # one formula: \(S = ... = 3.46\)
                label = to_target(step.label.src, "latex")
                items.append(f"<li>{math_html(label + ' = ' + value)}</li>")
            else:
                items.append(f"<li>{words(step.label, lang)} {math_html('= ' + value)}</li>")
        rounded = bmatrix([[latex_rounded(v) for v in r] for r in part.answer])
        exact = bmatrix([[latex_value(v) for v in r] for r in part.answer])
        items.append(f"<li><strong>{words(msg('solution.answer'), lang)}</strong> "
                     f"{math_html('= ' + rounded)}</li>")
        items.append(f"<li>{words(msg('solution.exact'), lang)} {math_html('= ' + exact)}</li>")
        out += [f"<p>({part.number}) {words(part.prompt, lang)}</p>",
                "<ul>" + "".join(items) + "</ul>"]
    return "\n".join(out)


# ---------------------------------------------------------------- the quiz

def slots(spec: Any, versions: int | None = None) -> list[list[Any]]:
    """For each version, its exercises in order (as build_worksheet draws them: a draw
    that lands on a code already in the version moves on to the next seed)."""
    from handcalc.exercises.exercise import build, generate
    from handcalc.sheets.build import plan

    done: dict[tuple, Any] = {}

    def run(job: tuple) -> Any:
        if job not in done:
            done[job] = build(job[1]) if job[0] == "code" else generate(*job[1:])
        return done[job]

    out = []
    for sections in plan(spec, versions):
        used = {run(j).code for sec in sections for j in sec if j[0] == "code"}
        exercises = []
        for job in (j for sec in sections for j in sec):
            ex = run(job)
            if job[0] == "draw":
                while ex.code in used:
                    job = ("draw", job[1], job[2], int(ex.instance.seed) + 1)
                    ex = run(job)
                used.add(ex.code)
            exercises.append(ex)
        out.append(exercises)
    return out


def quiz_xml(spec: Any, versions: int | None = None, lang: str = "en") -> str:
    """The Moodle XML question bank of a spec (see the module docstring)."""
    from handcalc.text.messages import Inline, msg

    built = slots(spec, versions)
    title = category_name(render(Inline(spec.title), lang, "unicode"))
    info = f"<p><strong>{words(Inline(spec.title), lang)}</strong></p>" + "".join(
        f"<p>{words(line, lang)}</p>" for line in spec.instructions)
    out = ['<?xml version="1.0" encoding="UTF-8"?>', "<quiz>"]
    for e in range(len(built[0])):
        slot = render(msg("moodle.exercise", n=e + 1), lang, "unicode")
        path = f"$course$/handcalc/{title}/{category_name(slot)}"
        out += ['  <question type="category">',
                f"    <category><text>{xml_text(path)}</text></category>",
                f'    <info format="html"><text>{cdata(info)}</text></info>',
                "  </question>"]
        for k, exercises in enumerate(built, 1):
            ex = exercises[e]
            name = render(msg("moodle.name", n=e + 1, version=k, code=short(ex.code)), lang,
                          "unicode")  # a long data code whole in the feedback, short here
            out += ['  <question type="cloze">',
                    f"    <name><text>{xml_text(name)}</text></name>",
                    f'    <questiontext format="html"><text>{cdata(question_html(ex, lang))}'
                    "</text></questiontext>",
                    f'    <generalfeedback format="html"><text>{cdata(solution_html(ex, lang))}'
                    "</text></generalfeedback>",
                    f"    <penalty>{PENALTY}</penalty>",
                    "    <hidden>0</hidden>",
                    "  </question>"]
    out.append("</quiz>")
    return "\n".join(out) + "\n"

