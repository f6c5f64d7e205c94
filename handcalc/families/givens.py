"""Each family's given-data description (handcalc.families.given): names, shapes,
parameters with their defaults and ranges, the parts it can ask, and its own rules.

The names are those of ``show --json`` (the family's draw); the params a description
yields equal the draw's, so that data equal to a drawn exercise's poses that exercise
(tests/test_given.py holds every family to it).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from handcalc.core.exact import Mat
from handcalc.families.cost import MODELS
from handcalc.families.given import (
    MAX_DIM,
    OMIT,
    REQUIRED,
    Description,
    Form,
    GivenMat,
    Param,
    cols,
    rows,
    rule,
)
from handcalc.families.keys import keys_params
from handcalc.families.layernorm import default_eps, ln_params
from handcalc.families.variance import variance_params

if TYPE_CHECKING:
    import sympy
else:
    from handcalc.lazysympy import sympy

M = GivenMat


def _count(prefix: str) -> Any:
    """A default: how many given matrices are named prefix + a number."""
    def count(mats: Mapping[str, Mat], given: Mapping[str, Any], params: dict) -> int:
        return sum(1 for n in given if n.startswith(prefix) and n[len(prefix):].isdigit())
    return count


def _dk_if_scaled(name: str) -> Any:
    def dk(mats: Mapping[str, Mat], given: Mapping[str, Any], params: dict) -> int:
        return len(mats[name][0]) if params.get("scaled", True) else 1
    return dk


def _scaled_rule(fam: str, key: str) -> Any:
    """d_k is the keys' width when scores are scaled, 1 when they are not."""
    def check(mats: Mapping[str, Mat], p: dict[str, Any]) -> None:
        want = len(mats[key][0]) if p["scaled"] else 1
        rule(p["d_k"] == want, fam, "equal", name="d_k", value=p["d_k"], want=want)
    return check


def _positive(fam: str, p: dict[str, Any], *names: str) -> None:
    for name in names:
        rule(p[name] > 0, fam, "positive", name=name, value=p[name])


SCALED = Param("scaled", "bool", True)


def _attention_like(fam: str) -> Description:
    return Description(fam, (Form(
        (M("Q", "n", "d"), M("K", "n", "d"), M("V", "n", "d_v")),
        (SCALED, Param("d_k", "int", _dk_if_scaled("K"), 1, MAX_DIM,
                       note="cols_unscaled:K")),
        ("S", "A", "Z"), check=_scaled_rule(fam, "K")),), params_first=("d_k",))


def _keys_check(mats: Mapping[str, Mat], p: dict[str, Any]) -> None:
    n = len(mats["Q"])
    rule(1 <= p["query"] <= n, "keys", "index", name="query", value=p["query"], range=f"1 .. {n}")
    for j in p["keys"]:
        rule(1 <= j <= n, "keys", "index", name="keys", value=j, range=f"1 .. {n}")
    rule(len(set(p["keys"])) == len(p["keys"]), "keys", "distinct", name="keys")
    made = keys_params(p["query"], tuple(sorted(p["keys"])), p["d_k"])
    p.clear()
    p.update(made)


def _heads_check(mats: Mapping[str, Mat], p: dict[str, Any]) -> None:
    rule(p["d_model"] % p["h"] == 0, "heads", "divides", a="h", x=p["h"], b="d_model",
         y=p["d_model"])


def _ln_check(fam: str) -> Any:
    def check(mats: Mapping[str, Mat], p: dict[str, Any]) -> None:
        _positive(fam, p, "eps")
        if fam == "layernorm":
            p.update(ln_params(p["eps"]))
    return check


def _variance_check(mats: Mapping[str, Mat], p: dict[str, Any]) -> None:
    _positive("variance", p, "var_q", "var_k")
    made = variance_params(p["d_ks"], p["var_q"], p["var_k"])
    p.clear()
    p.update(made)


def _mha_check(mats: Mapping[str, Mat], p: dict[str, Any]) -> None:
    rule(p["d_model"] % p["h"] == 0, "mha", "divides", a="h", x=p["h"], b="d_model",
         y=p["d_model"])
    rule(p["d_k"] * p["h"] == p["d_model"], "mha", "equal", name="d_k", value=p["d_k"],
         want=p["d_model"] // p["h"])
    rule(1 <= p["head"] <= p["h"], "mha", "index", name="head", value=p["head"],
         range=f"1 .. {p['h']}")


def _gqa_check(mats: Mapping[str, Mat], p: dict[str, Any]) -> None:
    rule(p["H"] % p["G"] == 0, "gqa", "divides", a="G", x=p["G"], b="H", y=p["H"])
    rule(0 <= p["head"] < p["H"], "gqa", "index", name="head", value=p["head"],
         range=f"0 .. {p['H'] - 1}")
    if "G2" in p:  # the GQA of the comparison (MHA, GQA with G2, MQA)
        rule(p["H"] % p["G2"] == 0, "gqa", "divides", a="G2", x=p["G2"], b="H", y=p["H"])


def _padding_check(mats: Mapping[str, Mat], p: dict[str, Any]) -> None:
    for v in (v for r in mats["M"] for v in r):
        rule(v in (0, 1), "padding", "mask_values", value=v)
    rule(any(v == 1 for v in mats["M"][p["b"] - 1]), "padding", "masked_row", b=p["b"])
    _scaled_rule("padding", "K")(mats, p)


def _first_padded(mats: Mapping[str, Mat], given: Mapping[str, Any], params: dict) -> int:
    return next((i + 1 for i, r in enumerate(mats["M"]) if any(v == 0 for v in r)), 1)


def _online_check(mats: Mapping[str, Mat], p: dict[str, Any]) -> None:
    n = len(mats["V"])
    rule(p["block"] <= n, "online-softmax", "index", name="block", value=p["block"],
         range=f"1 .. {n}")


def _rope_check(mats: Mapping[str, Mat], p: dict[str, Any]) -> None:
    d = p["d"]
    rule(d % 2 == 0, "rope", "even", d=d)
    rule(("theta" in p) != ("base" in p), "rope", "theta_or_base")
    if "theta" in p:
        rule(d == 2, "rope", "theta_d2", d=d)
        _positive("rope", p, "theta")
    else:
        rule(p["base"] > 1, "rope", "base", value=p["base"])
        if p["base"] == int(p["base"]):
            p["base"] = int(p["base"])  # as drawn: an int
    rule(d == 2 or "pairing" in p, "rope", "pairing", d=d)
    order = ("d", "theta", "base", "pairing", "p_q", "p_k", "shift")
    items = sorted(p.items(), key=lambda kv: order.index(kv[0]))
    p.clear()
    p.update(items)


def _temperature_check(mats: Mapping[str, Mat], p: dict[str, Any]) -> None:
    for t in mats["T"][0]:
        rule(t > 0, "temperature", "positive", name="T", value=t)


def _decode_order(params: Mapping[str, Any]) -> list[str]:
    pos = range(params["t"] + 1, params["t"] + params["new"] + 1)
    return ["K", "V"] + [f"{x}{p}" for p in pos for x in "qkv"]


def _together(fam: str, p: dict[str, Any], *names: str) -> None:
    """Parameters that come together or not at all (window's N and W)."""
    given = [n for n in names if n in p]
    rule(len(given) in (0, len(names)), fam, "together", names=", ".join(names))


def _window_query(mats: Mapping[str, Mat], given: Mapping[str, Any], params: dict) -> int:
    """The row asked for, as drawn: w + 1 (the first whose window drops a key)."""
    return min(params["w"] + 1, len(mats["Q"]))


def _window_check(mats: Mapping[str, Mat], p: dict[str, Any]) -> None:
    n = len(mats["Q"])
    rule(p["w"] <= n, "window", "index", name="w", value=p["w"], range=f"1 .. {n}")
    rule(p["query"] <= n, "window", "index", name="query", value=p["query"],
         range=f"1 .. {n}")
    _together("window", p, "N", "W")
    if "N" in p:
        rule(p["W"] <= p["N"], "window", "index", name="W", value=p["W"],
             range=f"1 .. {p['N']}")


def _linear_check(mats: Mapping[str, Mat], p: dict[str, Any]) -> None:
    n = len(mats["Q"])
    if "i" in p:
        rule(p["i"] <= n, "linear", "index", name="i", value=p["i"], range=f"1 .. {n}")
    _together("linear", p, "N", "d")


def _model(field: int) -> Any:
    """A default: the named model's d_model, heads, KV heads or layers (cost.MODELS)."""
    def value(mats: Mapping[str, Mat], given: Mapping[str, Any], params: dict) -> int:
        return MODELS[_MODEL_NAMES[params["model"]]][field]
    return value


_MODEL_NAMES = {m.lower(): m for m in MODELS}


def _cost_check(mats: Mapping[str, Mat], p: dict[str, Any]) -> None:
    """The model as spelled in cost.MODELS (choices are read in lower case), and its shape:
    the statement names the model, so its numbers are that model's."""
    p["model"] = _MODEL_NAMES[p["model"]]
    for i, name in enumerate(("d_model", "heads", "kv_heads", "layers")):
        want = MODELS[p["model"]][i]
        rule(p[name] == want, "cost", "equal", name=name, value=p[name], want=want)


POSITION = 10000
D = {"lo": 1, "hi": MAX_DIM}

def _descriptions() -> dict[str, Description]:
    return {d.family: d for d in (
        Description("score", (Form(
            (M("q", 1, "d_k"), M("k", 1, "d_k"), M("v", 1, "d_v")),
            (Param("d_k", "int", cols("q"), **D, note="cols:q"),),
            ("s", "a", "z")),)),
        _attention_like("attention"),
        Description("keys", (Form(
            (M("Q", "n", "d_k"), M("K", "n", "d_k"), M("V", "n", "d_v", optional=True)),
            (Param("query", "int", REQUIRED, **D), Param("keys", "ints", REQUIRED, **D),
             Param("d_k", "int", cols("K"), **D, note="cols:K")),
            ("s", "a", "z"), check=_keys_check, needs={"z": ("V",)}),)),
        _attention_like("causal"),
        Description("heads", (Form(
            (), (Param("d_model", "int", REQUIRED, 1, 65536), Param("h", "int", REQUIRED, 1, 1024)),
            ("d_k", "sqrt_dk", "inv_sqrt_dk"), ("d_k", "sqrt_dk"), check=_heads_check),)),
        Description("concat", (Form(
            (M("Z{i}", "n", "d_h", each=("1", "h")), M("W^O", "h*d_h", "d_model")),
            (Param("h", "int", _count("Z"), **D, note="count:Z"),),
            ("C", "out")),)),
        Description("layernorm", (Form(
            (M("X", "n", "d"), M("Z", "n", "d")),
            (Param("eps", "number", default_eps(), 0, 1),),
            ("Y", "mean", "var", "LN"), check=_ln_check("layernorm")),)),
        Description("variance", (Form(
            (), (Param("d_ks", "ints", REQUIRED, 1, 100000),
                 Param("var_q", "number", sympy.Integer(1), 0, 1000),
                 Param("var_k", "number", sympy.Integer(1), 0, 1000)),
            ("var", "std", "scaled_var"), check=_variance_check),)),
        Description("projection-grad", (
            Form((M("W", "m", "n"), M("x", "n", 1), M("dL/dQ", "m", 1)), (), ("dW", "dx")),
            Form((M("x", "n", 1), M("dL/dQ", "m", 1)), (), ("dW",)),
        )),
        Description("mha", (Form(
            (M("X", "n", "d_model"), M("W^Q", "d_model", "d_model"),
             M("W^K", "d_model", "d_model"), M("W^V", "d_model", "d_model"),
             M("W^O", "d_model", "d_model")),
            (Param("h", "int", 2, **D), Param("head", "int", 1, **D),
             Param("d_model", "int", cols("X"), **D, note="cols:X"),
             Param("d_k", "int", lambda m, g, p: p["d_model"] // p["h"], **D,
                   note="dmodel_h")),
            ("Q", "S", "A", "C", "Y"), check=_mha_check),)),
        Description("gqa", (Form(
            (M("Q", "n", "d_k"), M("K{i}", "n", "d_k", each=("0", "G")),
             M("V{i}", "n", "d_v", each=("0", "G"))),
            (Param("H", "int", REQUIRED, 1, 64),
             Param("G", "int", _count("K"), 1, 64, note="count:K"),
             Param("head", "int", REQUIRED, 0, 63),
             Param("d_k", "int", cols("Q"), **D, note="cols:Q"),
             Param("layers", "int", REQUIRED, 1, 1000),
             Param("head_dim", "int", REQUIRED, 1, 65536),
             Param("tokens", "int", REQUIRED, 1, 10**7),
             Param("batch", "int", REQUIRED, 1, 10**4),
             Param("dtype", "choice", REQUIRED, choices=("fp32", "fp16", "bf16")),
             Param("G2", "int", OMIT, 1, 64)),  # added with MQA (level 4): at the end
            ("map", "Z", "cache", "ratio", "compare"), check=_gqa_check,
            needs={"compare": ("G2",)}),)),
        Description("decode", (Form(
            (M("K", "t", "d_k"), M("V", "t", "d_v"),
             M("q{i}", 1, "d_k", each=("t+1", "new")), M("k{i}", 1, "d_k", each=("t+1", "new")),
             M("v{i}", 1, "d_v", each=("t+1", "new"))),
            (Param("t", "int", rows("K"), 1, MAX_DIM - 1, note="rows:K"),
             Param("new", "int", _count("q"), 1, 4, note="count:q"),
             Param("d_k", "int", cols("K"), **D, note="cols:K")),
            ("S", "A", "Z")),), order=_decode_order),
        Description("padding", (Form(
            (M("M", 2, "L"), M("Q", "L", "d"), M("K", "L", "d"), M("V", "L", "d_v")),
            (SCALED, Param("d_k", "int", _dk_if_scaled("K"), **D, note="cols_unscaled:K"),
             Param("b", "int", _first_padded, 1, 2, note="padded_row")),
            ("S", "A", "Z"), check=_padding_check),), params_first=("d_k",)),
        Description("cross", (
            Form((M("Q", "m", "d_k"), M("K", "n", "d_k"), M("V", "n", "d_v")),
                 (Param("d_k", "int", cols("Q"), **D, note="cols:Q"),
                  Param("m", "int", rows("Q"), **D, note="rows:Q"),
                  Param("n", "int", rows("K"), **D, note="rows:K")),
                 ("S", "A", "Z")),
            Form((M("X", "m", "d_model"), M("H", "n", "d_model"), M("W_Q", "d_model", "d_k"),
                  M("W_K", "d_model", "d_k"), M("W_V", "d_model", "d_v")),
                 (Param("d_k", "int", cols("W_Q"), **D, note="cols:W_Q"),
                  Param("m", "int", rows("X"), **D, note="rows:X"),
                  Param("n", "int", rows("H"), **D, note="rows:H"),
                  Param("d_model", "int", cols("X"), **D, note="cols:X")),
                 ("S", "A", "Z")),
        )),
        Description("rmsnorm", (Form(
            (M("x", "n", "d"), M("g", 1, "d")),
            (Param("eps", "number", default_eps(), 0, 1),),
            ("ms", "rms", "y"), check=_ln_check("rmsnorm")),)),
        Description("softmax-grad", (Form(
            (M("s", "rows", "n"), M("dL/dA", "rows", "n")),
            (Param("rows", "int", rows("s"), **D, note="rows:s"),
             Param("n", "int", cols("s"), **D, note="cols:s")),
            ("A", "gA", "dS")),)),
        Description("attention-grad", (Form(
            (M("Q", "n", "d"), M("K", "n", "d"), M("V", "n", "d_v"), M("dL/dZ", "n", "d_v")),
            (Param("n", "int", rows("Q"), **D, note="rows:Q"),
             Param("d", "int", cols("Q"), **D, note="cols:Q")),
            ("A", "dV", "dA", "dS", "dQ")),)),
        Description("online-softmax", (
            Form((M("s", 1, "n"), M("V", "n", "d_v")),
                 (Param("block", "int", REQUIRED, **D),),
                 ("m", "l", "O_tilde", "O"), check=_online_check),
            Form((M("q", 1, "d"), M("K", "n", "d"), M("V", "n", "d_v")),
                 (Param("d", "int", cols("q"), **D, note="cols:q"),
                  Param("block", "int", REQUIRED, **D)),
                 ("s", "m", "l", "O_tilde", "O"), check=_online_check),
        )),
        Description("rope", (Form(
            (M("q", 1, "d"), M("k", 1, "d")),
            (Param("d", "int", cols("q"), **D, note="cols:q"),
             Param("theta", "angle", OMIT, 0, 2 * sympy.pi),
             Param("base", "number", OMIT, 1, 10**6),
             Param("pairing", "choice", OMIT, choices=("interleaved", "half-split")),
             Param("p_q", "int", REQUIRED, 0, POSITION), Param("p_k", "int", REQUIRED, 0, POSITION),
             Param("shift", "int", 1, 0, POSITION)),
            ("q_rot", "k_rot", "dot", "dot_shift"), check=_rope_check),)),
        Description("window", (Form(
            (M("Q", "n", "d_k"), M("K", "n", "d_k"), M("V", "n", "d_v")),
            (Param("w", "int", REQUIRED, **D),
             Param("d_k", "int", cols("K"), **D, note="cols:K"),
             Param("query", "int", _window_query, **D, note="window_query"),
             Param("N", "int", OMIT, 1, 10**6), Param("W", "int", OMIT, 1, 10**6)),
            ("M", "S", "a", "z", "count", "saved"), check=_window_check,
            needs={"count": ("N", "W"), "saved": ("N", "W")}),)),
        Description("linear", (Form(
            (M("Q", "n", "d_k"), M("K", "n", "d_k"), M("V", "n", "d_v")),
            (Param("i", "int", OMIT, **D), Param("N", "int", OMIT, 1, 10**6),
             Param("d", "int", OMIT, 1, 4096)),
            ("phiQ", "phiK", "KV", "u", "Z", "S_i", "Zc", "mults"), check=_linear_check,
            needs={"S_i": ("i",), "Zc": ("i",), "mults": ("i", "N", "d")},
            without={"u": ("i",), "Z": ("i",)}),)),
        Description("cost", (Form(
            (),
            (Param("model", "choice", REQUIRED, choices=tuple(_MODEL_NAMES)),
             Param("n", "int", REQUIRED, 1, 10**5),
             Param("d_model", "int", _model(0), 1, 65536, note="model"),
             Param("heads", "int", _model(1), 1, 1024, note="model"),
             Param("kv_heads", "int", _model(2), 1, 1024, note="model"),
             Param("layers", "int", _model(3), 1, 1000, note="model"),
             Param("batch", "int", REQUIRED, 1, 10**4),
             Param("dtype", "choice", REQUIRED, choices=("fp32", "fp16", "bf16"))),
            ("qk", "total", "scores", "scores_2n", "kv", "stats", "ratio"),
            check=_cost_check),)),
        Description("temperature", (Form(
            (M("z", 1, "n"), M("T", 1, "m")),
            (Param("n", "int", cols("z"), **D, note="cols:z"),
             Param("m", "int", cols("T"), **D, note="cols:T")),
            ("P", "pmax"), check=_temperature_check),)),
    )}


_BUILT: dict[str, dict[str, Description]] = {}


def __getattr__(name: str) -> object:
    """``DESCRIPTIONS`` (family -> Description), built on first read: its defaults and
    bounds are exact values, and building them imports sympy (handcalc.lazysympy)."""
    if name == "DESCRIPTIONS":
        if not _BUILT:
            _BUILT["all"] = _descriptions()
        return _BUILT["all"]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
