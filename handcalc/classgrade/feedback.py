"""Feedback for each learner (``handcalc grade ... --feedback FILE.pdf|.md``): one section per
learner (a new page each in the PDF) with their version, total, maximum and percentage,
then per exercise and part their answer as typed, the verdict, the diagnosis in a sentence
and, for a diagnosed wrong answer, the worked step where the work went wrong; for a wrong
answer with no diagnosis, the entries that are wrong with the key's values for them and the
part's worked steps. The document, its page footer and each learner's page carry the exam's
title (the spec's ``title``; without a spec, the submissions file's name).

The step: a catalogued mistake names the kind of step it happens in (``Mistake.step``:
scores, softmax, mask, ...). The first worked step of the diagnosed part whose label is of
that kind is shown (the words of ``STEP_WORDS`` in its label); when none is, the part's
worked steps are shown, each label with its value to 2 decimals.

Words come from the classflow catalogue (``words``) in the language asked for; answers and
names are shown as text (control characters escaped by ``handcalc.io.terminal``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from os import PathLike
from typing import Any

from handcalc.classgrade.core import ClassGrader, ClassReport, Graded
from handcalc.classgrade.glyphs import teacher_texts
from handcalc.classgrade.marks import BLANK, CORRECT, LearnerMarks, PartMark, decimal
from handcalc.classgrade.typst_doc import compile_pdf, preamble
from handcalc.classgrade.words import escape, say, show
from handcalc.exercises.grade import CARRIED, ROUNDED
from handcalc.io.terminal import safe_text
from handcalc.text.markup import md_data
from handcalc.text.messages import Raw

FEEDBACK_FORMATS = {".pdf": "pdf", ".md": "md", ".markdown": "md"}

# the words that mark a worked step's label as being of a mistake's kind of step
STEP_WORDS = {
    "scores": ("sqrt", "qk^t", "q k^t", "√"),
    "softmax": ("softmax", "exp(", "exp_"),
    "mask": ("mask",),
    "variance": ("variance", "var("),
    "normalise": ("ln =", "sqrt(var"),
    "residual": ("y = x",),
    "concat": ("||",),
    "gradient": ("dl/d",),
    "output": ("z =", "z_final"),
    "split": ("d_k =",),
}


def _verdict(p: PartMark, lang: str, target: str) -> str:
    g = p.graded
    if g is None:
        return say("classflow.verdict.blank", lang, target)
    if g.verdict is None:
        return say("classflow.verdict.shape", lang, target)
    if g.correct:
        key = {CARRIED: "carried", ROUNDED: "rounded"}.get(g.accepted_by or "", "correct")
        return say(f"classflow.verdict.{key}", lang, target)
    cells = [c for row in g.verdict.cells for c in row]
    if 0 < sum(cells) < len(cells):
        return say("classflow.verdict.partly", lang, target, right=sum(cells),
                   cells=len(cells))
    return say("classflow.verdict.incorrect", lang, target)


def _rounded(value: Any) -> list[list[str]]:
    from handcalc.core.rounding import fmt2

    return [[fmt2(v) for v in row] for row in value]


def worked_steps(g: Graded, grader: ClassGrader) -> tuple[bool, Sequence[Any]]:
    """(whether the step of the mistake was found, the steps to show) for a wrong answer:
    with a diagnosis, the step of the mistake's kind, else all the steps of the diagnosed
    part; with none, all the steps of the part; (False, ()) for a right answer."""
    v = g.verdict
    if g.correct:
        return False, ()
    ex = grader.exercise(g.row.code)
    if v is None or v.diagnosis is None:
        return False, ex.part(g.row.part).steps
    steps = ex.part(v.diagnosis.part).steps
    words = STEP_WORDS.get(v.diagnosis.mistake.step, ())
    for s in steps:
        if any(w in _label_words(s.label) for w in words):
            return True, (s,)
    return False, steps


Wrong = tuple[int, int, str, str]  # an entry's row and column (1-based), typed, key


def wrong_entries(g: Graded) -> list[Wrong]:
    """The entries of a wrong answer that are wrong, with the value typed and the key's value
    (to 2 decimals, -inf as typed); [] for a right answer or one that did not fit the part's
    shape (then there are no entries to compare)."""
    v = g.verdict
    if v is None or v.correct or not v.cells:
        return []
    key = v.expected
    return [(i + 1, j + 1, _typed(v.answer[i][j]), _entry(key[i][j]))
            for i, row in enumerate(v.cells) for j, ok in enumerate(row) if not ok]


def _entry(x: Any) -> str:
    from handcalc.core.exact import is_finite
    from handcalc.core.rounding import fmt2

    return fmt2(x) if is_finite(x) else "-inf"


def _typed(x: Any) -> str:
    """A typed entry: its decimal when it has at most 6 places (0.5, -1.25), else ≈ 2 places."""
    import sympy

    from handcalc.core.exact import is_finite

    if not is_finite(x):
        return "-inf"
    if isinstance(x, sympy.Rational) and 10**6 % x.q == 0:
        text = f"{float(x):.6f}".rstrip("0").rstrip(".")
        return "0" if text in ("-0", "") else text
    return "≈" + _entry(x)


def _where(w: Wrong, shape: tuple[int, int], lang: str, target: str) -> str:
    i, j, typed, key = w
    if shape == (1, 1):
        return say("classflow.wrong.one", lang, target, typed=typed, key=key)
    if 1 in shape:
        return say("classflow.wrong.entry", lang, target, n=max(i, j), typed=typed, key=key)
    return say("classflow.wrong.cell", lang, target, row=i, col=j, typed=typed, key=key)


def _wrong_lines(g: Graded, lang: str, target: str) -> list[str]:
    """The wrong entries of an undiagnosed wrong answer, each as a line; [] otherwise."""
    v = g.verdict
    if v is None or v.diagnosis is not None:
        return []
    return [_where(w, v.expected_shape, lang, target) for w in wrong_entries(g)]


def _label_words(label: Any) -> str:
    """What a step's label says, to match STEP_WORDS against: its text in English, and,
    for a label of the text model, its message id or its math in neutral notation."""
    own = getattr(label, "id", None) or getattr(label, "src", None) or ""
    return f"{own} {show(label, 'en', 'unicode')}".lower()


def _title(report: ClassReport, lang: str, target: str, e: Any, grader: ClassGrader) -> str:
    ex = grader.exercise(e.code)
    hidden = report.assignment is not None and report.assignment.hidden
    if hidden:
        return say("classflow.exercise", lang, target, exercise=e.exercise, title=ex.title)
    return say("classflow.exercise.code", lang, target, exercise=e.exercise, title=ex.title,
               code=e.code)


def exam_title(report: ClassReport, lang: str, target: str) -> str:
    """The exam's title as the feedback shows it: the spec's title with a spec, else the
    name of the submissions file (never a path of the teacher's machine)."""
    if report.assignment is not None:
        from handcalc.text.messages import Inline

        return show(Inline(str(report.assignment.spec.title)), lang, target)
    return escape(safe_text(report.source), target)


def _notes(m: LearnerMarks, lang: str, target: str) -> list[str]:
    return [say(id, lang, target, **dict(args)) for id, args in m.notes]


def _score(m: LearnerMarks, lang: str, target: str) -> str:
    return say("classflow.score", lang, target, total=decimal(m.total),
               maximum=decimal(m.maximum), percent=decimal(m.percent, 1))


# ---------------------------------------------------------------- Markdown


def _md_code(text: str) -> str:
    text = safe_text(text).replace("\n", " ")
    ticks = "`"
    while ticks in text:
        ticks += "`"
    pad = " " if text.startswith("`") or text.endswith("`") or not text.strip() else ""
    return f"{ticks}{pad}{text}{pad}{ticks}"


def _md_value(value: Any) -> str:
    rows = _rounded(value)
    if len(rows) == 1 and len(rows[0]) == 1:
        return _md_code(rows[0][0])
    return _md_code("[" + "; ".join(", ".join(r) for r in rows) + "]")


def feedback_markdown(report: ClassReport, grader: ClassGrader, lang: str) -> str:
    t = "markdown"
    title = exam_title(report, lang, t)
    out = [f"# {say('classflow.feedback.title', lang, t, title=Raw(title))}"]
    memo: dict[Any, Any] = {}
    for m in report.marks:
        out += ["", "---", "", f"## {md_data(safe_text(m.learner))}", "", f"*{title}*  "]
        number = report.student_ids.get(m.learner)
        if number:
            out.append(say("classtext.student_id", lang, t, number=safe_text(number)) + "  ")
        if m.version is not None:
            out.append(say("classflow.version", lang, t, version=m.version) + "  ")
        out.append(_score(m, lang, t))
        out += [""] + [f"- {n}" for n in _notes(m, lang, t)]
        for e in m.exercises:
            pts = say("classflow.exercise.points", lang, t, earned=decimal(e.total),
                      points=decimal(e.maximum))
            out += ["", f"### {_title(report, lang, t, e, grader)} · {pts}", ""]
            for p in e.parts:
                out += _md_part(p, grader, lang, memo)
    return "\n".join(out).replace("\n\n\n", "\n\n") + "\n"


def _md_part(p: PartMark, grader: ClassGrader, lang: str, memo: dict[Any, Any]
             ) -> list[str]:
    t = "markdown"
    g = p.graded
    head = f"- **{say('classflow.part', lang, t, part=p.part)}** "
    points = say("classflow.verdict.points", lang, t, earned=decimal(p.earned),
                 points=decimal(p.points))
    if g is None:
        return [f"{head}{_verdict(p, lang, t)} ({points})"]
    out = [f"{head}{say('classflow.answer', lang, t, answer='')}{_md_code(g.row.text)}: "
           f"{_verdict(p, lang, t)} ({points})"]
    if g.verdict is not None and g.verdict.diagnosis is not None and not g.correct:
        out.append("  " + say("classflow.diagnosis", lang, t,
                              text=_diagnosis(g, lang, t)))
    wrong = _wrong_lines(g, lang, t)
    if wrong:
        out.append("  " + say("classflow.wrong.head", lang, t))
        out += [f"  - {w}" for w in wrong]
    key = _step_key(g)
    if key not in memo:
        found, steps = worked_steps(g, grader)
        memo[key] = [] if not steps else (
            ["  " + say("classflow.step.wrong" if found else "classflow.step.all", lang, t)]
            + [f"  - {show(s.label, lang, t)}: {_md_value(s.value)}" for s in steps])
    return out + memo[key]


def _step_key(g: Graded) -> Any:
    """What the worked steps shown for a graded answer depend on."""
    if g.correct:
        return None
    d = None if g.verdict is None else g.verdict.diagnosis
    return (g.row.code, g.row.part, None) if d is None else (g.row.code, d.part, d.mistake.step)


def _diagnosis(g: Graded, lang: str, target: str) -> Any:
    """The diagnosis sentence as an argument of classflow.diagnosis (a text, not markup)."""
    assert g.verdict is not None and g.verdict.diagnosis is not None
    return g.verdict.diagnosis.text()


# ---------------------------------------------------------------- Typst / PDF


def _t_value(value: Any) -> str:
    from handcalc.sheets.typst_blocks import tmat, tnum

    return f"${tmat([[tnum(x) for x in r] for r in _rounded(value)])}$"


def _t_raw(text: str) -> str:
    from handcalc.text.markup import tstr

    return f"#raw({tstr(safe_text(text))})"


def feedback_typst(report: ClassReport, grader: ClassGrader, lang: str) -> str:
    t = "typst"
    title = exam_title(report, lang, "unicode")
    out = [preamble(say("classflow.feedback.title", lang, "unicode", title=title), lang)]
    memo: dict[Any, Any] = {}
    for i, m in enumerate(report.marks):
        if i:
            out.append("#pagebreak()")
        out.append(f"#text(size: 9.5pt, fill: luma(80))[{exam_title(report, lang, t)}]")
        out.append(f"= {escape(safe_text(m.learner), t)}")
        line = [_score(m, lang, t)]
        if m.version is not None:
            line.insert(0, say("classflow.version", lang, t, version=m.version))
        number = report.student_ids.get(m.learner)
        if number:
            line.insert(0, say("classtext.student_id", lang, t, number=safe_text(number)))
        out.append("#text(size: 11pt)[" + " #h(1.2em) ".join(line) + "]")
        out += [f"#text(size: 9pt, fill: luma(80))[{n}]" for n in _notes(m, lang, t)]
        for e in m.exercises:
            pts = say("classflow.exercise.points", lang, t, earned=decimal(e.total),
                      points=decimal(e.maximum))
            out.append(f"== {_title(report, lang, t, e, grader)} #h(1fr) "
                       f"#text(weight: \"regular\")[{pts}]")
            out += [_t_part(p, grader, lang, memo) for p in e.parts]
    return "\n\n".join(out) + "\n"


def _t_part(p: PartMark, grader: ClassGrader, lang: str, memo: dict[Any, Any]) -> str:
    t = "typst"
    g = p.graded
    colour = {CORRECT: "good", BLANK: "blank"}.get(p.status, "bad")
    points = say("classflow.verdict.points", lang, t, earned=decimal(p.earned),
                 points=decimal(p.points))
    body = [f"#text(fill: {colour}, weight: \"bold\")[{_verdict(p, lang, t)}] #h(1fr) {points}"]
    if g is not None:
        body.insert(0, f"{say('classflow.answer', lang, t, answer='')}{_t_raw(g.row.text)}")
        if g.verdict is not None and g.verdict.diagnosis is not None and not g.correct:
            body.append(say("classflow.diagnosis", lang, t, text=_diagnosis(g, lang, t)))
        wrong = _wrong_lines(g, lang, t)
        if wrong:
            body.append(f"#text(size: 9.5pt)[{say('classflow.wrong.head', lang, t)}]")
            body += [f"#h(1em) {w}" for w in wrong]
        key = _step_key(g)
        if key not in memo:
            found, steps = worked_steps(g, grader)
            words = say("classflow.step.wrong" if found else "classflow.step.all", lang, t)
            rows = ", ".join(f"[{show(s.label, lang, t)}], [{_t_value(s.value)}]"
                             for s in steps)
            memo[key] = steps and (
                f"#text(size: 9.5pt)[{words}]\n"
                f"#block(inset: (left: 1em), grid(columns: 2, column-gutter: 1.2em, "
                f"row-gutter: 1em, align: horizon, {rows}))")
        if memo[key]:
            body.append(memo[key])
    cells = " \\\n".join(body)
    return (f"#block(breakable: false, above: 0.8em, grid(columns: (5.5em, 1fr), "
            f"[*{say('classflow.part', lang, t, part=p.part)}*], [{cells}]))")


# The feedback PDF takes about 280 KB per learner while typeset (measured: 430 MB peak at
# 1,000 learners, 1.25 GB at 4,000; with the PDF report as well, 1.75 GB at 4,000): a class
# larger than this is refused with one line (benchmarks/grade_pdf_memory.py)
MAX_PDF_LEARNERS = 4_000


def render_feedback(report: ClassReport, grader: ClassGrader, lang: str, fmt: str,
                    font_dirs: Sequence[str | PathLike[str]] = (),
                    unprintable: Iterable[str] = ()) -> str | bytes:
    """The feedback file: Markdown text, or PDF bytes (learners' characters in
    `unprintable` printed as code points, handcalc.classgrade.glyphs)."""
    if fmt == "md":
        return feedback_markdown(report, grader, lang)
    return compile_pdf(feedback_typst(report, grader, lang), "--feedback", font_dirs,
                       unprintable, teacher_texts(report))

