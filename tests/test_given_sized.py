"""Drawn exercises of a size beyond the levels: the size asked, the rules of drawn
exercises held, a code that carries the data; from `new --size` and from a spec."""

import json

import pytest
from click.testing import CliRunner

from handcalc.cli import cli
from handcalc.errors import GivenError
from handcalc.exercises.exercise import build, rejection
from handcalc.exercises.sized import size_names, sized
from handcalc.families import FAMILIES, Instance

# a size per family, and (matrix, rows, cols) that the size must give
SIZES = {
    "score": ({"d_k": 7}, ("q", 1, 7)), "attention": ({"n": 5, "d": 2}, ("Q", 5, 2)),
    "keys": ({"n": 6}, ("K", 6, None)), "causal": ({"n": 5}, ("V", 5, None)),
    "heads": ({"h": 6}, None), "concat": ({"h": 4}, ("Z4", None, None)),
    "layernorm": ({"n": 3, "d": 5}, ("X", 3, 5)), "variance": ({}, None),
    "projection-grad": ({"m": 4, "n": 2}, ("W", 4, 2)),
    "mha": ({"n": 4, "d_model": 6, "h": 3}, ("X", 4, 6)), "gqa": ({"G": 4}, ("K3", None, None)),
    "decode": ({"t": 5}, ("K", 5, None)), "padding": ({"L": 6}, ("M", 2, 6)),
    "cross": ({"m": 3, "n": 5}, ("H", 5, None)), "rmsnorm": ({"d": 6}, ("g", 1, 6)),
    "softmax-grad": ({"rows": 3}, ("s", 3, None)), "attention-grad": ({"n": 4}, ("Q", 4, None)),
    "online-softmax": ({"n": 8, "block": 3}, ("K", 8, None)), "rope": ({"d": 6}, ("q", 1, 6)),
    "temperature": ({"n": 6, "m": 4}, ("T", 1, 4)),
    "window": ({"n": 8}, ("Q", 8, None)), "linear": ({"n": 5, "d_k": 3}, ("K", 5, 3)),
    "cost": ({}, None),
}


def run(*args, input=None):
    return CliRunner().invoke(cli, [str(a) for a in args], input=input)


@pytest.mark.parametrize("name", sorted(FAMILIES))
def test_a_size_beyond_the_levels(name):
    size, want = SIZES[name]
    assert set(size) <= set(size_names(name))
    ex = sized(name, size, 5)
    inst = ex.instance
    if want is not None:
        matrix, rows, cols = want
        got = inst.given[matrix]
        assert rows is None or len(got) == rows
        assert cols is None or len(got[0]) == cols
    for key, value in size.items():
        assert key not in inst.params or inst.params[key] == value
    # the rules of drawn exercises (boundaries and mistakes), and the code rebuilds it
    assert rejection(Instance("x", name, 0, 0, inst.given, inst.params, inst.ask)) is None
    again = build(ex.code)
    assert again.instance.given == inst.given and dict(again.instance.params) == dict(
        inst.params)
    assert sized(name, size, 5).code == ex.code  # the same seed, the same exercise


@pytest.mark.parametrize("size,fragment", [
    ({"q": 5}, "cannot name q"), ({"n": 50}, "out of range"), ({"n": "5"}, "out of range"),
])
def test_a_bad_size_is_refused(size, fragment):
    with pytest.raises(GivenError) as e:
        sized("causal", size, 1)
    assert fragment in str(e.value)


def test_new_size_from_the_command_line():
    out = run("new", "causal", "--size", "n=5", "--size", "d=2", "--seed", "4", "--json")
    assert out.exit_code == 0, out.output
    data = json.loads(out.stdout)
    assert len(data["given"]["Q"]) == 5 and len(data["given"]["Q"][0]) == 2
    assert run("solve", data["code"]).exit_code == 0
    bad = run("new", "causal", "--size", "n")
    assert bad.exit_code == 2 and len(bad.stderr.strip().splitlines()) == 1
    assert "n 1..8" in run("families", "causal").stdout


def test_a_spec_section_of_a_size(tmp_path):
    spec = tmp_path / "sized.toml"
    spec.write_text('title = "Sized"\nseed = 11\n\n[[sections]]\nfamily = "causal"\n'
                    'size = { n = 5, d = 2 }\ncount = 2\n', encoding="utf-8")
    out = run("worksheet", spec, "-o", tmp_path / "ws.json", "--key", tmp_path / "k.json")
    assert out.exit_code == 0, out.output
    key = json.loads((tmp_path / "k.json").read_text(encoding="utf-8"))
    codes = [c for c in json.dumps(key).split('"') if c.startswith("causal~1~5x2")]
    assert len(set(codes)) == 2
    noseed = tmp_path / "noseed.toml"
    noseed.write_text('title = "Sized"\n\n[[sections]]\nfamily = "causal"\n'
                      'size = { n = 5 }\n', encoding="utf-8")
    bad = run("worksheet", noseed, "-o", tmp_path / "x.md")
    assert bad.exit_code == 2 and "seed" in bad.stderr


def test_size_and_given_data_are_not_mixed():
    out = run("new", "causal", "--size", "n=4", "--given", "Q=1")
    assert out.exit_code == 2 and "--size" in out.stderr
