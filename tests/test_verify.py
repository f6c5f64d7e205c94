"""`handcalc verify` and the handcalc.verify library."""

import dataclasses
import subprocess
import sys
from collections import Counter

import pytest
from click.testing import CliRunner

import handcalc.verify as lib
from handcalc.cli import cli
from handcalc.errors import KernelMismatch
from handcalc.families import FAMILIES

PAIRS = [(name, level) for name, f in FAMILIES.items() for level in f.levels]


def run(*args):
    return CliRunner().invoke(cli, ["verify", *args])


def test_plan_spreads_evenly_and_is_reproducible():
    tasks = lib.plan(100, seed=0)
    per = Counter((t.family, t.level) for t in tasks)
    assert set(per) == set(PAIRS)
    assert max(per.values()) - min(per.values()) <= 1
    assert tasks == lib.plan(100, seed=0)
    assert tasks != lib.plan(100, seed=1)
    only = lib.plan(9, seed=0, families=["causal"])
    assert {t.family for t in only} == {"causal"}
    # narrowing to one family draws the same exercises of that family
    assert [t for t in lib.plan(len(PAIRS) * 3, seed=0) if t.family == "causal"] == only


def test_verify_all_families_passes():
    result = run("--count", str(len(PAIRS)), "--seed", "3")
    assert result.exit_code == 0, result.output
    for name in FAMILIES:
        assert name in result.stdout
    assert "largest difference" in result.stdout and "failures" in result.stdout
    assert f"verified {len(PAIRS)} exercises" in result.stdout
    assert result.stderr == ""  # no progress bar when stderr is not a terminal


def test_verify_one_family():
    result = run("--family", "layernorm", "--count", "6", "--seed", "11")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert any(line.startswith("layernorm ") for line in lines)
    assert not any(line.startswith("causal ") for line in lines)


@pytest.mark.parametrize("args", [
    ("--family", "nope"), ("--count", "0"), ("--count", "x"), ("--seed", "-1"),
    ("--bogus",),
])
def test_bad_options_exit_2(args):
    result = run(*args)
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_unknown_family_lists_families():
    result = run("--family", "nope")
    assert result.exit_code == 2
    assert all(name in result.stderr for name in FAMILIES)
    assert len(result.stderr.strip().splitlines()) == 1


def test_failures_exit_1_and_name_the_codes(monkeypatch):
    real = lib.cross_check

    def broken(ex):
        if ex.instance.family == "causal":
            raise KernelMismatch(f"{ex.code} part 2: exact 1 but torch gives 2.0")
        return real(ex)

    monkeypatch.setattr(lib, "cross_check", broken)
    result = run("--count", "27")
    assert result.exit_code == 1, result.output
    report = lib.verify(27)
    assert not report.ok and len(report.failures) == 3
    assert {f.code.split("-")[0] for f in report.failures} == {"causal"}
    for failure in report.failures:
        assert failure.code in result.stdout and failure.code in result.stderr
    assert "KernelMismatch" in result.stdout


def test_a_crash_is_a_failure_not_a_traceback(monkeypatch):
    def crash(ex):
        raise ZeroDivisionError("boom")

    monkeypatch.setattr(lib, "rejection", crash)
    report = lib.verify(3, families=["score"])
    assert [f.reason for f in report.failures] == ["ZeroDivisionError: boom"] * 3


def test_report_is_frozen():
    report = lib.verify(2, families=["heads"])
    assert report.ok and report.parts >= 4
    with pytest.raises(dataclasses.FrozenInstanceError):
        report.count = 3  # type: ignore[misc]


def test_importing_verify_does_not_import_torch():
    code = ("import sys, handcalc.verify, handcalc.commands.verify; "
            "assert 'torch' not in sys.modules")
    subprocess.run([sys.executable, "-c", code], check=True)
