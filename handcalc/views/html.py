"""Exercises, worked solutions and verdicts as HTML fragments with MathML math.

For the browser drill (handcalc.web) and notebooks (``_repr_html_``). Words come from the
catalogues rendered for the ``html`` target (escaped, math as MathML from
handcalc.text.mathtext, the one notation source); values are written here as MathML
tables. Every string that is not markup made here goes through ``esc``: a fragment never
carries a character of data that the browser could read as markup. No JavaScript, no
math library: the browser typesets MathML itself.
"""

from __future__ import annotations

import html

import sympy

from handcalc.core.exact import Mat, neg_inf, shape
from handcalc.core.rounding import fmt2, fmt_exact
from handcalc.exercises.exercise import Exercise, Part
from handcalc.exercises.grade import Verdict
from handcalc.text import mathtext
from handcalc.text.messages import DEFAULT_LANG, Raw, Text, render, tr
from handcalc.views.render import exact_text, name_math

# The look of the fragments: the page's style.css holds the same rules; a notebook gets
# them with each fragment (``with_style``). Brackets of a matrix are drawn as borders, so
# that no math font is needed.
STYLE = """<style>
.handcalc mtable.matrix, mtable.matrix { padding: 0 .35em; border-left: 1.5px solid;
  border-right: 1.5px solid;
  background: linear-gradient(currentColor, currentColor) top left / .3em 1.5px no-repeat,
    linear-gradient(currentColor, currentColor) bottom left / .3em 1.5px no-repeat,
    linear-gradient(currentColor, currentColor) top right / .3em 1.5px no-repeat,
    linear-gradient(currentColor, currentColor) bottom right / .3em 1.5px no-repeat; }
.handcalc mtable.matrix mtd, mtable.matrix mtd { padding: .15em .45em; text-align: right; }
.handcalc .right { color: #1a7f37; } .handcalc .wrong { color: #c0362c; }
.handcalc table.entries td { padding: .1em .6em; font-variant-numeric: tabular-nums; }
</style>"""


def with_style(fragment: str) -> str:
    return STYLE + fragment


def esc(text: object) -> str:
    return html.escape(str(text), quote=True)


def h(text: Text, lang: str) -> str:
    """A catalogue text as HTML (words escaped, math as MathML)."""
    return render(text, lang, "html")


def t(id: str, lang: str, **args: object) -> str:
    return tr(id, lang, "html", **args)


# ---------------------------------------------------------------- values

def _number(text: str) -> str:
    """A decimal number as MathML, its sign an operator: -0.50 -> <mo>−</mo><mn>0.50</mn>."""
    if text == "-inf":
        return "<mo>−</mo><mi>∞</mi>"
    if text.startswith("-"):
        return "<mo>−</mo>" + _number(text[1:])
    return f"<mn>{esc(text)}</mn>"


def value_mathml(x: sympy.Expr) -> str:
    """An exact value as MathML content: 3, −1/3 as a fraction, 5√2/2, −∞."""
    if x == neg_inf():
        return _number("-inf")
    if isinstance(x, sympy.Rational):
        text = exact_text(x)
        if "/" not in text:
            return _number(text)
        src = text
    else:
        from handcalc.text.exactmath import typst_math

        src = typst_math(x)
    try:
        return mathtext.to_target(src, "mathml")
    except mathtext.MathSyntaxError:
        return f"<mtext>{esc(fmt_exact(x))}</mtext>"


def matrix_mathml(m: Mat, exact: bool = True) -> str:
    """A matrix in brackets as a MathML table (a 1 x 1 one as its number)."""
    def cell(v: sympy.Expr) -> str:
        return value_mathml(v) if exact else _number(fmt2(v))

    if shape(m) == (1, 1):
        return cell(m[0][0])
    rows = "".join("<mtr>" + "".join(f"<mtd>{cell(v)}</mtd>" for v in r) + "</mtr>" for r in m)
    # the brackets are drawn by CSS (STYLE): a stretched <mo>[</mo> needs a math font
    return f'<mtable class="matrix">{rows}</mtable>'


def named_matrix(name: str, m: Mat, exact: bool = True) -> str:
    """`Q = [...]` as one display <math> element."""
    left = mathtext.to_target(name_math(name), "mathml")
    return f'<math display="block">{left}<mo>=</mo>{matrix_mathml(m, exact)}</math>'


def labelled_matrix(label: str, m: Mat, exact: bool = False) -> str:
    """A catalogue label (HTML) followed by ` = [...]`."""
    return (f'<div class="step"><span class="label">{label}</span> '
            f'<math><mo>=</mo>{matrix_mathml(m, exact)}</math></div>')


# ---------------------------------------------------------------- exercises

def given_html(ex: Exercise) -> str:
    return ('<div class="given">' + "".join(named_matrix(n, m) for n, m in ex.given.items())
            + "</div>")


def footer_html(ex: Exercise, lang: str) -> str:
    words = [t("exercise.footer.round", lang)]
    if ex.family.row_softmax:
        words.append(t("exercise.footer.softmax", lang))
    return f'<p class="footer">{" ".join(words)}</p>'


def exercise_html(ex: Exercise, lang: str = DEFAULT_LANG) -> str:
    """The exercise as the printed sheet reads: title and code, statement, given
    matrices, the parts asked, the rounding rule. No answer."""
    # the prompts without solving the exercise (its parts are solved when first needed)
    parts = "".join(f'<li value="{n}">{h(ex.prompt(n), lang)}</li>'
                    for n in range(1, len(ex.keys) + 1))
    return (f'<section class="handcalc exercise" lang="{esc(lang)}">'
            f'<h3>{t("exercise.head", lang, title=ex.title, code=ex.code)}</h3>'
            f'<p class="statement">{h(ex.statement, lang)}</p>{given_html(ex)}'
            f'<ol class="parts">{parts}</ol>{footer_html(ex, lang)}</section>')


def part_solution_html(part: Part, lang: str = DEFAULT_LANG) -> str:
    """One part's worked solution: its steps at 2 decimals, its exact answer and its
    2-decimal answer."""
    steps = "".join(labelled_matrix(h(s.label, lang), s.value) for s in part.steps)
    exact = labelled_matrix(t("solution.exact", lang), part.answer, exact=True)
    answer = labelled_matrix(t("solution.answer", lang), part.answer)
    head = t("practice.solution", lang, part=part.number, prompt=part.prompt)
    return f'<div class="solution"><p>{head}</p>{steps}{exact}{answer}</div>'


def solution_html(ex: Exercise, lang: str = DEFAULT_LANG) -> str:
    parts = "".join(part_solution_html(p, lang) for p in ex.parts)
    return (f'<section class="handcalc worked" lang="{esc(lang)}">{exercise_html(ex, lang)}'
            f'<h3>{t("solution.head", lang)}</h3>{parts}</section>')


# ---------------------------------------------------------------- verdicts

def verdict_words(v: Verdict, lang: str) -> str:
    """The verdict's head line as HTML: `gqa-1-5 part 2: incorrect (1 of 2 entries right)`."""
    r, c = v.expected_shape
    if v.correct:
        what = tr(f"verdict.accepted.{v.accepted_by or 'exact'}", lang, "html")
    elif v.cells:
        right = sum(x for row in v.cells for x in row)
        what = t("verdict.incorrect", lang) if r * c == 1 else t(
            "verdict.incorrect_count", lang, right=right, total=r * c)
    else:
        what = t("verdict.wrong_shape", lang, rows=r, cols=c)
    return t("verdict.head", lang, code=v.code, part=v.part, what=Raw(what))


def diagnosis_html(v: Verdict, lang: str) -> str:
    """The diagnosis (or the rounding hint) as HTML, or ''."""
    from handcalc.views.render import near_miss

    if v.diagnosis is not None:
        return t("verdict.diagnosis", lang, text=v.diagnosis.text())
    if v.cells and not v.correct and near_miss(v):
        return t("verdict.rounding_hint", lang)
    return ""


def verdict_html(v: Verdict, lang: str = DEFAULT_LANG) -> str:
    """The verdict: its head line, the typed entries marked right or wrong, the diagnosis."""
    marks = ""
    if v.cells:
        rows = "".join("<tr>" + "".join(
            f'<td class="{"right" if ok else "wrong"}">{esc(fmt_typed(a))} '
            f'{"✓" if ok else "✗"}</td>' for a, ok in zip(ra, rc, strict=True)) + "</tr>"
            for ra, rc in zip(v.answer, v.cells, strict=True))
        marks = f'<table class="entries">{rows}</table>'
    why = diagnosis_html(v, lang)
    state = "right" if v.correct else "wrong"
    return (f'<div class="handcalc verdict {state}" lang="{esc(lang)}">'
            f"<p>{verdict_words(v, lang)}</p>{marks}"
            + (f'<p class="diagnosis">{why}</p>' if why else "") + "</div>")


def fmt_typed(x: sympy.Expr) -> str:
    from handcalc.views.render import typed_text

    return typed_text(x)
