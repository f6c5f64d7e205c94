"""Worksheets: a TOML spec, validated, built into versions of ready-to-typeset exercises.

A spec (``problems/*.toml``)::

    title = "Masks and heads"                  # required
    instructions = ["Round to 2 decimals.", "Softmax along rows."]   # or one string
    seed = 2024                                # required when a section draws exercises
    versions = 1                               # default 1; --versions overrides it
    lang = "zh"                                # optional: en or zh (--lang overrides it)
    duplex = true                              # default true: each version starts on an
                                               # odd page (a blank page pads the one before)
    codes = "shown"                            # or "hidden": the sheet prints "version k ·
                                               # exercise e", never a code (the key does)
    work = "none"                              # room to work under each part: none, small,
                                               # large (a section may say otherwise)
    points = 1                                 # per part, for every section that gives none

    [[sections]]                               # one or more
    title = "Causal masks"                     # optional heading
    family = "causal"                          # a family ...
    level = 2                                  # ... at a level it has
    count = 2                                  # default 1
    points = [1, 2, 2]                         # per part (or one number for every part)
    work = "large"

    [[sections]]
    codes = ["worked-5", "causal-2-4821"]      # ... or fixed codes

Points are non-negative integers or halves (``points_of`` reads them as Fractions).
They are printed beside each part (and totalled in the title block) when the spec gives
any; otherwise every part is worth 1, silently.

Every error in a spec is a ``SpecError`` whose one-line message names the file, the
field and the valid choices. Nothing is generated before the whole spec is valid.

Versions: exercise ``e`` of family section ``s`` in version ``k`` (all 1-based) starts its
search at ``seed_for(seed, s, e, k)``, a SHA-256 of those four numbers (stable on every
machine and run); ``generate`` returns the first acceptable exercise at or after it. A
code already on the same version is skipped. Fixed codes are the same in every version.

Each distinct exercise is built once (``prepare``: the exercise's key dictionary with every
step, and its exact values as Typst and LaTeX math) and reused across versions; with
many to build, two worker processes share the work.

``python -m handcalc.sheets.worksheet --write-solutions`` rewrites solutions/<stem>.md and
.json (version 1 of each spec in problems/); ``--check-solutions`` reports stale ones.
"""

from __future__ import annotations

import contextlib
import difflib
import hashlib
import os
import tomllib
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

from handcalc.errors import HandcalcError, SpecError
from handcalc.io.terminal import safe_text
from handcalc.text.messages import LANGS, Inline, Text, msg

FORMATS = ("pdf", "typ", "md", "json", "moodle")
SUFFIXES = {".pdf": "pdf", ".typ": "typ", ".md": "md", ".markdown": "md", ".json": "json",
            ".xml": "moodle"}
MAX_VERSIONS = 500
MAX_COUNT = 50
MAX_EXERCISES = 100  # per version
MAX_INSTRUCTIONS = 20
MAX_SECTIONS = 50
MAX_CODES = MAX_EXERCISES  # per section
MAX_WORK = 5000  # exercises in one run: versions x exercises per version
MAX_CODE_LENGTH = 40
SEED_SPAN = 90000  # derived seeds lie in 10000..99999: 5-digit codes
DEFAULT_INSTRUCTIONS: tuple[Text, ...] = (
    msg("sheet.instructions.round"), msg("sheet.instructions.rows"),
    msg("sheet.instructions.boxes", command="handcalc check CODE PART ANSWER"),
)
TOP_KEYS = ("title", "instructions", "seed", "versions", "lang", "duplex", "codes", "work",
            "points", "sections")
SECTION_KEYS = ("title", "family", "level", "count", "codes", "points", "work")
WORK = ("none", "small", "large")  # room to work under each part on the student sheet
CODES = ("shown", "hidden")  # whether the student sheet prints the exercises' codes
MAX_POINTS = 1000


# ---------------------------------------------------------------- the spec

Points = Fraction | tuple[Fraction, ...]  # one number for every part, or one per part


@dataclass(frozen=True)
class Section:
    title: str | None
    family: str | None = None
    level: int | None = None
    count: int = 0
    codes: tuple[str, ...] = ()
    points: Points | None = None  # None: the spec's `points`, else 1 per part
    work: str | None = None  # None: the spec's `work`

    @property
    def size(self) -> int:
        return self.count if self.family else len(self.codes)


@dataclass(frozen=True)
class Spec:
    name: str  # the file as the user named it, for messages and the sheet's footer
    stem: str
    title: str
    instructions: tuple[Text, ...]  # the spec's strings, or the default messages
    seed: int | None
    versions: int
    sections: tuple[Section, ...]
    lang: str | None = None  # the spec's language, if it names one
    duplex: bool = True  # each version starts on an odd page of the student sheet
    codes: str = "shown"  # "hidden": the student sheet prints no code
    work: str = "none"  # room to work under each part: none, small or large
    points: Fraction | None = None  # the points of a part of a section that gives none

    @property
    def has_points(self) -> bool:
        """Whether the spec gives points anywhere (then they are printed)."""
        return self.points is not None or any(s.points is not None for s in self.sections)

    def work_of(self, section: Section) -> str:
        return section.work or self.work

    def points_of(self, section_index: int, part_number: int) -> Fraction:
        """The points of part `part_number` (1-based) of every exercise of section
        `section_index` (0-based, as in sections): the section's number or its list's
        entry, else the spec's `points`, else 1. SpecError when the list has no such part."""
        sec = self.sections[section_index]
        if isinstance(sec.points, tuple):
            if not 1 <= part_number <= len(sec.points):
                raise SpecError(f"{safe_text(self.name)}: section {section_index + 1}, "
                                f"points: {len(sec.points)} numbers, but an exercise of the "
                                f"section has a part {part_number}; give one number per part")
            return sec.points[part_number - 1]
        if sec.points is not None:
            return sec.points
        return self.points if self.points is not None else Fraction(1)


def points_of(spec: Spec, section_index: int, part_number: int) -> Fraction:
    """The points of a part: see Spec.points_of."""
    return spec.points_of(section_index, part_number)


def _kind(value: object) -> str:
    if isinstance(value, bool):
        return "a boolean"
    return {int: "an integer", float: "a number with a fraction", str: "a string",
            list: "a list", dict: "a table"}.get(type(value), type(value).__name__)


class _Checker:
    """Builds one-line SpecError messages: '<file>: <where>: <what>'."""

    def __init__(self, name: str) -> None:
        self.name = name

    def fail(self, where: str, what: str) -> SpecError:
        return SpecError(safe_text(f"{self.name}: {where}: {what}" if where else
                                   f"{self.name}: {what}"))

    def keys(self, table: dict[str, Any], valid: Sequence[str], where: str) -> None:
        for key in table:
            if key not in valid:
                close = difflib.get_close_matches(key, valid, n=1)
                hint = f" (did you mean '{close[0]}'?)" if close else ""
                raise self.fail(where, f"unknown key '{key}'{hint}; valid keys: "
                                       f"{', '.join(valid)}")

    def string(self, value: object, where: str) -> str:
        if not isinstance(value, str):
            raise self.fail(where, f"expected a string, got {_kind(value)}")
        if not value.strip():
            raise self.fail(where, "must not be empty")
        if len(value) > 2000:
            raise self.fail(where, "longer than 2000 characters")
        return value.strip()

    def text(self, value: object, where: str) -> str:
        """A string that may hold inline math between $...$ (checked here)."""
        from handcalc.text.mathtext import MathSyntaxError

        text = self.string(value, where)
        try:
            Inline(text).pieces()
        except MathSyntaxError as e:
            raise self.fail(where, f"{e}; write math between $...$ in the notation of "
                                   "the README, or \\$ for a dollar sign") from None
        return text

    def boolean(self, value: object, where: str) -> bool:
        if not isinstance(value, bool):
            raise self.fail(where, f"expected true or false, got {_kind(value)}")
        return value

    def choice(self, value: object, where: str, choices: Sequence[str]) -> str:
        if not isinstance(value, str):
            raise self.fail(where, f"expected one of {', '.join(choices)}, got {_kind(value)}")
        if value.strip().lower() not in choices:
            raise self.fail(where, f"unknown value '{value[:20]}'; choose one of: "
                                   f"{', '.join(choices)}")
        return value.strip().lower()

    def points(self, value: object, where: str) -> Fraction:
        """A number of points: a non-negative integer or half (2, 1.5, 0)."""
        what = f"expected a number of points (an integer or a half, 0 to {MAX_POINTS})"
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.fail(where, f"{what}, got {_kind(value)}")
        if value != value or not 0 <= value <= MAX_POINTS:
            raise self.fail(where, f"{value} is out of range; {what}")
        if float(value) * 2 != int(float(value) * 2):
            raise self.fail(where, f"{value} is not a whole or half point; {what}")
        return Fraction(int(float(value) * 2), 2)

    def integer(self, value: object, where: str, lo: int, hi: int) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.fail(where, f"expected an integer from {lo} to {hi}, got {_kind(value)}")
        if not lo <= value <= hi:
            raise self.fail(where, f"{value} is out of range; choose an integer from {lo} "
                                   f"to {hi}")
        return value


def parse_spec(text: str, name: str, stem: str | None = None) -> Spec:
    """A Spec from TOML text; ``name`` is how messages refer to the file."""
    from handcalc.families import FAMILIES

    c = _Checker(name)
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise c.fail("", f"not valid TOML: {e}") from None
    except RecursionError:  # tomllib recurses once per level of nested arrays or tables
        raise c.fail("", "not valid TOML here: arrays or tables nested too deeply") from None
    c.keys(raw, TOP_KEYS, "")
    for key in ("title", "sections"):
        if key not in raw:
            raise c.fail(key, "missing; a spec needs title and sections "
                              "(and seed when a section names a family)")
    title = c.text(raw["title"], "title")
    instructions: tuple[Text, ...] = DEFAULT_INSTRUCTIONS
    if "instructions" in raw:
        value = raw["instructions"]
        if isinstance(value, str):
            instructions = (Inline(c.text(value, "instructions")),)
        elif isinstance(value, list):
            if len(value) > MAX_INSTRUCTIONS:
                raise c.fail("instructions", f"{len(value)} instructions; at most "
                                             f"{MAX_INSTRUCTIONS}")
            instructions = tuple(Inline(c.text(v, f"instructions[{i + 1}]"))
                                 for i, v in enumerate(value))
        else:
            raise c.fail("instructions", f"expected a string or a list of strings, got "
                                         f"{_kind(value)}")
    seed = c.integer(raw["seed"], "seed", 0, 10**9 - 1) if "seed" in raw else None
    lang = None
    if "lang" in raw:
        lang = c.string(raw["lang"], "lang").lower()
        if lang not in LANGS:
            raise c.fail("lang", f"unknown language '{lang[:20]}'; choose one of: "
                                 f"{', '.join(LANGS)}")
    versions = c.integer(raw.get("versions", 1), "versions", 1, MAX_VERSIONS)
    duplex = c.boolean(raw["duplex"], "duplex") if "duplex" in raw else True
    if isinstance(raw.get("codes"), list):
        raise c.fail("codes", "expected one of shown, hidden, got a list; a list of fixed "
                              "codes belongs in a [[sections]] table")
    codes_shown = c.choice(raw["codes"], "codes", CODES) if "codes" in raw else "shown"
    work = c.choice(raw["work"], "work", WORK) if "work" in raw else "none"
    if isinstance(raw.get("points"), list):
        raise c.fail("points", "expected one number for every part; a list of points per "
                               "part belongs in a section")
    points = c.points(raw["points"], "points") if "points" in raw else None
    if codes_shown == "hidden" and "instructions" not in raw:  # no code to check with
        instructions = DEFAULT_INSTRUCTIONS[:-1] + (msg("sheets.instructions.boxes"),)
    sections_raw = raw["sections"]
    if not isinstance(sections_raw, list) or not sections_raw:
        raise c.fail("sections", "expected one or more [[sections]] tables, got "
                                 + ("an empty list" if sections_raw == [] else
                                    _kind(sections_raw)))
    if len(sections_raw) > MAX_SECTIONS:
        raise c.fail("sections", f"{len(sections_raw)} sections; at most {MAX_SECTIONS}")
    sections = []
    for i, sec in enumerate(sections_raw, 1):
        where = f"section {i}"
        if not isinstance(sec, dict):
            raise c.fail(where, f"expected a [[sections]] table, got {_kind(sec)}")
        c.keys(sec, SECTION_KEYS, where)
        sec_title = c.text(sec["title"], f"{where}, title") if "title" in sec else None
        sec_work = c.choice(sec["work"], f"{where}, work", WORK) if "work" in sec else None
        if "codes" in sec:
            extra = [k for k in ("family", "level", "count") if k in sec]
            if extra:
                raise c.fail(where, f"give either codes or family/level/count, not both "
                                    f"(found codes and {extra[0]})")
            codes = _codes(c, sec["codes"], where)
            sec_points = _section_points(c, sec, where, [_parts_of_code(x) for x in codes])
            sections.append(Section(sec_title, codes=codes, points=sec_points, work=sec_work))
            continue
        if "family" not in sec:
            raise c.fail(f"{where}, family", "missing; a section needs family and level "
                                             "(and count), or codes")
        fam = c.string(sec["family"], f"{where}, family").lower()
        if fam not in FAMILIES:
            close = difflib.get_close_matches(fam, list(FAMILIES), n=1)
            hint = f" (did you mean '{close[0]}'?)" if close else ""
            raise c.fail(f"{where}, family", f"unknown family '{fam}'{hint}; choose one of: "
                                             f"{', '.join(FAMILIES)}")
        levels = FAMILIES[fam].levels
        if "level" not in sec:
            raise c.fail(f"{where}, level", f"missing; {fam} has levels "
                                            f"{', '.join(map(str, levels))}")
        level = sec["level"]
        if isinstance(level, bool) or not isinstance(level, int):
            raise c.fail(f"{where}, level", f"expected an integer, got {_kind(level)}; "
                                            f"{fam} has levels {', '.join(map(str, levels))}")
        if level not in levels:
            raise c.fail(f"{where}, level", f"{level} is out of range; {fam} has levels "
                                            f"{', '.join(map(str, levels))}")
        count = c.integer(sec.get("count", 1), f"{where}, count", 1, MAX_COUNT)
        if seed is None:
            raise c.fail("seed", f"missing; section {i} draws {fam} exercises, which need "
                                 "a seed (an integer from 0 to 999999999)")
        sec_points = _section_points(c, sec, where, [_parts_of_family(fam, level)])
        sections.append(Section(sec_title, fam, level, count, points=sec_points,
                                work=sec_work))
    total = sum(s.size for s in sections)
    if total > MAX_EXERCISES:
        raise c.fail("sections", f"{total} exercises per version; at most {MAX_EXERCISES}")
    spec = Spec(name, stem if stem is not None else Path(name).stem, title, instructions,
                seed, versions, tuple(sections), lang, duplex, codes_shown, work, points)
    check_work(spec)
    return spec


def check_work(spec: Spec, versions: int | None = None) -> None:
    """SpecError when `versions` (default: the spec's) times the exercises per version
    exceeds MAX_WORK, the cap on one run's work."""
    n = spec.versions if versions is None else versions
    per_version = sum(s.size for s in spec.sections)
    if n * per_version > MAX_WORK:
        raise SpecError(f"{safe_text(spec.name)}: {n} versions x {per_version} exercises = "
                        f"{n * per_version} exercises in one run; the cap (MAX_WORK) is "
                        f"{MAX_WORK}: ask for fewer versions or exercises")


def _parts_of_code(code: str) -> int:
    """How many parts the exercise of a (valid) code asks."""
    from handcalc.exercises.exercise import parse_code
    from handcalc.exercises.worked import WORKED

    parsed = parse_code(code)
    if isinstance(parsed, int):
        return len(WORKED[parsed].ask)
    return _parts_of_family(parsed[0], parsed[1])


def _parts_of_family(family: str, level: int) -> int:
    """How many parts a family asks at a level (the same for every seed: one draw)."""
    import random

    from handcalc.families import FAMILIES

    return len(FAMILIES[family].draw(random.Random(0), level).ask)


def _section_points(c: _Checker, sec: dict[str, Any], where: str,
                    parts: Sequence[int]) -> Points | None:
    """A section's `points`: one number, or a list of one number per part of each of
    its exercises (which must all have that many parts)."""
    if "points" not in sec:
        return None
    value = sec["points"]
    if not isinstance(value, list):
        return c.points(value, f"{where}, points")
    if len(set(parts)) > 1:
        raise c.fail(f"{where}, points", f"the exercises of this section have "
                                         f"{' or '.join(map(str, sorted(set(parts))))} "
                                         "parts; give one number for every part")
    if len(value) != parts[0]:
        raise c.fail(f"{where}, points", f"{len(value)} numbers, but its exercises have "
                                         f"{parts[0]} parts; give one number per part, "
                                         "or one number for every part")
    return tuple(c.points(v, f"{where}, points[{i}]") for i, v in enumerate(value, 1))


def _codes(c: _Checker, value: object, where: str) -> tuple[str, ...]:
    from handcalc.exercises.exercise import parse_code

    if not isinstance(value, list) or not value:
        raise c.fail(f"{where}, codes", "expected a non-empty list of codes such as "
                                        "[\"worked-1\", \"causal-2-4821\"]"
                     + ("" if isinstance(value, list) else f", got {_kind(value)}"))
    if len(value) > MAX_CODES:
        raise c.fail(f"{where}, codes", f"{len(value)} codes; at most {MAX_CODES}")
    out = []
    for j, code in enumerate(value, 1):
        if not isinstance(code, str):
            raise c.fail(f"{where}, codes[{j}]", f"expected a code string, got {_kind(code)}")
        if len(code) > MAX_CODE_LENGTH:
            raise c.fail(f"{where}, codes[{j}]", f"a code has at most {MAX_CODE_LENGTH} "
                                                 "characters, such as causal-2-4821")
        try:
            parse_code(code)
        except HandcalcError as e:
            raise c.fail(f"{where}, codes[{j}]", str(e)) from None
        out.append(code.strip().lower())
    return tuple(out)


def load_spec(path: str | os.PathLike[str]) -> Spec:
    """Read and validate a spec file, or standard input for ``-`` (SpecError on any
    problem: a file that is not regular or is over MAX_SPEC_BYTES is refused unread)."""
    from handcalc.io.fileio import MAX_SPEC_BYTES, STDIN, read_input

    name = os.fspath(path)
    stdin = name == STDIN
    if stdin:
        name = "standard input"
    data = read_input(path, MAX_SPEC_BYTES, name=name)
    try:
        text = data.decode("utf-8-sig")  # a byte-order mark, as some editors save, is fine
    except UnicodeDecodeError as e:
        raise SpecError(f"{safe_text(name)}: not UTF-8 text (byte {e.start + 1})") from None
    return parse_spec(text, name, "worksheet" if stdin else None)


# ---------------------------------------------------------------- seeds and plans

def seed_for(spec_seed: int, section: int, exercise: int, version: int) -> int:
    """The seed version `version` starts from for exercise `exercise` of section `section`
    (all 1-based): 10000..99999, from SHA-256, the same on every machine."""
    text = f"handcalc-worksheet:{spec_seed}:{section}:{exercise}:{version}".encode()
    return 10000 + int.from_bytes(hashlib.sha256(text).digest()[:8], "big") % SEED_SPAN


# A job is what builds one exercise: ("code", code) or ("draw", family, level, seed).
Job = tuple[Any, ...]


def plan(spec: Spec, versions: int | None = None) -> list[list[list[Job]]]:
    """For each version, for each section, the jobs of its exercises."""
    n = spec.versions if versions is None else versions
    out = []
    for k in range(1, n + 1):
        sections = []
        for s, sec in enumerate(spec.sections, 1):
            if sec.family is None:
                sections.append([("code", code) for code in sec.codes])
            else:
                assert spec.seed is not None and sec.level is not None
                sections.append([("draw", sec.family, sec.level,
                                  seed_for(spec.seed, s, e, k))
                                 for e in range(1, sec.count + 1)])
        out.append(sections)
    return out


# ---------------------------------------------------------------- prepared exercises

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


def markup(ex: Any, lang: str, target: str) -> Markup:
    from handcalc.text.messages import render

    return Markup(render(ex.title, lang, target), render(ex.statement, lang, target),
                  tuple(render(p.prompt, lang, target) for p in ex.parts),
                  tuple(tuple(render(s.label, lang, target) for s in p.steps)
                        for p in ex.parts))


@dataclass(frozen=True)
class Item:
    """One exercise, ready for the renderers: plain data only (cheap to pickle).

    ``data`` holds what every renderer reads (code, title, statement, params, and per part
    its prompt, shape, 2-decimal answer and steps with labels and 2-decimal values); when
    JSON is needed it is ``render.exercise_dict(ex, steps=True)``, which holds all that and
    the exact strings. ``given_math`` and ``answer_math`` hold the exact values as Typst
    math (answers as ``typeset.typst_terms``: a sum's terms on separate lines) and as
    LaTeX, in grids (empty for a language not needed); ``heat`` per part the weights
    matrix it shows, if any; ``brief`` per part whether its exact form is short enough to
    help in a printed key (``typeset.exact_brief``; else a note stands for it).
    """

    data: dict[str, Any]
    given_math: tuple[tuple[str, Grid, Grid], ...]  # (name, typst, latex)
    answer_math: tuple[tuple[Grid, Grid], ...]  # per part: (typst, latex)
    heat: tuple[Heat | None, ...] = field(default=())
    text: dict[str, Markup] = field(default_factory=dict)  # "typst"/"markdown" -> its words
    brief: tuple[bool, ...] = field(default=())

    @property
    def code(self) -> str:
        return str(self.data["code"])


HEAT_KEYS = ("A", "a")  # a part asking for one of these asks for a weights matrix
NEEDS = {"pdf": frozenset({"typst"}), "typ": frozenset({"typst"}),
         "md": frozenset({"latex"}), "json": frozenset({"json"}),
         "moodle": frozenset()}  # handcalc.sheets.moodle builds its own
ALL_NEEDS = frozenset({"typst", "latex", "json"})


def _heat(part: Any) -> Heat | None:
    """The weights a part shows: its answer when it asks for A (or a), else the last
    step named A (or a) with more than one weight, e.g. the weights on the way to Z."""
    from handcalc.core.exact import approx, fmt2

    def make(m: Any, after: int) -> Heat:
        return Heat(tuple(tuple(approx(v) for v in r) for r in m),
                    tuple(tuple(fmt2(v) for v in r) for r in m), after)

    if part.key in HEAT_KEYS:
        return make(part.answer, -1)
    for i in range(len(part.steps) - 1, -1, -1):
        value = part.steps[i].value
        if part.steps[i].name in HEAT_KEYS and len(value[0]) > 1:
            return make(value, i)
    return None


def _light_dict(ex: Any) -> dict[str, Any]:
    """What the Typst and Markdown renderers read besides the words (which are in
    Item.text): exercise_dict's fields without the exact strings (printing every exact
    step is the slow part of exercise_dict)."""
    from handcalc.core.exact import fmt2
    from handcalc.views.render import nested, params_dict

    inst = ex.instance
    return {
        "code": ex.code, "family": inst.family, "level": inst.level, "seed": inst.seed,
        "params": params_dict(ex),
        "parts": [{"part": p.number, "key": p.key, "kind": p.kind,
                   "shape": [len(p.answer), len(p.answer[0])],
                   "rounded": nested(p.answer, fmt2),
                   "steps": [{"rounded": [[fmt2(v) for v in r] for r in s.value]}
                             for s in p.steps]}
                  for p in ex.parts],
    }


TEXT_TARGETS = {"typst": "typst", "latex": "markdown"}  # a need -> the markup of its words


def prepare(ex: Any, needs: frozenset[str] = ALL_NEEDS, lang: str = "en") -> Item:
    """An Item from a handcalc.exercises.exercise.Exercise, holding what `needs` ("typst", "latex",
    "json") asks for, its words in `lang`."""
    from handcalc.sheets.typeset import (
        exact_brief,
        latex_math,
        typst_math,
        typst_printer,
        typst_terms,
    )
    from handcalc.views.render import exercise_dict

    printer = typst_printer()

    def grids(m: Any, terms: bool = False) -> tuple[Grid, Grid]:
        typst = typst_terms if terms else typst_math
        return (tuple(tuple(typst(v, printer) for v in r) for r in m)
                if "typst" in needs else (),
                tuple(tuple(latex_math(v) for v in r) for r in m) if "latex" in needs else ())

    given = tuple((name, *grids(m)) for name, m in ex.given.items())
    answers = tuple(grids(p.answer, terms=True) for p in ex.parts)
    # whether each exact answer is short enough to print: decided on its Typst form, the
    # same for every format (the answers' Typst is printed here if no format needs it)
    brief = tuple(ex.family.quantity(p.key).count or  # issue 24: a count is always printed
                  exact_brief(typ if "typst" in needs else
                              tuple(tuple(typst_math(v, printer) for v in r) for r in p.answer))
                  for (typ, _), p in zip(answers, ex.parts, strict=True))
    data = exercise_dict(ex, steps=True, lang=lang) if "json" in needs else _light_dict(ex)
    text = {target: markup(ex, lang, target) for need, target in TEXT_TARGETS.items()
            if need in needs}
    return Item(data, given, answers, tuple(_heat(p) for p in ex.parts), text, brief)


def run_job(job: Job, needs: frozenset[str] = ALL_NEEDS, lang: str = "en",
            checks: KeyChecks | None = None) -> Item:
    """Build and prepare the exercise of one job; with "check" in `needs`, its key is
    cross-checked with torch, here, or by `checks` when given."""
    item, check = _run_job_apart(job, needs, lang)
    _take_check(check, checks)
    return item


def _take_check(check: Any, checks: KeyChecks | None) -> None:
    """Check an exercise.KernelCheck (None: nothing to check) here, or hand it to
    `checks` when given."""
    if check is None:
        return
    if checks is None:
        _check_all([check])
    else:
        checks.add(check)


def _run_job_apart(job: Job, needs: frozenset[str], lang: str) -> tuple[Item, Any]:
    """Build and prepare the exercise of one job (also in a worker process), its torch
    check left to do: the item and, with "check" in `needs`, the exercise's
    exercise.KernelCheck."""
    from handcalc.exercises.exercise import build, generate, kernel_check

    ex = build(job[1]) if job[0] == "code" else generate(*job[1:])
    return prepare(ex, needs, lang), kernel_check(ex) if "check" in needs else None


def _load_torch() -> None:
    from handcalc.core import kernel  # noqa: F401 - the import is the work


def _check_all(checks: Sequence[Any]) -> None:
    """The torch halves of exercise.KernelCheck (in the checking process, or here):
    KernelMismatch at the first that disagrees."""
    from handcalc.core import kernel

    for c in checks:
        c.check_with(kernel)


class KeyChecks:
    """The keys' cross-checks with torch, in a process of their own that imports torch
    at once (made by ``key_checks``), while this process solves, typesets and forks on,
    without torch: ``add`` each exercise's exercise.KernelCheck once it is solved,
    ``close`` when all are added, then ``wait`` for the verdict (KernelMismatch, the
    first disagreement in the order added) before a key is written."""

    BATCH = 16  # checks sent to the process together

    def __init__(self, pool: Any) -> None:
        self._pool = pool
        self._futures = [pool.submit(_load_torch)]
        self._batch: list[Any] = []

    def add(self, check: Any) -> None:
        self._batch.append(check)
        if len(self._batch) >= self.BATCH:
            self._send()

    def _send(self) -> None:
        if self._batch:
            self._futures.append(self._pool.submit(_check_all, self._batch))
            self._batch = []

    def close(self) -> None:
        """No more checks will come: the process ends (freeing torch's memory) as soon as
        it has done those it has."""
        self._send()
        self._pool.shutdown(wait=False)

    def wait(self) -> None:
        self.close()
        for future in self._futures:
            future.result()


@contextlib.contextmanager
def key_checks() -> Iterator[KeyChecks]:
    """A KeyChecks whose process is stopped when the block raises, and whose verdict is
    waited for when it ends (so no check is left unread)."""
    from handcalc.io.procs import worker_pool

    with worker_pool(1) as pool:
        checks = KeyChecks(pool)
        yield checks
        checks.wait()


def _next_job(job: Job, item: Item) -> Job:
    """The job that skips past `item`'s seed (to avoid a code twice in a version)."""
    return ("draw", job[1], job[2], int(item.data["seed"]) + 1)


PARALLEL_MIN_JOBS = 24


def run_jobs(jobs: Sequence[Job], needs: frozenset[str] = ALL_NEEDS, *, lang: str = "en",
             workers: int | None = None, checks: KeyChecks | None = None,
             progress: Callable[[int], None] | None = None) -> dict[Job, Item]:
    """Every distinct job built once; in `workers` processes (default: 2 when there are
    at least PARALLEL_MIN_JOBS distinct exercises and 2 cores). With "check" in `needs`,
    the keys are cross-checked by `checks` when given, else here (and with workers, by a
    KeyChecks made and waited for here: torch loads once, never in the workers)."""
    todo = list(dict.fromkeys(jobs))
    if workers is None:
        workers = min(2, os.cpu_count() or 1) if len(todo) >= PARALLEL_MIN_JOBS else 1
    if workers > 1 and len(todo) > 1 and "check" in needs and checks is None:
        with key_checks() as own:
            return run_jobs(todo, needs, lang=lang, workers=workers, checks=own,
                            progress=progress)
    done: dict[Job, Item] = {}
    if workers > 1 and len(todo) > 1:
        from functools import partial

        from handcalc.io.procs import worker_pool

        chunk = max(1, len(todo) // (workers * 8))
        with worker_pool(workers) as pool:
            results = pool.map(partial(_run_job_apart, needs=needs, lang=lang), todo,
                               chunksize=chunk)
            for job, (item, check) in zip(todo, results, strict=True):
                done[job] = item
                _take_check(check, checks)  # `checks` is given: see above
                if progress:
                    progress(1)
    else:
        for job in todo:
            done[job] = run_job(job, needs, lang, checks)
            if progress:
                progress(1)
    return done


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


def build_worksheet(spec: Spec, versions: int | None = None, *,
                    formats: Iterable[str] = FORMATS, workers: int | None = None,
                    lang: str | None = None, check: bool = False,
                    checks: KeyChecks | None = None,
                    progress: Callable[[int], None] | None = None) -> Worksheet:
    """Every version of the spec (`versions` of them, default the spec's), ready to render
    in `formats`, in `lang` (default: the spec's language, else English). With `check`
    (when a key is written) every exercise's key is cross-checked with the torch kernel
    (exercise.cross_check: KernelMismatch, exit 1, when they disagree): by `checks` when
    given (which implies `check`; the caller waits for them, typesetting meanwhile), else
    before this returns."""
    lang = lang or spec.lang or "en"
    needs = frozenset().union(*(NEEDS[f] for f in formats)) | (
        {"check"} if check or checks is not None else frozenset())
    plans = plan(spec, versions)
    jobs = [job for v in plans for sec in v for job in sec]
    done = run_jobs(jobs, needs, lang=lang, workers=workers, checks=checks,
                    progress=progress)
    out = []
    for k, sections in enumerate(plans, 1):
        used: set[str] = {done[j].code for sec in sections for j in sec if j[0] == "code"}
        built = []
        for sec, jobs_ in zip(spec.sections, sections, strict=True):
            items = []
            for job in jobs_:
                item = done[job]
                if job[0] == "draw":
                    while item.code in used:  # rare: two draws landed on one exercise
                        job = _next_job(job, item)
                        if job not in done:
                            done[job] = run_job(job, needs, lang, checks)
                        item = done[job]
                    used.add(item.code)
                items.append(item)
            if isinstance(sec.points, tuple):  # parse_spec checked one draw; hold it
                for item in items:
                    if len(item.data["parts"]) != len(sec.points):
                        raise SpecError(
                            f"{spec.name}: section {len(built) + 1}, points: "
                            f"{len(sec.points)} numbers, but {item.code} has "
                            f"{len(item.data['parts'])} parts; give one number per part, "
                            "or one number for every part")
            built.append((sec, tuple(items)))
        out.append(Version(k, tuple(built)))
    return Worksheet(spec, tuple(out), lang)


def worksheet_codes(ws: Worksheet) -> list[list[str]]:
    """The codes of each version, in order."""
    return [[it.code for it in v.items] for v in ws.versions]


# ---------------------------------------------------------------- solutions/

ROOT = Path(__file__).resolve().parents[2]


def solution_files(problems: Path | None = None) -> dict[str, str]:
    """solutions/<stem>.md and .json for every spec in problems/ (version 1): name -> text."""
    from handcalc.sheets.typeset import key_json, key_markdown

    problems = problems or ROOT / "problems"
    out: dict[str, str] = {}
    specs = sorted(problems.glob("*.toml"))
    built = [build_worksheet(parse_spec(p.read_text("utf-8"), f"problems/{p.name}"), 1,
                             formats=("md", "json")) for p in specs]
    for ws in built:
        out[f"{ws.spec.stem}.md"] = key_markdown(ws)
        out[f"{ws.spec.stem}.json"] = key_json(ws)
    return out


def stale_solutions(solutions: Path | None = None, problems: Path | None = None) -> list[str]:
    """The solutions/ files that differ from what the specs generate (or are missing)."""
    solutions = solutions or ROOT / "solutions"
    stale = []
    for name, text in solution_files(problems).items():
        path = solutions / name
        if not path.exists() or path.read_text("utf-8") != text:
            stale.append(name)
    return stale


def write_atomic(path: str | os.PathLike[str], data: bytes) -> None:
    """Write one output through handcalc.io.fileio (a file replaced atomically, a symlink's
    target replaced, a device, FIFO or - written through); OutputError (exit 1) when it
    fails. For single-file writers such as the Moodle quiz; a set of files that must land
    together goes to fileio.write_outputs in one call."""
    from handcalc.io.fileio import write_files

    write_files([(path, data)])


def write_solutions(solutions: Path | None = None, problems: Path | None = None) -> list[str]:
    """Rewrite solutions/<stem>.md and .json, all of them or none; the names written."""
    from handcalc.io.fileio import write_files

    solutions = solutions or ROOT / "solutions"
    files = solution_files(problems)
    solutions.mkdir(exist_ok=True)
    write_files([(solutions / name, text.encode("utf-8")) for name, text in files.items()])
    return list(files)


def main(argv: Iterable[str] | None = None) -> int:
    import argparse
    import sys

    ap = argparse.ArgumentParser(prog="python -m handcalc.sheets.worksheet",
                                 description="Regenerate or check solutions/ from problems/.")
    group = ap.add_mutually_exclusive_group(required=True)
    group.add_argument("--write-solutions", action="store_true",
                       help="rewrite solutions/<stem>.md and .json for every spec")
    group.add_argument("--check-solutions", action="store_true",
                       help="exit 1 when a solutions/ file is stale")
    args = ap.parse_args(list(argv) if argv is not None else None)
    if args.write_solutions:
        try:
            names = write_solutions()  # all of them or none
        except HandcalcError as e:
            print(f"{ap.prog}: {e}", file=sys.stderr)
            return e.exit_code
        for name in names:
            print(f"wrote solutions/{name}")
        return 0
    stale = stale_solutions()
    for name in stale:
        print(f"stale: solutions/{name}")
    return 1 if stale else 0


if __name__ == "__main__":
    raise SystemExit(main())
