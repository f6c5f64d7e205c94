"""``handcalc families FAMILY``: what a family needs to pose a person's own exercise
(its description in handcalc.families.givens), and an example command that works."""

from __future__ import annotations

from typing import Any

from handcalc.families import get_family
from handcalc.families.given import (
    MAX_DENOMINATOR,
    MAX_DIM,
    MAX_ENTRY,
    OMIT,
    REQUIRED,
    Description,
    Form,
    Param,
    range_text,
)
from handcalc.families.givens import DESCRIPTIONS
from handcalc.text.messages import DEFAULT_LANG, Msg, msg, tr

# one command per family that poses an exercise (tests run every one of them)
EXAMPLES: dict[str, str] = {
    "score": '--given q="2 1" --given k="1 3" --given v="4 0"',
    "attention": '--given Q="1 0; 0 1" --given K="1 1; 0 1" --given V="1 2; 3 4"',
    "keys": '--given Q="2 1; 1 1; 0 1" --given K="1 0; 0 1; 1 1" --given V="1 0; 0 1; 1 1" '
            '--param query=1 --param keys="2, 3"',
    "causal": '--given Q="1; 2; 3" --given K="1; 2; 3" --given V="10; 20; 30" '
              '--param scaled=false',
    "heads": "--param d_model=512 --param h=8",
    "concat": '--given Z1="1 2; 3 4" --given Z2="-1 0; 0 1" '
              '--given W^O="1 0; 0 1; 2 0; 0 -1"',
    "layernorm": '--given X="2 0 1" --given Z="-1 1 0.5"',
    "variance": '--param d_ks="16, 64" --param var_q=1 --param var_k=1',
    "projection-grad": '--given W="1 2; 0 1" --given x="1; 1" --given dL/dQ="0.1; 0.2"',
    "mha": '--given X="1 0; 0 1" --given W^Q="1 0; 0 1" --given W^K="1 1; 0 1" '
           '--given W^V="1 0; 1 1" --given W^O="1 0; 0 1"',
    "gqa": '--given Q="1 0; 0 1" --given K0="1 1; 0 1" --given K1="0 1; 1 0" '
           '--given V0="1 2; 3 4" --given V1="0 1; 1 0" --param H=4 --param head=3 '
           '--param layers=8 --param head_dim=64 --param tokens=1024 --param batch=1 '
           '--param dtype=bf16',
    "decode": '--given K="1 0; 0 1" --given V="1 2; 3 4" --given q3="1 1" --given k3="1 -1" '
              '--given v3="0 2"',
    "padding": '--given M="1 1 0; 1 1 1" --given Q="1; 2; 1" --given K="1; 1; 2" '
               '--given V="1; 2; 3" --param scaled=false',
    "cross": '--given Q="1 0; 0 1" --given K="1 1; 0 1; 1 0" --given V="1 2; 3 4; 5 6"',
    "rmsnorm": '--given x="1 -2" --given g="1 2" --param eps=0.01',
    "softmax-grad": '--given s="0 1 2" --given dL/dA="1 0 -1"',
    "attention-grad": '--given Q="1 0; 0 1" --given K="1 1; 0 1" --given V="1 2; 3 4" '
                      '--given dL/dZ="1 0; 0 -1"',
    "online-softmax": '--given s="0 2 1 3" --given V="1; 2; 3; 4" --param block=2',
    "rope": '--given q="1 2" --given k="2 1" --param theta=pi/6 --param p_q=1 --param p_k=3',
    "temperature": '--given z="0 1 3" --given T="0.5 2"',
    "window": '--given Q="1; 2; 0; 1; 2" --given K="1; 0; 2; 1; 1" '
              '--given V="1; 3; 0; 2; 1" --param w=2',
    "linear": '--given Q="1 0; 0 1" --given K="1 1; 0 2" --given V="1 2; 3 0"',
    "cost": "--param model=MiniMind --param n=1024 --param batch=1 --param dtype=bf16",
}


def _kind(p: Param) -> Msg:
    return msg(f"given.kind.{p.kind}", choices=", ".join(p.choices))


def _part_text(form: Form, key: str, lang: str, target: str) -> str:
    """A part as the listing names it: with what brings it in or rules it out."""
    if key in form.needs:
        return tr("given.list.part_needs", lang, target, key=key,
                  names=", ".join(form.needs[key]))
    if key in form.without:
        return tr("given.list.part_without", lang, target, key=key,
                  names=", ".join(form.without[key]))
    return key


def description_text(name: str, lang: str = DEFAULT_LANG, target: str = "unicode") -> str:
    get_family(name)  # an unknown family: its one line
    desc: Description = DESCRIPTIONS[name]
    lines = [tr("given.list.title", lang, target, family=name)]
    for n, form in enumerate(desc.forms, 1):
        if len(desc.forms) > 1:
            lines.append(tr("given.list.form", lang, target, n=n))
        for m in form.mats:
            if m.each is None:
                lines.append(tr("given.list.matrix", lang, target, name=m.name,
                                shape=m.shape_text))
            else:
                lines.append(tr("given.list.matrices", lang, target, name=m.name,
                                shape=m.shape_text, first=m.each[0], count=m.each[1]))
        for p in form.params:
            rng = "" if p.lo is None and p.hi is None else f", {range_text(p)}"
            if p.default == REQUIRED:
                lines.append(tr("given.list.required", lang, target, name=p.name,
                                kind=_kind(p), range=rng))
            elif p.default == OMIT:
                lines.append(tr("given.list.omit", lang, target, name=p.name, kind=_kind(p),
                                range=rng))
            else:
                lines.append(tr("given.list.default", lang, target, name=p.name,
                                kind=_kind(p), range=rng, default=p.default_text()))
        lines.append(tr("given.list.parts", lang, target, keys=", ".join(form.ask),
                        default=", ".join(_part_text(form, k, lang, target)
                                          for k in form.default_ask or form.ask)))
    lines.append(tr("given.list.caps", lang, target, dim=MAX_DIM, entry=MAX_ENTRY,
                    den=MAX_DENOMINATOR))
    from handcalc.exercises.sized import size_names

    sizes = size_names(name)
    if sizes:
        lines.append(tr("given.list.sizes", lang, target, sizes=", ".join(
            f"{n} {lo}..{hi}" for n, (lo, hi) in sizes.items())))
    lines.append(tr("given.list.example", lang, target,
                    example=f"handcalc new {name} {EXAMPLES[name]}"))
    return "\n".join(lines)


def description_dict(name: str) -> dict[str, Any]:
    """The description as JSON (``families FAMILY --json``): what a program needs to ask a
    person for their own data and to write the object ``new --data`` reads."""
    get_family(name)
    from handcalc.exercises.sized import size_names

    def param(p: Param) -> dict[str, Any]:
        required = p.default == REQUIRED
        default = None if required or p.default == OMIT or callable(p.default) else (
            p.default if isinstance(p.default, bool | int) else _plain(p.default))
        return {"name": p.name, "kind": p.kind, "required": required, "default": default,
                "derived": callable(p.default), "min": _plain(p.lo), "max": _plain(p.hi),
                "choices": list(p.choices)}

    return {
        "family": name,
        "forms": [{"matrices": [{"name": m.name, "rows": m.rows, "cols": m.cols,
                                 "each": list(m.each) if m.each else None,
                                 "optional": m.optional} for m in form.mats],
                   "params": [param(p) for p in form.params],
                   "parts": list(form.ask), "default_parts": list(form.default_ask or form.ask)}
                  for form in DESCRIPTIONS[name].forms],
        "sizes": {k: list(v) for k, v in size_names(name).items()},
        "caps": {"dim": MAX_DIM, "entry": MAX_ENTRY, "denominator": MAX_DENOMINATOR},
        "example": f"handcalc new {name} {EXAMPLES[name]}",
    }


def _plain(v: Any) -> Any:
    """A bound as JSON: an int, else its exact text (2*pi)."""
    if v is None or isinstance(v, int):
        return v
    return int(v) if getattr(v, "is_Integer", False) else str(v)
