"""The worksheet model: a built worksheet's versions of ready-to-typeset exercises (Item:
plain data, cheap to pickle), the output formats and what each needs, and the
format-neutral readings of an item that every renderer shares. Built by
handcalc.sheets.build, read by the renderers (typst_sheet, typst_key, markdown, jsonsheet,
moodle): both import this module, it imports neither."""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from handcalc.sheets.spec import Section, Spec

FORMATS = ("pdf", "typ", "md", "json", "moodle")
SUFFIXES = {".pdf": "pdf", ".typ": "typ", ".md": "md", ".markdown": "md", ".json": "json",
            ".xml": "moodle"}

Grid = tuple[tuple[str, ...], ...]


@dataclass(frozen=True)
class Heat:
    """A weights matrix to draw as a heatmap: its values, its 2-decimal text, and where
    (after step `after` of its part, or after the part's answer when `after` is -1)."""

    values: tuple[tuple[float, ...], ...]
    rounded: Grid
    after: int


@dataclass(frozen=True)
class Markup:
    """An exercise's words written for one markup target (handcalc.text.messages.render), in the
    worksheet's language: title, statement, per part its prompt and its steps' labels."""

    title: str
    statement: str
    prompts: tuple[str, ...]
    labels: tuple[tuple[str, ...], ...]


@dataclass(frozen=True)
class Item:
    """One exercise, ready for the renderers: plain data only (cheap to pickle).

    ``data`` holds what every renderer reads (code, title, statement, params, and per part
    its prompt, shape, 2-decimal answer and steps with labels and 2-decimal values); when
    JSON is needed it is ``render.exercise_dict(ex, steps=True)``, which holds all that and
    the exact strings. ``given_math`` and ``answer_math`` hold the exact values as Typst
    math (answers as ``exactmath.typst_terms``: a sum's terms on separate lines) and as
    LaTeX, in grids (empty for a language not needed); ``heat`` per part the weights
    matrix it shows, if any; ``brief`` per part whether its exact form is short enough to
    help in a printed key (``exactmath.exact_brief``; else a note stands for it).
    """

    data: dict[str, Any]
    given_math: tuple[tuple[str, Grid, Grid], ...]  # (name, typst, latex)
    answer_math: tuple[tuple[Grid, Grid], ...]  # per part: (typst, latex)
    heat: tuple[Heat | None, ...] = field(default=())
    text: dict[str, Markup] = field(default_factory=dict)  # "typst"/"markdown" -> its words
    brief: tuple[bool, ...] = field(default=())
    # per part: its answer and its steps' values as a key prints them (fmt_shown: whole
    # numbers as integers, else 2 decimals); data keeps the 2-decimal strings
    shown: tuple[tuple[Grid, tuple[Grid, ...]], ...] = field(default=())

    @property
    def code(self) -> str:
        return str(self.data["code"])

    def answer_rows(self, p: int) -> list[list[str]]:
        """Part p's answer (0-based) in rows, as the key prints it."""
        if p < len(self.shown):
            return [list(r) for r in self.shown[p][0]]
        return part_rows(self.data["parts"][p])

    def answer_label(self, p: int) -> str:
        """The message id of part p's answer label: "answer (2 dp)", or "answer" where the
        key prints whole numbers (counts, bytes, indices), which have no decimals."""
        whole = all("." not in v for r in self.answer_rows(p) for v in r)
        return "sheet.answer_whole" if whole else "sheet.answer_2dp"

    def step_rows(self, p: int, i: int) -> list[list[str]]:
        """Step i of part p (0-based) in rows, as the key prints it."""
        if p < len(self.shown):
            return [list(r) for r in self.shown[p][1][i]]
        return [list(r) for r in self.data["parts"][p]["steps"][i]["rounded"]]


def repeats(section_title: str | None, title: str) -> bool:
    """Whether an exercise's title repeats its section's (letters and digits alike, in
    any markup): the sheet then prints the section's title once, not twice."""
    def bare(text: str) -> str:
        return "".join(ch for ch in text.lower() if ch.isalnum())

    return bool(section_title) and bare(section_title or "") == bare(title)


HEAT_KEYS = ("A", "a")  # a part asking for one of these asks for a weights matrix
NEEDS = {"pdf": frozenset({"typst"}), "typ": frozenset({"typst"}),
         "md": frozenset({"latex"}), "json": frozenset({"json"}),
         "moodle": frozenset()}  # handcalc.sheets.moodle builds its own
ALL_NEEDS = frozenset({"typst", "latex", "json"})


@dataclass(frozen=True)
class Version:
    number: int
    sections: tuple[tuple[Section, tuple[Item, ...]], ...]

    @property
    def items(self) -> list[Item]:
        return [it for _, items in self.sections for it in items]


@dataclass(frozen=True)
class Worksheet:
    spec: Spec
    versions: tuple[Version, ...]
    lang: str = "en"




# ---------------------------------------------------------------- readings shared by the renderers

def points_text(points: Fraction) -> str:
    """Points as printed: 2, 1.5, 0.5."""
    return str(points.numerator) if points.denominator == 1 else f"{float(points):g}"


def version_points(ws: Worksheet, version: Version) -> Fraction:
    """The points of every part of a version, all told."""
    return sum((ws.spec.points_of(s, part["part"])
                for s, (_, items) in enumerate(version.sections)
                for item in items for part in item.data["parts"]), Fraction(0))


def heat_labels(heat: Heat, params: dict[str, Any]) -> tuple[list[str], list[str]]:
    """Row (query) and column (key) numbers of a weights matrix: 1..n, or the query and
    keys an exercise names in its params when their counts match."""
    rows, cols = len(heat.values), len(heat.values[0])
    keys, query = params.get("keys"), params.get("query")
    col_labels = ([str(k) for k in keys] if isinstance(keys, list) and len(keys) == cols
                  else [str(j) for j in range(1, cols + 1)])
    row_labels = ([str(query)] if isinstance(query, int) and rows == 1
                  else [str(i) for i in range(1, rows + 1)])
    return row_labels, col_labels


def rounded_rows(value: Any) -> list[list[str]]:
    """A part's nested 'rounded' value (scalar, list or list of lists) as rows."""
    if isinstance(value, str):
        return [[value]]
    if value and isinstance(value[0], list):
        return value
    return [value]


def part_rows(part: dict[str, Any]) -> list[list[str]]:
    r, c = part["shape"]
    flat = [v for row in rounded_rows(part["rounded"]) for v in row]
    return [flat[i * c:(i + 1) * c] for i in range(r)]


