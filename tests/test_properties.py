"""Property tests (hypothesis): the exact solver against torch, exact invariants, every
family at any seed and level, and the parser and CLI on arbitrary text.

* exact attention (handcalc.core.attention) against F.scaled_dot_product_attention
  (handcalc.core.kernel) in float64: 1 to 5 tokens, d_k 1 to 8, integers and small rationals,
  scaled and unscaled, causal, padding and arbitrary masks; LayerNorm, projection
  gradients and head concatenation + W^O likewise, all within 1e-9;
* invariants decided exactly (sympy, never floats): rows of A sum to 1, masked weights
  are 0, attention is permutation-equivariant, scaling Q by c is the scale c/sqrt(d_k),
  LayerNorm has mean 0 and variance var/(var + eps);
* every family, level and seed: generation terminates, torch agrees, answers keep
  0.0005 from a rounding boundary, the rounded key grades correct and the key moved by
  0.006 incorrect, catalogued mistakes show at 2 decimals from level 2 on;
* any text: the parser returns a value or raises ParseError within a second, and
  `handcalc check` never prints a traceback.

Examples per test come from the hypothesis profile (tests/conftest.py: `ci` by default,
HYPOTHESIS_PROFILE=deep for a long run).
"""

import math

import sympy
import torch
import torch.nn.functional as F
from bounded import bounded_cpu
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st
from sympy import Rational

from handcalc.cli import cli
from handcalc.core import attention as att
from handcalc.core import kernel
from handcalc.core.exact import NEG_INF, Mat, elementwise, entries, mat, matmul, shape
from handcalc.core.parse import parse_answer
from handcalc.core.rounding import fmt2
from handcalc.core.work import Work
from handcalc.errors import ParseError
from handcalc.exercises.exercise import (
    compute,
    cross_check,
    differs,
    generate,
    mistaken,
    usable,
)
from handcalc.exercises.grade import grade
from handcalc.families import FAMILIES, Instance
from handcalc.families.layernorm import default_eps, ln_params

TOL = 1e-9
SCALE = settings().max_examples  # examples of the loaded profile (ci 60, deep 1000)

# ---------------------------------------------------------------- strategies

small = st.one_of(st.integers(-3, 3),
                  st.builds(Rational, st.integers(-6, 6), st.integers(1, 4)))


def matrices(rows, cols, values=small):
    return st.lists(st.lists(values, min_size=cols, max_size=cols),
                    min_size=rows, max_size=rows).map(mat)


@st.composite
def attention_problems(draw, kinds=("none", "causal", "padding", "mask")):
    """Q (n_q x d), K (n_k x d), V (n_k x d_v), d, scaled, the mask kind and visibility."""
    kind = draw(st.sampled_from(kinds))
    n_q = draw(st.integers(1, 5))
    n_k = n_q if kind == "causal" else draw(st.integers(1, 5))
    d, d_v = draw(st.integers(1, 8)), draw(st.integers(1, 4))
    Q, K, V = draw(matrices(n_q, d)), draw(matrices(n_k, d)), draw(matrices(n_k, d_v))
    scaled = draw(st.booleans())
    if kind == "causal":
        visible = att.causal_visible(n_q)
    elif kind == "padding":  # the last keys are hidden from every query
        length = draw(st.integers(1, n_k))
        visible = tuple(tuple(j < length for j in range(n_k)) for _ in range(n_q))
    elif kind == "mask":  # any mask that leaves each query at least one key
        rows = []
        for _ in range(n_q):
            r = draw(st.lists(st.booleans(), min_size=n_k, max_size=n_k))
            if not any(r):
                r[draw(st.integers(0, n_k - 1))] = True
            rows.append(tuple(r))
        visible = tuple(rows)
    else:
        visible = None
    return Q, K, V, d, scaled, kind, visible


def exact_attention(Q: Mat, K: Mat, V: Mat, d: int, scaled: bool, visible) -> tuple:
    w = Work()
    S = att.scores(w, Q, K, d, scaled=scaled)
    if visible is not None:
        S = att.apply_mask(w, S, visible)
    A = att.softmax(w, S)
    return S, A, att.output(w, A, V)


def close(exact: Mat, numeric: list[list[float]], what: str = "") -> None:
    assert [len(numeric), len(numeric[0])] == list(shape(exact)), what
    for x, y in zip(entries(exact), (v for r in numeric for v in r), strict=True):
        if x == NEG_INF:
            assert y == -math.inf, (what, x, y)
        else:
            assert abs(float(sympy.N(x, 30)) - y) <= TOL * max(1.0, abs(y)), (what, x, y)


def exactly(x: sympy.Expr, y: sympy.Expr) -> bool:
    """x == y decided symbolically: structure, then together(), then sympy's equals."""
    if x == y:
        return True
    d = sympy.together(x - y)
    if d == 0:
        return True
    return (x - y).equals(0) is True


def instance(family: str, given: dict, params: dict, ask: tuple[str, ...]) -> Instance:
    return Instance(f"{family}-test", family, None, None, given, params, ask)


# ---------------------------------------------------------------- exact vs torch


@settings(max_examples=2 * SCALE)
@given(attention_problems())
def test_attention_matches_torch(problem):
    Q, K, V, d, scaled, kind, visible = problem
    S, A, Z = exact_attention(Q, K, V, d, scaled, visible)
    out = kernel.attention(Q, K, V, d_k=d if scaled else 1, causal=kind == "causal",
                           visible=visible if kind in ("padding", "mask") else None)
    close(S, out["S"], "S")
    close(A, out["A"], "A")
    close(Z, out["Z"], "Z")


eps_values = st.sampled_from([default_eps(), Rational(1, 1000), Rational(1, 10), Rational(1)])


@st.composite
def layernorm_problems(draw):
    n, d = draw(st.integers(1, 3)), draw(st.integers(2, 6))
    X, Z = draw(matrices(n, d)), draw(matrices(n, d))
    eps = draw(eps_values)
    return instance("layernorm", {"X": X, "Z": Z}, ln_params(eps), ("Y", "mean", "var", "LN"))


@given(layernorm_problems())
def test_layernorm_matches_torch(inst):
    results = compute(inst).results
    numeric = FAMILIES["layernorm"].kernel(inst, kernel)  # F.layer_norm
    for key in ("Y", "mean", "var", "LN"):
        close(results[key], numeric[key], key)


@st.composite
def projection_problems(draw):
    m, n = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    given_ = {"W": draw(matrices(m, n)), "x": draw(matrices(n, 1)),
              "dL/dQ": draw(matrices(m, 1))}
    return instance("projection-grad", given_, {}, ("dW", "dx"))


@given(projection_problems())
def test_projection_gradients_match_autograd(inst):
    results = compute(inst).results
    numeric = kernel.projection_grads(inst.given["W"], inst.given["x"], inst.given["dL/dQ"])
    close(results["dW"], numeric["dW"], "dW")
    close(results["dx"], numeric["dx"], "dx")


@st.composite
def concat_problems(draw):
    h, n = draw(st.integers(1, 4)), draw(st.integers(1, 3))
    d_h, d_model = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    given_ = {f"Z{i + 1}": draw(matrices(n, d_h)) for i in range(h)}
    given_["W^O"] = draw(matrices(h * d_h, d_model))
    return instance("concat", given_, {"h": h}, ("C", "out"))


@given(concat_problems())
def test_concat_and_output_projection_match_torch(inst):
    results = compute(inst).results
    heads = [inst.given[f"Z{i + 1}"] for i in range(inst.params["h"])]
    numeric = kernel.concat_heads(heads, inst.given["W^O"])  # torch.cat(..., -1) @ W^O
    close(results["C"], numeric["C"], "C")
    close(results["out"], numeric["out"], "out")


# ---------------------------------------------------------------- exact invariants


@given(attention_problems())
def test_rows_of_A_sum_to_one_and_masked_weights_are_zero(problem):
    Q, K, V, d, scaled, kind, visible = problem
    S, A, Z = exact_attention(Q, K, V, d, scaled, visible)
    for i, r in enumerate(A):
        assert exactly(sympy.Add(*r), sympy.Integer(1)), (i, r)
        if visible is not None:
            for a, seen in zip(r, visible[i], strict=True):
                if not seen:
                    assert a.is_zero is True and a == 0, a
                else:
                    assert a.is_positive is not False, a


@st.composite
def square_problems(draw):
    n, d, d_v = draw(st.integers(1, 5)), draw(st.integers(1, 8)), draw(st.integers(1, 3))
    return (draw(matrices(n, d)), draw(matrices(n, d)), draw(matrices(n, d_v)), d,
            draw(st.booleans()), draw(st.permutations(range(n))))


@given(square_problems())
def test_attention_is_permutation_equivariant(problem):
    Q, K, V, d, scaled, perm = problem
    _, _, Z = exact_attention(Q, K, V, d, scaled, None)
    pick = lambda m: tuple(m[p] for p in perm)  # noqa: E731 - row i of P M is row perm[i]
    _, _, Zp = exact_attention(pick(Q), pick(K), pick(V), d, scaled, None)
    for i, p in enumerate(perm):
        for a, b in zip(Zp[i], Z[p], strict=True):
            assert a.equals(b), (i, a, b)
    # permuting only the keys and values leaves every output unchanged
    _, _, Zk = exact_attention(Q, pick(K), pick(V), d, scaled, None)
    for a, b in zip(entries(Zk), entries(Z), strict=True):
        assert a.equals(b), (a, b)


nonzero_small = small.filter(lambda v: v != 0)


@given(attention_problems(kinds=("none", "mask")), nonzero_small)
def test_scaling_Q_by_c_is_the_scale_c_over_sqrt_dk(problem, c):
    Q, K, V, d, _, kind, visible = problem
    c = sympy.sympify(c)
    cQ = elementwise(lambda v: v * c, Q)
    S_c, A_c, Z_c = exact_attention(cQ, K, V, d, True, visible)
    raw = matmul(Q, tuple(zip(*K, strict=True)))  # Q K^T
    factor = c / sympy.sqrt(d)
    for x, r in zip(entries(S_c), entries(raw), strict=True):
        assert x == NEG_INF or exactly(x, r * factor), (x, r, factor)
    # and torch with scale = c / sqrt(d_k) on the unscaled Q gives the same A and Z
    t = lambda m: torch.tensor(  # noqa: E731
        [[float(sympy.N(v, 20)) for v in r] for r in m], dtype=torch.float64)[None]
    mask = None if visible is None else torch.tensor(visible, dtype=torch.bool)
    n_k = len(K)
    A_t = F.scaled_dot_product_attention(t(Q), t(K), torch.eye(n_k, dtype=torch.float64)[None],
                                         attn_mask=mask, scale=float(factor))
    Z_t = F.scaled_dot_product_attention(t(Q), t(K), t(V), attn_mask=mask, scale=float(factor))
    close(A_c, A_t[0].tolist(), "A")
    close(Z_c, Z_t[0].tolist(), "Z")


@given(layernorm_problems())
def test_layernorm_mean_is_0_and_variance_is_var_over_var_plus_eps(inst):
    results = compute(inst).results
    eps = inst.params["eps"]
    for ln_row, (var,) in zip(results["LN"], results["var"], strict=True):
        d = len(ln_row)
        mean = sympy.Add(*ln_row) / d
        assert exactly(mean, sympy.Integer(0)), mean
        variance = sympy.Add(*[(v - mean) ** 2 for v in ln_row]) / d
        assert exactly(variance, var / (var + eps)), (variance, var, eps)
        if var != 0:
            assert variance != 1 and variance < 1  # eps keeps it just below 1


# ---------------------------------------------------------------- every family


@st.composite
def family_codes(draw):
    name = draw(st.sampled_from(sorted(FAMILIES)))
    level = draw(st.sampled_from(FAMILIES[name].levels))
    return name, level, draw(st.integers(0, 10**6))


def near_boundary(x: sympy.Expr) -> bool:
    """Within 0.0005 of k/100 + 1/200 (own check, 50 digits; exact for rationals)."""
    if x == NEG_INF:
        return False
    t = abs(x) * 100
    if not isinstance(t, Rational):
        t = sympy.N(t, 50)
    frac = t - sympy.floor(t)
    return bool(abs(frac - Rational(1, 2)) < Rational(1, 20))


def typed(m: Mat) -> str:
    """The 2-decimal key as a learner types it: rows by ';', entries by ','."""
    return "; ".join(", ".join(fmt2(v) for v in r) for r in m)


@settings(max_examples=4 * SCALE)
@given(family_codes())
def test_every_family_level_and_seed_gives_a_sound_exercise(code):
    name, level, seed = code
    ex = generate(name, level, seed)  # terminates (or raises: a failure)
    assert ex.instance.seed >= seed and ex.code == f"{name}-{level}-{ex.instance.seed}"
    assert cross_check(ex) <= TOL
    for part in ex.parts:
        for x in entries(part.answer):
            assert not near_boundary(x), (ex.code, part.number, x)
        key = parse_answer(typed(part.answer))
        assert grade(ex, part.number, key).correct, (ex.code, part.number)
        assert grade(ex, part.number, key, strict=True).correct, (ex.code, part.number)
        for sign in (1, -1):
            moved = elementwise(lambda v, s=sign: v if v == NEG_INF else v + s * Rational(6, 1000),
                                part.answer)
            verdict = grade(ex, part.number, moved, strict=True)
            assert not verdict.correct, (ex.code, part.number, sign)
            for x, ok in zip(entries(part.answer), (c for r in verdict.cells for c in r),
                             strict=True):
                assert ok == (x == NEG_INF), (ex.code, part.number, x)
    if level < 2:
        return
    for mistake in ex.family.mistakes:
        results = mistaken(ex.instance, mistake)
        if results is None:
            continue
        for part in ex.parts:
            wrong = results.get(part.key)
            if wrong is None or not usable(wrong) or not differs(wrong, part.answer):
                continue
            assert shape(wrong) != shape(part.answer) or \
                [fmt2(v) for v in entries(wrong)] != [fmt2(v) for v in entries(part.answer)], \
                (ex.code, mistake, part.number)


EDGE = 10**20  # typed decimals with 20 places, a hair inside or outside x +- 0.005


def _edges(x: sympy.Expr) -> tuple[Rational, Rational, Rational, Rational]:
    """(inside, outside) of the upper edge x + 0.005, then of the lower edge x - 0.005."""
    up, down = x + Rational(1, 200), x - Rational(1, 200)
    if isinstance(x, Rational):
        hi, lo = sympy.floor(up * EDGE), sympy.ceiling(down * EDGE)
    else:
        hi, lo = sympy.floor(sympy.N(up * EDGE, 80)), sympy.ceiling(sympy.N(down * EDGE, 80))
    return (Rational(hi, EDGE), Rational(hi + 1, EDGE), Rational(lo, EDGE),
            Rational(lo - 1, EDGE))


def _accepts(v: Rational, x: sympy.Expr) -> bool:
    """The oracle: |v - x| <= 0.005 from an 80-digit evaluation (exact for rational x)."""
    d = v - x
    gap = abs(d) - Rational(1, 200) if isinstance(d, Rational) else \
        abs(sympy.N(d, 80)) - sympy.N(Rational(1, 200), 80)
    return bool(gap <= 0)


@settings(max_examples=2 * SCALE)
@given(family_codes())
def test_two_decimal_rule_is_exact_at_the_edge(code):
    """Typed values 1e-20 inside and outside x +- 0.005 are accepted and refused exactly,
    whatever screen the grader puts in front of the exact decision; an exact count
    (Quantity.count) refuses them all: it accepts only its own whole number."""
    ex = generate(*code)
    for part in ex.parts:
        if ex.family.quantity(part.key).count:
            off = elementwise(lambda x: _edges(x)[0], part.answer)
            assert not any(c for r in grade(ex, part.number, off, strict=True).cells for c in r)
            assert grade(ex, part.number, part.answer, strict=True).correct
            continue
        finite = [x for x in entries(part.answer) if x != NEG_INF]
        if not finite:
            continue
        if ex.family.quantity(part.key).count:  # indices and counts: exactly, no 2 decimals
            near = elementwise(lambda x: x + sympy.Rational(1, 10**20), part.answer)
            assert grade(ex, part.number, part.answer, strict=True).correct
            assert not any(c for r in grade(ex, part.number, near, strict=True).cells for c in r)
            continue
        edges = {x: _edges(x) for x in finite}
        for which in range(4):
            answer = elementwise(lambda x, w=which, e=edges: x if x == NEG_INF else e[x][w],
                                 part.answer)
            verdict = grade(ex, part.number, answer, strict=True)
            for x, v, ok in zip(entries(part.answer), entries(answer),
                                (c for r in verdict.cells for c in r), strict=True):
                if x == NEG_INF:
                    continue
                assert ok == _accepts(v, x) == (which % 2 == 0), (ex.code, part.number, x, v)


# ---------------------------------------------------------------- any text

GRAMMAR = "0123456789.,;[]()+-*/^ eEsqrtxplnoginfπ√×−∞"
any_text = st.one_of(st.text(), st.text(alphabet=GRAMMAR), st.text(alphabet=GRAMMAR + "\n\t"))


@settings(max_examples=4 * SCALE)
@given(any_text)
def test_parser_returns_a_value_or_raises_parse_error_quickly(text):
    try:
        with bounded_cpu():
            value = parse_answer(text)
    except ParseError as e:
        assert str(e) and "\n" not in str(e)
    else:
        assert value and all(len(r) == len(value[0]) for r in value)
        for v in entries(value):
            assert v == NEG_INF or v == sympy.oo or v.is_real, v


@settings(max_examples=2 * SCALE)
@given(any_text)
def test_check_never_prints_a_traceback(text):
    result = CliRunner().invoke(cli, ["check", "worked-1", "1", text])
    assert result.exit_code in (0, 1, 2), (result.exit_code, result.output)
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), \
        repr(result.exception)
