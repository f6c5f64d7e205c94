import json

import pytest
from click.testing import CliRunner

from handcalc.cli import cli
from handcalc.families import FAMILIES


def run(*args):
    return CliRunner().invoke(cli, list(args))


def test_check_exit_codes():
    assert run("check", "worked-5", "2", "10, 18.81, 29.48").exit_code == 0
    assert run("check", "worked-5", "2", "10, 18.80, 29.48").exit_code == 1
    assert run("check", "worked-1", "1", "-3.54").exit_code == 1
    assert run("check", "worked-1", "1", "3.54").exit_code == 0


@pytest.mark.parametrize("args", [
    ("check", "worked-1", "1", "abc"),
    ("check", "worked-1", "9", "1"),
    ("check", "nope-1-1", "1", "1"),
    ("check", "worked-11", "1", "1"),
    ("check", "causal-7-1", "1", "1"),
    ("check", "worked-1", "1", "3,54"),
    ("check", "worked-1", "1", "1", "--prior", "x"),
    ("show", "banana"),
    ("new", "banana"),
])
def test_invalid_input_exits_2_with_one_line(args):
    result = CliRunner().invoke(cli, list(args))
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_negative_answers_are_graded_not_options():
    result = run("check", "worked-1", "1", "-0.99")
    assert result.exit_code == 1
    assert run("check", "worked-5", "1", "1 -inf -inf; 2 4 -inf; 3 6 9").exit_code == 0


def test_check_json_fields():
    result = run("check", "worked-4", "1", "1, 3", "--json")
    data = json.loads(result.output)
    assert {"code", "part", "correct", "score", "accepted_by", "diagnosis"} <= set(data)
    assert data["diagnosis"]["mistake"] == "no-scale"
    result = run("check", "worked-4", "2", "0.12, 0.88", "--prior", "1=1, 3", "--json")
    assert json.loads(result.output)["accepted_by"] == "carried-forward"


def test_show_json_contract():
    data = json.loads(run("show", "worked-5", "--json").output)
    assert {"code", "family", "level", "given", "parts"} <= set(data)
    assert data["given"]["Q"] == [["1"], ["2"], ["3"]]
    part = data["parts"][1]
    assert {"part", "prompt", "answer", "rounded"} <= set(part)
    assert part["rounded"] == ["10.00", "18.81", "29.48"]
    assert data["parts"][0]["answer"][0] == ["1", "-inf", "-inf"]


def test_solve_shows_every_step():
    result = run("solve", "worked-5")
    assert result.exit_code == 0
    assert "18.81" in result.output and "29.48" in result.output and "torch" in result.output
    data = json.loads(run("solve", "worked-5", "--json").output)
    assert data["parts"][1]["steps"]


@pytest.mark.parametrize("name", list(FAMILIES))
def test_new_then_show_solve_check(name):
    result = run("new", name, "--level", "2", "--seed", "5", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    code = data["code"]
    assert run("show", code).exit_code == 0
    assert run("solve", code).exit_code == 0
    first = data["parts"][0]
    answer = first["rounded"]
    text = answer if isinstance(answer, str) else (
        ", ".join(answer) if isinstance(answer[0], str) else
        "; ".join(" ".join(r) for r in answer))
    assert run("check", code, "1", text).exit_code == 0


def test_families_and_help():
    result = run("families")
    assert result.exit_code == 0 and "causal" in result.output
    for command in ("families", "new", "show", "solve", "check"):
        assert run(command, "--help").exit_code == 0


def test_new_and_show_import_neither_torch_nor_typst():
    import subprocess
    import sys

    code = ("import sys\nfrom handcalc.cli import cli\n"
            "for args in (['new', 'causal', '--seed', '5'], ['show', 'worked-5']):\n"
            "    try:\n        cli(args)\n    except SystemExit:\n        pass\n"
            "assert 'torch' not in sys.modules and 'typst' not in sys.modules\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "causal-1-" in done.stdout and "worked-5" in done.stdout
