"""Given data: each family's description agrees with what it accepts, data equal to a
drawn exercise's poses that exercise (the same key, steps and verdicts), and the code
that carries the data rebuilds it and refuses a typo."""

import json

import pytest
from sympy import Rational

from handcalc.core.exact import entries
from handcalc.core.rounding import fmt2
from handcalc.errors import GivenError, HandcalcError
from handcalc.exercises import datacode
from handcalc.exercises.exercise import build, generate, parse_code
from handcalc.exercises.grade import grade
from handcalc.exercises.posed import findings, from_data, pose
from handcalc.exercises.worked import WORKED
from handcalc.families import FAMILIES
from handcalc.families.given import KINDS, OMIT, REQUIRED
from handcalc.families.givens import DESCRIPTIONS
from handcalc.views.render import exercise_dict

SEEDS = (3, 41, 977, 2024, 65537)


def drawn():
    for name, fam in FAMILIES.items():
        for level in fam.levels:
            for seed in SEEDS:
                yield name, level, seed


def as_data(ex):
    """show --json's object, through JSON text, as `new --data` reads it."""
    return json.loads(json.dumps(exercise_dict(ex)))


def typed2(m):
    return [[fmt2(v) for v in r] for r in m]


@pytest.mark.parametrize("name", sorted(FAMILIES))
def test_every_family_has_a_description(name):
    desc = DESCRIPTIONS[name]
    assert desc.family == name and desc.forms
    fam = FAMILIES[name]
    keys = [q.key for q in fam.quantities]
    for form in desc.forms:
        assert set(form.ask) <= set(keys)
        assert [k for k in keys if k in form.ask] == list(form.ask)  # the family's order
        for p in form.params:
            assert p.kind in KINDS
            assert p.default in (REQUIRED, OMIT) or not isinstance(p.default, str) or p.choices


@pytest.mark.parametrize("name,level,seed", list(drawn()))
def test_given_data_of_a_drawn_exercise_poses_the_same_exercise(name, level, seed):
    ex = generate(name, level, seed)
    posed = from_data(as_data(ex))
    a, b = ex.instance, posed.instance
    assert b.family == a.family and b.ask == a.ask
    assert dict(b.given) == dict(a.given) and list(b.given) == list(a.given)
    assert dict(b.params) == dict(a.params) and list(b.params) == list(a.params)
    # the code carries the data: it rebuilds the same exercise offline
    again = build(posed.code)
    assert dict(again.instance.given) == dict(a.given)
    assert dict(again.instance.params) == dict(a.params) and again.code == posed.code
    if seed not in SEEDS[:2]:
        return
    # the same key and steps, solved anew
    for p, q in zip(ex.parts, again.parts, strict=True):
        assert p.key == q.key and p.answer == q.answer
        assert [(s.label, s.value) for s in p.steps] == [(s.label, s.value) for s in q.steps]
    # the same verdicts: the key right, a mistake's answer diagnosed alike
    last = ex.parts[-1]
    for e in (ex, again):
        assert grade(e, last.number, last.answer).correct
    from handcalc.exercises.exercise import mistaken
    for mistake in FAMILIES[name].mistakes:
        wrong = mistaken(a, mistake)
        if wrong is None or last.key not in wrong or entries(wrong[last.key]) == entries(
                last.answer):
            continue
        try:
            v1 = grade(ex, last.number, wrong[last.key])
        except HandcalcError:
            continue
        v2 = grade(again, last.number, wrong[last.key])
        assert (v1.correct, v1.score, v1.diagnosis) == (v2.correct, v2.score, v2.diagnosis)
        break


@pytest.mark.parametrize("n", sorted(WORKED))
def test_the_worked_set_is_given_data(n):
    inst = WORKED[n]
    ex = build(f"worked-{n}")
    posed = from_data(as_data(ex))
    assert dict(posed.instance.given) == dict(inst.given)
    assert dict(posed.instance.params) == dict(inst.params)
    assert posed.instance.ask == inst.ask
    assert [p.answer for p in posed.parts] == [p.answer for p in ex.parts]


def _alone(form, params, dim):
    """Whether a dimension is a free symbol that one matrix alone names."""
    if not isinstance(dim, str) or dim in params or "*" in dim:
        return False
    uses = [n for m in form.mats for n in m.names(params) for d in (m.rows, m.cols) if d == dim]
    return len(uses) == 1


@pytest.mark.parametrize("name", sorted(FAMILIES))
def test_a_description_and_what_it_accepts_agree(name):
    """Every matrix it names is needed; a row or a column more is refused unless the
    description leaves that dimension free to the matrix alone; an unknown name or
    parameter is refused; every parameter it lists is taken."""
    for level in FAMILIES[name].levels:
        ex = generate(name, level, 5)
        data = as_data(ex)
        desc = DESCRIPTIONS[name]
        form = desc.forms[desc.form_of(data["given"], data["params"])]
        params = ex.instance.params
        shapes = {n: m for m in form.mats for n in m.names(params)}
        assert set(data["given"]) == {n for n in shapes if n in ex.instance.given}
        assert set(p.name for p in form.params) >= {k for k in data["params"]
                                                    if not k.endswith("_text")}
        for matrix in data["given"]:
            missing = json.loads(json.dumps(data))
            del missing["given"][matrix]
            with pytest.raises(GivenError):
                from_data({**missing, "parts": [{"key": k} for k in form.ask]})
            m = shapes[matrix]
            wider = json.loads(json.dumps(data))
            wider["given"][matrix] = [r + ["1"] for r in wider["given"][matrix]]
            longer = json.loads(json.dumps(data))
            longer["given"][matrix] = longer["given"][matrix] + [longer["given"][matrix][0]]
            for changed, dim in ((wider, m.cols), (longer, m.rows)):
                if _alone(form, params, dim):
                    from_data(changed)
                else:
                    with pytest.raises(GivenError):
                        from_data(changed)
        for bad in ({"given": {**data["given"], "Nope": [[1]]}},
                    {"params": {**data["params"], "nope": 1}}):
            with pytest.raises(GivenError):
                from_data({**data, **bad})


TEXTBOOK = {"Q": "1 0; 0 1", "K": "1 1; 0 1", "V": "1 2; 3 4"}


def test_the_textbook_example():
    ex = pose("attention", TEXTBOOK, {})
    assert ex.instance.params == {"d_k": 2, "scaled": True}
    assert typed2(ex.parts[0].answer) == [["0.71", "0.00"], ["0.71", "0.71"]]
    assert typed2(ex.parts[2].answer) == [["1.66", "2.66"], ["2.00", "3.00"]]
    v = grade(ex, 1, ((Rational(1), Rational(0)), (Rational(1), Rational(1))))
    assert not v.correct and v.diagnosis.mistake.id == "no-scale"
    code = ex.code
    assert code.startswith("attention~1~") and len(code) <= datacode.MAX_LENGTH
    assert build(code.upper()).instance.given == ex.instance.given  # case does not matter


def test_numbers_are_exact_and_round_trip():
    ex = pose("attention", {"Q": [[0.1, "1/3"], ["-2.5", -1]], "K": "1 0; 0 1",
                            "V": [["-7/4", 0], [1000, "0.0001"]]}, {})
    g = ex.instance.given
    assert g["Q"][0] == (Rational(1, 10), Rational(1, 3)) and g["V"][1][1] == Rational(1, 10000)
    assert build(ex.code).instance.given == g
    for v in (Rational(-7, 4), Rational(1, 3), Rational(-1, 10000), Rational(5), Rational(0)):
        assert datacode.text_num(datacode.num_text(v)) == v


def test_a_changed_code_is_refused_in_one_line():
    code = pose("attention", TEXTBOOK, {}).code
    for bad in (code.replace("1_2_3_4", "1_2_3_5"), code[:-1] + ("x" if code[-1] != "x"
                                                                    else "y"),
                code.replace("~1~", "~9~"), code + "~", "attention~1~~", code + "!" * 700):
        with pytest.raises(HandcalcError) as e:
            parse_code(bad)
        assert "\n" not in str(e.value)


def test_data_codes_never_collide_with_drawn_or_worked_codes():
    assert parse_code("causal-2-4821") == ("causal", 2, 4821)
    assert parse_code("worked-3") == 3
    code = pose("causal", {"Q": "1; 2; 3", "K": "1; 2; 3", "V": "10; 20; 30"},
                {"scaled": False}).code
    assert "~" in code and code.count("-") == 0
    assert build(code).instance.given == WORKED[5].given


@pytest.mark.parametrize("given,params,word", [
    ({"Q": "1 0; 0 1", "K": "1 1; 0 1"}, {}, "missing"),
    ({**TEXTBOOK, "K": "1 1 1; 0 1 1"}, {}, "must be"),
    ({**TEXTBOOK, "V": "1 x; 3 4"}, {}, "V"),
    ({**TEXTBOOK, "Q": "1 0; 0 sqrt(2)"}, {}, "exact number"),
    ({**TEXTBOOK, "Q": [[1] * 9] * 2}, {}, "cap"),
    ({**TEXTBOOK, "Q": "1 0; 0 100000"}, {}, "cap"),
    (TEXTBOOK, {"d_k": 3}, "d_k"),
    (TEXTBOOK, {"scaled": "maybe"}, "true or false"),
])
def test_bad_attention_data_gets_one_line(given, params, word):
    with pytest.raises(GivenError) as e:
        pose("attention", given, params)
    text = str(e.value)
    assert word in text and "\n" not in text


WINDOW = {"Q": "1; 2; 0; 1; 2", "K": "1; 0; 2; 1; 1", "V": "1; 3; 0; 2; 1"}
LINEAR = {"Q": "1 0; 0 1", "K": "1 1; 0 2", "V": "1 2; 3 0"}
COST = {"model": "MiniMind", "n": 1024, "batch": 1, "dtype": "bf16"}
MQA = ({"Q": "1 0; 0 1; 1 1", "K0": "1 1; 0 1; 1 0", "V0": "1 2; 3 4; 0 1"},
       {"H": 8, "head": 5, "layers": 16, "head_dim": 64, "tokens": 4096, "batch": 2,
        "dtype": "bf16"})


@pytest.mark.parametrize("family,given,params", [
    ("layernorm", {"X": "1 2", "Z": "0 0"}, {"eps": 0}),
    ("temperature", {"z": "1 2", "T": "1 0"}, {}),
    ("heads", {}, {"d_model": 10, "h": 4}),
    ("padding", {"M": "0 0; 1 1", "Q": "1; 2", "K": "1; 2", "V": "1; 2"},
     {"scaled": False, "b": 1}),
    ("gqa", {"Q": "1", "K0": "1", "V0": "1", "K1": "1", "V1": "1"},
     {"H": 3, "head": 0, "layers": 1, "head_dim": 1, "tokens": 1, "batch": 1, "dtype": "bf16"}),
    ("rope", {"q": "1 2", "k": "2 1"}, {"p_q": 1, "p_k": 2}),
    ("online-softmax", {"s": "1 2", "V": "1; 2"}, {"block": 3}),
    ("keys", TEXTBOOK, {"query": 1}),
    ("temperature", {"z": "-7 8", "T": "0.001 1"}, {}),  # exp(8000): too large
    ("window", WINDOW, {"w": 6}),  # a window wider than the tokens
    ("window", WINDOW, {"w": 2, "N": 100}),  # N without W
    ("window", WINDOW, {"w": 2, "N": 100, "W": 200}),  # a window longer than N
    ("linear", LINEAR, {"i": 3}),  # 2 tokens
    ("linear", LINEAR, {"i": 2, "N": 1024}),  # N without d
    ("cost", {}, {**COST, "heads": 4}),  # the statement names MiniMind: its 8 heads
    ("cost", {}, {**COST, "model": "gpt2"}),
    ("gqa", {"Q": "1", "K0": "1", "V0": "1"},
     {"H": 8, "head": 0, "layers": 1, "head_dim": 1, "tokens": 1, "batch": 1, "dtype": "bf16",
      "G2": 3}),  # G2 must divide H
])
def test_rules_beyond_shapes(family, given, params):
    with pytest.raises(GivenError) as e:
        pose(family, given, params)
    assert "\n" not in str(e.value) and str(e.value).startswith(family)


def test_findings_say_what_given_data_cannot_promise():
    # worked-2's data: a mistake (no scaling asked) ... and a boundary-free key
    ex = pose("attention", {"Q": "1 0; 0 1", "K": "1 0; 0 1", "V": "3 0; 0 2"},
              {"scaled": False})
    assert [m.id for m in findings(ex)] == [] or all(
        m.id.startswith("given.warn.") for m in findings(ex))
    # a score of exactly 0.125 lies on a rounding boundary
    near = pose("score", {"q": "0.125", "k": "1", "v": "1"}, {}, ("s",))
    assert any(m.id == "given.warn.boundary" for m in findings(near))
    # tiny scores: forgetting the scale changes S, not its 2-decimal answer
    tiny = pose("attention", {"Q": "0.001 0; 0 0.001", "K": "1 1; 0 1", "V": "1 2; 3 4"}, {})
    notes = findings(tiny)
    assert any(m.id == "given.warn.mistake_key" and m.kwargs["part"] == 1 for m in notes)
    # saturated weights: two scaling mistakes give one 2-decimal A
    pair = pose("attention", {"Q": "0 2; 2 1", "K": "2 1; -1 1", "V": "2 3; -1 0"}, {})
    assert any(m.id == "given.warn.mistake_pair" and m.kwargs["part"] == 2
               for m in findings(pair))


def test_parts_can_be_chosen():
    ex = pose("attention", TEXTBOOK, {}, ("Z", "S"))
    assert ex.keys == ("S", "Z")
    assert build(ex.code).keys == ("S", "Z")
    with pytest.raises(GivenError):
        pose("attention", TEXTBOOK, {}, ("nope",))


def test_parts_that_a_parameter_brings_in_or_rules_out():
    """window's counts come with N and W, gqa's comparison with G2 (MQA, level 4), linear's
    causal parts with i (and its u and Z are not asked then); asked without, one line."""
    assert pose("window", WINDOW, {"w": 2}).keys == ("M", "S", "a", "z")
    assert pose("window", WINDOW, {"w": 2, "N": 10240, "W": 4096}).keys[-2:] == (
        "count", "saved")
    assert pose("linear", LINEAR, {}).keys == ("phiQ", "phiK", "KV", "u", "Z")
    causal = pose("linear", LINEAR, {"i": 2})
    assert causal.keys == ("phiQ", "phiK", "KV", "S_i", "Zc") and causal.parts[-1].answer
    assert pose("gqa", *MQA).keys == ("map", "Z", "cache", "ratio")
    mqa = pose("gqa", MQA[0], {**MQA[1], "G2": 4})
    assert mqa.keys[-1] == "compare" and build(mqa.code).keys == mqa.keys
    for family, given, params, parts, word in (
            ("window", WINDOW, {"w": 2}, ("count",), "N, W"),
            ("gqa", MQA[0], MQA[1], ("compare",), "G2"),
            ("linear", LINEAR, {"i": 2}, ("u",), "i"),
            ("linear", LINEAR, {"i": 2}, ("mults",), "N, d"),
            ("linear", LINEAR, {}, ("Zc",), "i")):
        with pytest.raises(GivenError) as e:
            pose(family, given, params, parts)
        assert word in str(e.value) and "\n" not in str(e.value)


def test_a_parameter_added_later_leaves_the_codes_of_data_without_it():
    """gqa's G2 came with MQA; a code posed before it is the code posed now."""
    import shlex

    from handcalc.views.given_text import EXAMPLES

    args = shlex.split(EXAMPLES["gqa"])
    pairs = [(flag, *value.split("=", 1)) for flag, value in zip(args[::2], args[1::2],
                                                                  strict=True)]
    given = {k: v for flag, k, v in pairs if flag == "--given"}
    params = {k: v for flag, k, v in pairs if flag == "--param"}
    code = pose("gqa", given, params).code
    assert code == ("gqa~1~2x2_1_0_0_1~2x2_1_1_0_1~2x2_0_1_1_0~2x2_1_2_3_4~2x2_0_1_1_0~"
                    "4_2_3_2_8_64_1024_1_bf16~1234~8e6j")


def test_a_models_name_in_any_case():
    ex = pose("cost", {}, {**COST, "model": "qwen2.5-0.5B", "n": 4096})
    assert ex.instance.params["model"] == "Qwen2.5-0.5B"
    assert ex.instance.params["heads"] == 14 and ex.code == ex.code.lower()
    assert build(ex.code.upper()).instance.params == ex.instance.params
    ratio = pose("cost", {}, {**COST, "n": 4096}, ("ratio",))  # a part asked alone
    assert ratio.keys == ("ratio",) and ratio.parts[0].answer[0][0] == 4096 * 2 // 8
