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
* a blank's weight (the integer before ``:NUMERICAL:``) is its part's points shared among
  the part's entries, all of one question's weights scaled to the smallest integers, so that
  each part carries its points; the question's ``<defaultgrade>`` is the exercise's points;
* a finite entry with exact value x is ``{W:NUMERICAL:=KEY:T~=X:0.005#...}``: the 2-decimal
  key with the widest tolerance T that stays inside handcalc's interval (T = 0.005 -
  |KEY - x|, rounded down), so that Moodle shows the key as the right answer, then x itself
  (12 decimals) with 0.005, so that Moodle accepts exactly what the two-decimal rule
  accepts, |v - x| <= 0.005 (Moodle's bounds are inclusive; both are compared in binary
  floats there, and x is written to 12 decimals: answers within 1e-12 of a bound are the
  only ones that can differ); then, when it differs at 2 decimals, the value from
  intermediates rounded to 2 decimals (also full marks: Moodle takes it entry by entry,
  ``handcalc check`` for a whole part), then each catalogued mistake of the family whose
  value of that entry differs at 2 decimals, as a 0% alternative around its exact value.
  Moodle takes the first alternative that matches, so the key comes first;
* feedback inside a blank is shown in a popover that Moodle's MathJax filter does not
  typeset: it is plain text with Unicode math (QKᵀ, √d_k) and speaks of that entry ("this
  entry matches the unscaled scores ...; key 0.71"), since Moodle grades each blank alone;
* an entry that is ``-inf`` (a masked score) cannot be NUMERICAL (Moodle's numbers are
  finite), so it is ``{W:SHORTANSWER_C:=-inf~=−inf~=-∞~=−∞~...~%0%0.00#...}``: every
  spelling of minus infinity that handcalc's answer grammar accepts (``neg_inf_answers``:
  ASCII, U+2212, en dash or full-width minus, a space or none, then inf, ∞ or ｉｎｆ;
  case-sensitive, as handcalc is),
  then the mistakes' values as text;
* the question text says to type ASCII numbers (Moodle's NUMERICAL takes no full-width
  digits and no U+2212 minus), in the quiz's language;
* Moodle grades each blank alone: no credit carried forward, and no scoring policy
  (handcalc.exercises.scoring) but "entries" can hold for a part as a whole; the command's
  summary line says so (``grading_note``), so that a teacher knows which grade to trust;
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
import math
import re
from collections.abc import Sequence
from decimal import ROUND_FLOOR, ROUND_HALF_EVEN, Decimal, localcontext
from fractions import Fraction
from typing import Any

import sympy

from handcalc.core.exact import Mat, entries, is_finite, shape
from handcalc.core.rounding import fmt2
from handcalc.exercises.datacode import short
from handcalc.text.messages import Text, render

TOLERANCE = "0.005"
EXACT_PLACES = 12  # the decimals of an exact value written into a NUMERICAL alternative


def neg_inf_answers() -> tuple[str, ...]:
    """Every spelling of minus infinity that handcalc's answer grammar accepts, for a
    SHORTANSWER_C blank: a minus (ASCII, U+2212, the en dash, full-width), a space or none,
    then ``inf``, ``∞`` or full-width ``ｉｎｆ`` (each one checked with the parser); the four
    first spellings as before."""
    from handcalc.core.exact import NEG_INF
    from handcalc.core.parse import parse_answer

    minuses = ("-", "\u2212", "\u2013", "\uff0d")
    infinities = ("inf", "\u221e", "\uff49\uff4e\uff46")
    first = ("-inf", "\u2212inf", "-\u221e", "\u2212\u221e")
    every = [m + space + i for space in ("", " ") for i in infinities for m in minuses]
    return first + tuple(a for a in every
                         if a not in first and parse_answer(a) == ((NEG_INF,),))


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


def plain_words(text: Text, lang: str) -> str:
    """A message as HTML text with its math in Unicode (QKᵀ, √d_k): for the feedback of a
    blank, which Moodle shows in a popover that its MathJax filter does not typeset."""
    return html.escape(render(text, lang, "unicode"), quote=False)


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


def decimal_text(x: sympy.Expr, places: int = EXACT_PLACES, floor: bool = False) -> str:
    """A finite value as a decimal with at most `places` decimals (to nearest, or rounded
    down), trailing zeros dropped: 3.464101615138, 0.5, -2."""
    with localcontext() as ctx:
        ctx.prec = 60
        value = Decimal(str(sympy.N(x, 40)))
        q = value.quantize(Decimal(1).scaleb(-places),
                           rounding=ROUND_FLOOR if floor else ROUND_HALF_EVEN)
    text = format(q, "f")
    text = text.rstrip("0").rstrip(".") if "." in text else text
    return "0" if text in ("-0", "") else text


def key_alternatives(x: sympy.Expr) -> list[str]:
    """The right alternatives of a finite entry with exact value x: the 2-decimal key with
    the widest tolerance inside |v - x| <= 0.005, then x itself with 0.005 when the key is
    not x (see the module docstring)."""
    key = fmt2(x)
    gap = abs(sympy.Rational(key) - x)
    if gap == 0 or abs(sympy.N(gap, 50)) < sympy.Rational(1, 10**40):  # x is the key
        return [f"{key}:{TOLERANCE}"]
    slack = sympy.Rational(1, 200) - gap
    return [f"{key}:{decimal_text(slack, 10, floor=True)}",
            f"{decimal_text(x)}:{TOLERANCE}"]


def blank_weights(points: Sequence[Fraction], sizes: Sequence[int]) -> list[int]:
    """Per part, the weight of each of its blanks: the part's points shared among its
    `sizes` entries, scaled to the smallest integers (all 1 when no part has points)."""
    shares = [Fraction(p) / n for p, n in zip(points, sizes, strict=True)]
    if not any(shares):
        return [1] * len(shares)
    scale = math.lcm(*(s.denominator for s in shares))
    ints = [int(s * scale) for s in shares]
    common = math.gcd(*ints)
    return [w // common for w in ints]


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

Alternative = tuple[sympy.Expr, str, str]  # (exact value, "=" or "%0%", feedback HTML)


def entry_feedback(mistake: Any, key: sympy.Expr, lang: str) -> str:
    """What a blank says of a value that matches a catalogued mistake: that this entry
    matches it (the other entries may not), and the entry's key to 2 decimals."""
    from handcalc.text.messages import msg

    shown = fmt2(key) if is_finite(key) else "-inf"
    return plain_words(msg("moodle.entry.mistake", explanation=mistake.explanation,
                           key=shown), lang)


def alternatives(ex: Any, lang: str) -> list[list[list[list[Alternative]]]]:
    """Per part, per entry, the other values worth naming, in the order Moodle tries
    them: intermediates rounded to 2 decimals (right), then each catalogued mistake."""
    from handcalc.core.compare import usable
    from handcalc.core.mistakes import CATALOGUE
    from handcalc.exercises.exercise import compute, mistaken
    from handcalc.text.messages import msg

    rounded_text = plain_words(msg("moodle.entry.rounded"), lang)
    paths: list[tuple[dict[str, Mat], str, Any]] = []  # (results, mark, mistake or None)
    try:
        paths.append((compute(ex.instance, rounded=True).results, "=", None))
    except (ArithmeticError, ValueError, TypeError):
        pass
    for mistake in ex.family.mistakes:
        results = mistaken(ex.instance, mistake)
        if results is not None:
            paths.append((results, "%0%", CATALOGUE[mistake]))
    out = []
    for part in ex.parts:
        rows, cols = shape(part.answer)
        cells: list[list[list[Alternative]]] = [[[] for _ in range(cols)] for _ in range(rows)]
        for results, mark, mistake in paths:
            value = results.get(part.key)
            if value is None or not usable(value) or shape(value) != (rows, cols):
                continue  # not reached, or another shape (heads stacked along rows)
            for i in range(rows):
                for j in range(cols):
                    key, v, cell = part.answer[i][j], value[i][j], cells[i][j]
                    if is_finite(key) and not is_finite(v):
                        continue  # a NUMERICAL blank cannot hold -inf
                    if same_cell(v, key) or any(same_cell(v, w) for w, _, _ in cell):
                        continue
                    text = rounded_text if mistake is None else entry_feedback(mistake, key,
                                                                               lang)
                    cell.append((v, mark, text))
        out.append(cells)
    return out


def blank(key: sympy.Expr, alts: Sequence[Alternative], weight: int = 1,
          count: bool = False) -> str:
    """One cloze subquestion for an entry (see the module docstring); an exact count's
    entries have tolerance 0."""
    if is_finite(key):
        rights = [f"{sympy.Integer(key)}:0"] if count else key_alternatives(key)
        tolerance = "0" if count else TOLERANCE
        head = f"{weight}:NUMERICAL:" + "~".join(f"={a}" for a in rights)
        tails = [f"{mark}{decimal_text(v)}:{tolerance}#{cloze_feedback(text)}"
                 for v, mark, text in alts]
    else:
        head = f"{weight}:SHORTANSWER_C:" + "~".join(f"={a}" for a in NEG_INF_ANSWERS)
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


def question_html(ex: Any, lang: str, points: Sequence[Fraction] | None = None) -> str:
    """The question text; `points`: each part's points (default 1 each), which weight its
    blanks."""
    from handcalc.text.messages import msg

    out = [f"<p><strong>{words(ex.title, lang)}</strong></p>",
           f"<p>{words(ex.statement, lang)}</p>"]
    out += [given_html(name, m) for name, m in ex.given.items()]
    sizes = [len(entries(p.answer)) for p in ex.parts]
    weights = blank_weights(points or [Fraction(1)] * len(sizes), sizes)
    for part, alts, w in zip(ex.parts, alternatives(ex, lang), weights, strict=True):
        count = ex.family.quantity(part.key).count
        cells = [[blank(key, a, w, count) for key, a in zip(r, ra, strict=True)]
                 for r, ra in zip(part.answer, alts, strict=True)]
        out += [f"<p>({part.number}) {words(part.prompt, lang)}</p>", table(cells)]
    values = [v for part in ex.parts for v in entries(part.answer)]
    notes = [words(msg("exercise.footer.round"), lang)]
    if ex.family.row_softmax:
        notes.append(words(msg("exercise.footer.softmax"), lang))
    if any(not is_finite(v) for v in values):
        notes.append(words(msg("moodle.infinity"), lang))
    if any(is_finite(v) for v in values):
        notes.append(words(msg("moodle.ascii"), lang))
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

def slots(spec: Any, versions: int | None = None) -> list[list[tuple[Any, int]]]:
    """For each version, its exercises in order, each with its section (0-based), as
    build_worksheet draws them (a draw that lands on a code already in the version moves on
    to the next seed)."""
    from handcalc.sheets.build import job_exercise, plan

    done: dict[tuple, Any] = {}

    def run(job: tuple) -> Any:
        if job not in done:
            done[job] = job_exercise(job)
        return done[job]

    out = []
    for sections in plan(spec, versions):
        used = {run(j).code for sec in sections for j in sec if j[0] == "code"}
        exercises = []
        for section, job in ((s, j) for s, sec in enumerate(sections) for j in sec):
            ex = run(job)
            if job[0] == "draw":
                while ex.code in used:
                    job = ("draw", job[1], job[2], int(ex.instance.seed) + 1)
                    ex = run(job)
                used.add(ex.code)
            exercises.append((ex, section))
        out.append(exercises)
    return out


def points_text(x: Fraction) -> str:
    return str(x.numerator) if x.denominator == 1 else f"{float(x):g}"


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
            ex, section = exercises[e]
            points = [Fraction(spec.points_of(section, p.number)) for p in ex.parts]
            name = render(msg("moodle.name", n=e + 1, version=k, code=short(ex.code)), lang,
                          "unicode")  # a long data code whole in the feedback, short here
            text = question_html(ex, lang, points)
            out += ['  <question type="cloze">',
                    f"    <name><text>{xml_text(name)}</text></name>",
                    f'    <questiontext format="html"><text>{cdata(text)}'
                    "</text></questiontext>",
                    f'    <generalfeedback format="html"><text>{cdata(solution_html(ex, lang))}'
                    "</text></generalfeedback>",
                    f"    <defaultgrade>{points_text(sum(points, Fraction(0)))}</defaultgrade>",
                    f"    <penalty>{PENALTY}</penalty>",
                    "    <hidden>0</hidden>",
                    "  </question>"]
    out.append("</quiz>")
    return "\n".join(out) + "\n"


def grading_note(spec: Any, lang: str = "en") -> str:
    """What the export's summary line says of Moodle's grading next to handcalc's: a
    cloze blank is graded alone, so no credit is carried forward, and a scoring policy other
    than "entries" cannot be applied to a part as a whole."""
    from handcalc.exercises.scoring import ENTRIES
    from handcalc.sheets.spec_scoring import scoring_of
    from handcalc.text.messages import msg

    policies = [scoring_of(spec, i) for i in range(len(spec.sections))]
    strict = [p for p in dict.fromkeys(policies) if p != ENTRIES]
    policy: Any = ""
    if strict:
        policy = msg("moodle.summary.policy", scoring=" / ".join(strict),
                     what=msg(f"moodle.summary.{strict[0]}"))
    return render(msg("moodle.summary", policy=policy), lang, "unicode")

