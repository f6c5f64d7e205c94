"""Codes that carry their data: an exercise posed from given numbers, rebuilt offline.

Format, version 1 (sections separated by ``~``; every character a letter, a digit or one
of ``. _ - ~``, so that a code survives a shell without quotes, a CSV cell, a URL and a
file name; case does not matter, as for every code)::

    FAMILY~1[FORM]~MATRIX~...~PARAMS~PARTS~CHECK
    attention~1~2x2_1_0_0_1~2x2_1_1_0_1~2x2_1_2_3_4~t_2~123~7fq2

* FAMILY: the family's name, first, so that a code says what it is.
* 1[FORM]: the format version (1), then the family's form as a letter when it has more
  than one and the form is not the first (``1b``: cross-attention from X, H and weights).
* MATRIX: one section per given matrix, in the order of the family's description
  (handcalc.families.givens): ``RxC`` then the R*C entries by rows, each after ``_``.
* PARAMS: the parameters in the description's order, separated by ``_``; an empty field
  is a parameter left out, and trailing empty fields are not written (so that a parameter
  added at the end leaves the codes of data without it as they were). A bool is ``t`` or
  ``f``; a list of ints is joined by ``.``.
* PARTS: the parts asked, as 1-based positions in the description's list of parts, one
  base-36 digit each (``123``; a family with ten or more parts goes on with ``a``).
* CHECK: 4 base-36 digits of SHA-256 over everything before it: a typo or a changed
  entry is refused with one line.

A number is an integer (``-3``), a decimal when its denominator has no prime but 2 and 5
(``0.1`` is 1/10, ``-2.25``), else ``NrD`` (``1r3`` is 1/3); an angle may end in ``pi``
(``1r6pi``). Values round-trip exactly. A code has at most MAX_LENGTH characters.

Compatibility: a decoder for every version ever written stays; within version 1, a new
parameter is only ever added at the end of a description with a default, and read as
that default when a code has fewer fields. The ``~`` makes a data code unlike a drawn
code (``causal-2-4821``) or a worked one (``worked-3``), whose meaning is unchanged.
"""

from __future__ import annotations

import hashlib
import math
import re
import string
from typing import TYPE_CHECKING, Any

from handcalc.core.exact import Mat
from handcalc.errors import GivenError
from handcalc.families import givens
from handcalc.families.base import Instance
from handcalc.families.given import Description, Form, Param, Resolved, resolve
from handcalc.text.messages import msg

if TYPE_CHECKING:
    import sympy
else:
    from handcalc.lazysympy import sympy

VERSION = "1"
SEP = "~"
MAX_LENGTH = 600
_DIGITS = string.digits + string.ascii_lowercase
_CHARS = re.compile(r"[a-z0-9._~-]+", re.ASCII)
_COPIED = re.compile(r"[\s\u200b\u00ad]+")
_SHAPE = re.compile(r"([0-9]{1,2})x([0-9]{1,2})", re.ASCII)
_NUM = re.compile(r"(-?)([0-9]{1,12})(?:\.([0-9]{1,12})|r([0-9]{1,12}))?(pi)?", re.ASCII)


def is_data_code(code: str) -> bool:
    return SEP in code


def short(code: str, limit: int = 40) -> str:
    """A code as a name shows it (a Moodle question's name holds 255 characters): a long
    data code as its family and check digits, ``mha~...~2u3m``; other codes as they are."""
    if len(code) <= limit or not is_data_code(code):
        return code
    return f"{code.split(SEP, 1)[0]}{SEP}...{SEP}{code.rsplit(SEP, 1)[1]}"


def checksum(body: str) -> str:
    n = int.from_bytes(hashlib.sha256(body.encode("ascii")).digest()[:8], "big") % 36**4
    out = ""
    for _ in range(4):
        n, r = divmod(n, 36)
        out = _DIGITS[r] + out
    return out


# ---------------------------------------------------------------- numbers

def num_text(v: sympy.Expr) -> str:
    """An exact number as code text (see the module docstring)."""
    if not isinstance(v, sympy.Rational):
        k = v / sympy.pi
        if not isinstance(k, sympy.Rational):
            raise ValueError(f"not codeable: {v}")
        return num_text(k) + "pi"
    if v.q == 1:
        return str(v.p)
    q, twos, fives = v.q, 0, 0
    while q % 2 == 0:
        q, twos = q // 2, twos + 1
    while q % 5 == 0:
        q, fives = q // 5, fives + 1
    if q == 1:
        places = max(twos, fives)
        scaled = abs(v.p) * 10**places // v.q
        whole, frac = divmod(scaled, 10**places)
        return f"{'-' if v < 0 else ''}{whole}.{frac:0{places}d}"
    return f"{v.p}r{v.q}"


def text_num(text: str) -> sympy.Expr:
    """The exact number of a code's number text; ValueError when it is not one."""
    m = _NUM.fullmatch(text)
    if not m:
        raise ValueError(text)
    sign, whole, frac, den, is_pi = m.groups()
    if frac is not None:
        v = sympy.Rational(f"{whole}.{frac}")
    elif den is not None:
        if int(den) == 0:
            raise ValueError(text)
        v = sympy.Rational(int(whole), int(den))
    else:
        v = sympy.Integer(int(whole))
    v = -v if sign else v
    return v * sympy.pi if is_pi else v


# ---------------------------------------------------------------- encoding

def _param_text(p: Param, v: Any) -> str:
    if p.kind == "bool":
        return "t" if v else "f"
    if p.kind == "ints":
        return ".".join(str(int(x)) for x in v)
    if p.kind == "choice":
        return str(v).lower()  # read back in lower case (cost's model: MiniMind)
    if p.kind == "int":
        return str(int(v))
    return num_text(sympy.sympify(v))


def encode(family: str, r: Resolved) -> str:
    """The code of resolved data (GivenError when it would pass MAX_LENGTH)."""
    desc = givens.DESCRIPTIONS[family]
    form = desc.forms[r.form]
    version = VERSION + ("" if r.form == 0 else _DIGITS[10 + r.form])
    sections = [family, version]
    for m in form.mats:
        for name in m.names(r.params):
            if name not in r.given:
                sections.append("")
                continue
            g = r.given[name]
            sections.append("_".join([f"{len(g)}x{len(g[0])}"]
                                     + [num_text(v) for row in g for v in row]))
    fields = ["" if p.name not in r.params else _param_text(p, r.params[p.name])
              for p in form.params]
    while fields and fields[-1] == "":  # a parameter added later, left out: as before it
        fields.pop()
    sections.append("_".join(fields))
    sections.append("".join(_DIGITS[form.ask.index(k) + 1] for k in r.ask))
    body = SEP.join(sections)
    code = f"{body}{SEP}{checksum(body)}"
    if len(code) > MAX_LENGTH:
        raise GivenError(msg("given.code.too_long", family=family, n=len(code), cap=MAX_LENGTH))
    return code


# ---------------------------------------------------------------- decoding

def _bad(code: str, why: str) -> GivenError:
    shown = code if len(code) <= 32 else code[:32] + "..."
    return GivenError(msg(f"given.code.{why}", code=shown))


def decode(code: str) -> Instance:
    """The Instance a data code stands for, validated as typed data is (GivenError)."""
    text = _COPIED.sub("", code).lower()  # copied from a sheet: spaces, breaks, U+200B
    if len(text) > MAX_LENGTH:
        raise GivenError(msg("given.code.too_long", family=text.split(SEP)[0][:24],
                             n=len(text), cap=MAX_LENGTH))
    if not _CHARS.fullmatch(text):
        raise _bad(text, "chars")
    body, _, check = text.rpartition(SEP)
    if checksum(body) != check:
        raise _bad(text, "checksum")
    sections = body.split(SEP)
    if len(sections) < 4:
        raise _bad(text, "form")
    family, version = sections[0], sections[1]
    desc = givens.DESCRIPTIONS.get(family)
    if desc is None or not version.startswith(VERSION):
        raise _bad(text, "form")
    form_index = 0 if version == VERSION else _DIGITS.find(version[1:]) - 10
    if len(version) > 2 or not 0 <= form_index < len(desc.forms):
        raise _bad(text, "form")
    try:
        given, params, parts = _fields(desc, form_index, sections[2:])
    except (ValueError, LookupError):
        raise _bad(text, "form") from None
    r = resolve(desc, given, params, parts)
    if r.form != form_index:
        raise _bad(text, "form")
    return within_reach(Instance(text, family, None, None, r.given, r.params, r.ask))


MAX_MAGNITUDE = 1e12  # of any asked value, in the float screen


def within_reach(inst: Instance) -> Instance:
    """The instance, once its math runs in floats without overflow and every asked value
    is a number of at most MAX_MAGNITUDE (or -inf, a masked score): beyond that (exp of a
    score in the hundreds) the exact key would be slow or its float-guided decisions
    unsafe, so the data is refused (GivenError) rather than keyed wrongly."""
    from handcalc.core.work import NotApplicable, Work
    from handcalc.families import FAMILIES

    w = Work(numeric=True, record=False)
    try:
        FAMILIES[inst.family].compute(inst, w)
        values = [v for key in inst.ask for row in w.results[key] for v in row]
    except (OverflowError, ZeroDivisionError, ValueError, NotApplicable, KeyError):
        values = [math.inf]
    for v in values:
        if v != -math.inf and not abs(v) <= MAX_MAGNITUDE:
            raise GivenError(msg("given.error.too_large", family=inst.family,
                                 cap=f"{MAX_MAGNITUDE:.0e}"))
    return inst


def _fields(desc: Description, index: int, sections: list[str]
            ) -> tuple[dict[str, Mat], dict[str, Any], tuple[str, ...]]:
    form: Form = desc.forms[index]
    *mat_texts, param_text, part_text = sections
    values = param_text.split("_") if form.params else []
    if len(values) > len(form.params):
        raise ValueError("params")
    params: dict[str, Any] = {}
    for p, t in zip(form.params, values, strict=False):
        if t == "":
            continue
        if p.kind == "bool":
            params[p.name] = {"t": True, "f": False}[t]
        elif p.kind == "ints":
            params[p.name] = [int(x) for x in t.split(".")]
        elif p.kind in ("choice", "int"):
            params[p.name] = t
        else:
            params[p.name] = text_num(t)
    mats = [_matrix(t) for t in mat_texts]
    given: dict[str, Mat] = {}
    names = _names(desc, form, mats, params)
    if len(names) != len(mats):
        raise ValueError("matrices")
    for name, m in zip(names, mats, strict=True):
        if m is not None:
            given[name] = m
    positions = [_DIGITS.find(c) for c in part_text]
    if not positions or not all(1 <= n <= len(form.ask) for n in positions):
        raise ValueError("parts")
    parts = tuple(form.ask[n - 1] for n in positions)
    return given, params, parts


def _names(desc: Description, form: Form, mats: list[Mat | None],
           params: dict[str, Any]) -> list[str]:
    """The names of the matrix sections: templated names counted from the sections."""
    fixed = sum(1 for m in form.mats if m.each is None)
    groups = sum(1 for m in form.mats if m.each is not None)
    if not groups:
        return [m.name for m in form.mats]
    count, rest = divmod(len(mats) - fixed, groups)
    if rest:
        raise ValueError("matrices")
    out = []
    for m in form.mats:
        if m.each is None:
            out.append(m.name)
        else:
            first = m.each[0]
            start = sum(int(x) if x.isdigit() else int(params[x]) for x in first.split("+"))
            out.extend(m.name.format(i=i) for i in range(start, start + count))
    return out


def _matrix(text: str) -> Mat | None:
    if text == "":
        return None
    head, *cells = text.split("_")
    m = _SHAPE.fullmatch(head)
    if not m:
        raise ValueError("shape")
    r, c = int(m.group(1)), int(m.group(2))
    if r * c != len(cells) or r == 0 or c == 0:
        raise ValueError("entries")
    values = [text_num(x) for x in cells]
    return tuple(tuple(values[i * c:(i + 1) * c]) for i in range(r))
