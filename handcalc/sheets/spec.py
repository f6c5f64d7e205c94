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
    kind = "exam"                              # worksheet or exam: the sheet's label (default:
                                               # exam when codes are hidden, else worksheet)

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

Versions (handcalc.sheets.build): exercise ``e`` of family section ``s`` in version ``k``
(all 1-based) starts its search at ``seed_for(seed, s, e, k)``, a SHA-256 of those four
numbers (stable on every machine and run); ``generate`` returns the first acceptable
exercise at or after it. A code already on the same version is skipped. Fixed codes are
the same in every version.

Each distinct exercise is built once (``prepare``: the exercise's key dictionary with every
step, and its exact values as Typst and LaTeX math) and reused across versions; with
many to build, two worker processes share the work.
"""


from __future__ import annotations

import difflib
import os
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

from handcalc.errors import HandcalcError, SpecError
from handcalc.io.terminal import safe_text
from handcalc.sheets.given import given_section  # issue 20
from handcalc.text.messages import LANGS, Inline, Msg, Text, msg, recognised, render

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
            "points", "kind", "sections", "scoring")  # issue 22: "scoring" (spec_scoring)
KINDS = ("worksheet", "exam")  # what the sheet says it is: 练习卷 / Worksheet, 试卷 / Exam
SECTION_KEYS = ("title", "family", "level", "count", "codes", "points", "work", "scoring")
SECTION_KEYS += ("given", "params", "parts", "exercises", "size")  # issue 20: sheets/given.py
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
    kind: str = ""  # "worksheet" or "exam"; "" when the spec does not say (see sheet_kind)

    @property
    def sheet_kind(self) -> str:
        """What the student sheet says it is: the spec's kind, else an exam when it hides
        the codes, else a worksheet."""
        return self.kind or ("exam" if self.codes == "hidden" else "worksheet")
    scoring: tuple[str, ...] = ()  # issue 22: each section's policy (sheets.spec_scoring)

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
                raise SpecError(msg("spec.error.points_per_part", name=safe_text(self.name),
                                    section=section_index + 1, count=len(sec.points),
                                    part=part_number))
            return sec.points[part_number - 1]
        if sec.points is not None:
            return sec.points
        return self.points if self.points is not None else Fraction(1)


def points_of(spec: Spec, section_index: int, part_number: int) -> Fraction:
    """The points of a part: see Spec.points_of."""
    return spec.points_of(section_index, part_number)


def _kind(value: object) -> Text:
    """What a TOML value is, as a message ("a boolean", "a table"); English in f-strings."""
    if isinstance(value, bool):
        return msg("spec.kind.boolean")
    kind = {int: "integer", float: "fraction", str: "string", list: "list",
            dict: "table"}.get(type(value))
    return msg(f"spec.kind.{kind}") if kind else type(value).__name__


class _Checker:
    """Builds one-line SpecError messages: '<file>: <where>: <what>'. ``where`` and
    ``what`` are English text, or messages (said in the reader's language); ``shown`` is
    the file as messages name it; ``lang`` the spec's own language once it is read."""

    def __init__(self, name: str, shown: Text | None = None) -> None:
        self.name = name
        self.shown: Text = shown if shown is not None else safe_text(name)
        self.lang: str | None = None

    def fail(self, where: Text, what: Text) -> SpecError:
        if isinstance(where, Msg) or isinstance(what, Msg):
            where, what = (x if isinstance(x, Msg) else safe_text(x) for x in (where, what))
            return SpecError(msg("spec.error.at", name=self.shown, where=where, what=what)
                             if where else msg("spec.error", name=self.shown, what=what))
        return SpecError(safe_text(f"{self.name}: {where}: {what}" if where else
                                   f"{self.name}: {what}"))

    def keys(self, table: dict[str, Any], valid: Sequence[str], where: Text) -> None:
        for key in table:
            if key not in valid:
                close = difflib.get_close_matches(key, valid, n=1)
                raise self.fail(where, msg("spec.error.unknown_key", key=safe_text(key),
                                           hint=msg("spec.error.did_you_mean", key=close[0])
                                           if close else "", valid=", ".join(valid)))

    def string(self, value: object, where: Text) -> str:
        if not isinstance(value, str):
            raise self.fail(where, msg("spec.error.not_string", kind=_kind(value)))
        if not value.strip():
            raise self.fail(where, msg("spec.error.empty"))
        if len(value) > 2000:
            raise self.fail(where, msg("spec.error.too_long", cap=2000))
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


def parse_spec(text: str, name: str, stem: str | None = None, lang: str | None = None,
               shown: Text | None = None) -> Spec:
    """A Spec from TOML text; ``name`` is how messages refer to the file (``shown``, when
    given, is how they show it). ``lang``: the language of the output built from it (an
    option's), else the spec's own, else the environment's: what the spec's given data
    cannot promise is said in it. A SpecError met once the spec's ``lang`` is read carries
    it (``SpecError.lang``)."""
    c = _Checker(name, shown)
    try:
        return _parse_spec(c, text, name, stem, lang)
    except HandcalcError as e:
        if e.lang is None:
            e.lang = c.lang
        raise


def _toml_error(e: tomllib.TOMLDecodeError) -> Msg:
    """tomllib's error (English: what, then where) as a message: its place and, when the
    catalogue knows the sentence (``spec.toml.*``), what is wrong."""
    import re

    text = str(e)
    m = re.fullmatch(r"(.*) \(at (?:line (\d+), column (\d+)|end of document)\)", text, re.S)
    if m is None:
        return msg("spec.error.toml", why=text)
    what: Text = recognised(m.group(1), "spec.toml.") or m.group(1)
    if m.group(2) is None:
        return msg("spec.error.toml_at_end", what=what)
    return msg("spec.error.toml_at", what=what, line=m.group(2), column=m.group(3))


def _parse_spec(c: _Checker, text: str, name: str, stem: str | None,
                lang_asked: str | None) -> Spec:
    from handcalc.families import FAMILIES
    from handcalc.sheets.spec_scoring import read_scoring  # issue 22

    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise c.fail("", _toml_error(e)) from None
    except RecursionError:  # tomllib recurses once per level of nested arrays or tables
        raise c.fail("", msg("spec.error.too_deep")) from None
    c.keys(raw, TOP_KEYS, "")
    for key in ("title", "sections"):
        if key not in raw:
            raise c.fail(key, "missing; a spec needs title and sections "
                              "(and seed when a section names a family)")
    title = _shown_title(c, c.text(raw["title"], "title"))
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
        c.lang = lang
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
    kind = c.choice(raw["kind"], "kind", KINDS) if "kind" in raw else ""
    if codes_shown == "hidden" and "instructions" not in raw:  # no code to check with
        instructions = DEFAULT_INSTRUCTIONS[:-1] + (msg("sheets.instructions.boxes"),)
    sections_raw = raw["sections"]
    if not isinstance(sections_raw, list) or not sections_raw:
        raise c.fail("sections", "expected one or more [[sections]] tables, got "
                                 + ("an empty list" if sections_raw == [] else
                                    str(_kind(sections_raw))))
    if len(sections_raw) > MAX_SECTIONS:
        raise c.fail("sections", f"{len(sections_raw)} sections; at most {MAX_SECTIONS}")
    sections = []
    for i, sec in enumerate(sections_raw, 1):
        where = msg("spec.where.section", n=i)  # English in f-strings: "section 2"
        if not isinstance(sec, dict):
            raise c.fail(where, f"expected a [[sections]] table, got {_kind(sec)}")
        c.keys(sec, SECTION_KEYS, where)
        sec_title = c.text(sec["title"], f"{where}, title") if "title" in sec else None
        sec_work = c.choice(sec["work"], f"{where}, work", WORK) if "work" in sec else None
        if any(k in sec for k in ("given", "exercises", "size")):  # issue 20: data codes
            sec = given_section(c, sec, where, seed, lang_asked or lang)
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
                seed, versions, tuple(sections), lang, duplex, codes_shown, work, points, kind,
                read_scoring(c, raw))  # issue 22
    check_work(spec)
    return spec


def check_work(spec: Spec, versions: int | None = None) -> None:
    """SpecError when `versions` (default: the spec's) times the exercises per version
    exceeds MAX_WORK, the cap on one run's work."""
    n = spec.versions if versions is None else versions
    per_version = sum(s.size for s in spec.sections)
    if n * per_version > MAX_WORK:
        raise SpecError(msg("spec.error.too_much_work", name=safe_text(spec.name), n=n,
                            per_version=per_version, total=n * per_version, cap=MAX_WORK))


def _parts_of_code(code: str) -> int:
    """How many parts the exercise of a (valid) code asks."""
    from handcalc.exercises.exercise import parse_code
    from handcalc.exercises.worked import WORKED

    parsed = parse_code(code)
    if isinstance(parsed, int):
        return len(WORKED[parsed].ask)
    if not isinstance(parsed, tuple):  # issue 20: a data code's Instance
        return len(parsed.ask)
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
        if len(code) > MAX_CODE_LENGTH and "~" not in code:  # issue 20: data codes
            raise c.fail(f"{where}, codes[{j}]", f"a code has at most {MAX_CODE_LENGTH} "
                                                 "characters, such as causal-2-4821")
        try:
            parse_code(code)
        except HandcalcError as e:
            raise c.fail(f"{where}, codes[{j}]", str(e)) from None
        out.append(code.strip().lower())
    return tuple(out)


def _shown_title(c: _Checker, title: str) -> str:
    """A title that shows something once its math is rendered: ``$ $`` would be an empty
    heading, and an empty name in a Moodle category path (another category)."""
    if not render(Inline(title), "en", "unicode").strip():
        raise c.fail("title", "empty once its math is rendered; give the sheet a title "
                              "in words")
    return title


def load_spec(path: str | os.PathLike[str], lang: str | None = None) -> Spec:
    """Read and validate a spec file, or standard input for ``-`` (SpecError on any
    problem: a file that is not regular or is over MAX_SPEC_BYTES is refused unread).
    ``lang``: the language of the output built from it, when an option chose it (see
    parse_spec)."""
    from handcalc.io.fileio import MAX_SPEC_BYTES, STDIN, read_input

    name = os.fspath(path)
    stdin = name == STDIN
    shown: Text = msg("file.stdin") if stdin else safe_text(name)
    if stdin:
        name = "standard input"
    data = read_input(path, MAX_SPEC_BYTES, name=shown)
    try:
        text = data.decode("utf-8-sig")  # a byte-order mark, as some editors save, is fine
    except UnicodeDecodeError as e:
        raise SpecError(msg("spec.error.not_utf8", name=shown, byte=e.start + 1)) from None
    return parse_spec(text, name, "worksheet" if stdin else None, lang, shown)


