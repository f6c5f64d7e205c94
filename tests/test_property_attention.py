"""Exact attention (sympy) against torch's scaled_dot_product_attention, float64."""

import math

from hypothesis import given
from hypothesis import strategies as st
from sympy import Rational

from handcalc.core import attention as att
from handcalc.core import kernel
from handcalc.core.exact import NEG_INF, mat
from handcalc.core.work import Work

small = st.one_of(st.integers(-3, 3), st.builds(Rational, st.integers(-6, 6), st.integers(1, 4)))


@st.composite
def problems(draw):
    n_q, n_k = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    d, d_v = draw(st.integers(1, 4)), draw(st.integers(1, 3))
    Q = mat([[draw(small) for _ in range(d)] for _ in range(n_q)])
    K = mat([[draw(small) for _ in range(d)] for _ in range(n_k)])
    V = mat([[draw(small) for _ in range(d_v)] for _ in range(n_k)])
    kind = draw(st.sampled_from(["none", "causal", "mask"]))
    if kind == "causal":
        K = mat([[draw(small) for _ in range(d)] for _ in range(n_q)])
        V = mat([[draw(small) for _ in range(d_v)] for _ in range(n_q)])
        visible = att.causal_visible(n_q)
    elif kind == "mask":
        visible = tuple(tuple(draw(st.booleans()) for _ in range(n_k)) for _ in range(n_q))
        visible = tuple(r if any(r) else (True,) + r[1:] for r in visible)
    else:
        visible = None
    return Q, K, V, d, kind, visible


def exact_attention(Q, K, V, d_k, visible):
    w = Work()
    S0 = att.scores(w, Q, K, d_k)
    S = att.apply_mask(w, S0, visible) if visible else S0
    A = att.softmax(w, S)
    return S, A, att.output(w, A, V)


def close(exact, numeric):
    for re_, rn in zip(exact, numeric, strict=True):
        for x, y in zip(re_, rn, strict=True):
            if x == NEG_INF:
                assert y == -math.inf
            else:
                assert abs(float(x.evalf(30)) - y) <= 1e-9 * max(1.0, abs(y)), (x, y)


@given(problems())
def test_exact_attention_matches_torch(problem):
    Q, K, V, d_k, kind, visible = problem
    S, A, Z = exact_attention(Q, K, V, d_k, visible)
    out = kernel.attention(Q, K, V, d_k=d_k, causal=kind == "causal",
                           visible=visible if kind == "mask" else None)
    close(S, out["S"])
    close(A, out["A"])
    close(Z, out["Z"])
    for r in A:  # every row of A sums to 1, exactly
        assert sum(r).equals(1)
