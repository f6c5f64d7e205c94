"""The record of keys torch has confirmed (handcalc.exercises.confirmed): a key is checked
once, and again whenever the record cannot vouch for it (another answer, a broken or
foreign file, a folder that cannot be written, the cache turned off)."""

from __future__ import annotations

import json
import os
import stat

import pytest
from click.testing import CliRunner

from handcalc.cli import cli
from handcalc.exercises import confirmed, exercise
from handcalc.exercises.confirmed import kernel_check
from handcalc.exercises.exercise import build
from handcalc.sheets import keychecks

CODE = "attention-2-4823"


@pytest.fixture
def cache(tmp_path, monkeypatch):
    """The record in a folder of this test's own, the cache turned on."""
    monkeypatch.delenv(confirmed.NO_CACHE_ENV, raising=False)
    monkeypatch.setenv(confirmed.DIR_ENV, str(tmp_path / "cache"))
    confirmed._MEMO.clear()
    yield tmp_path / "cache" / confirmed.FILE_NAME
    confirmed._MEMO.clear()


@pytest.fixture
def torch_calls(monkeypatch):
    """How often torch was asked (exercise.cross_check), still doing the real check."""
    calls = []
    real = exercise.cross_check

    def counted(ex):
        calls.append(ex.code)
        return real(ex)

    monkeypatch.setattr(exercise, "cross_check", counted)
    return calls


def solve(*args: str):
    result = CliRunner().invoke(cli, ["solve", CODE, "--json", *args])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_a_key_is_checked_once_and_solve_prints_the_same(cache, torch_calls):
    first = solve()
    assert torch_calls == [CODE] and cache.is_file()
    confirmed._MEMO.clear()  # as a new process would
    assert solve() == first
    assert torch_calls == [CODE]


def test_no_cache_flag_and_environment_check_again(cache, torch_calls, monkeypatch):
    solve()
    solve("--no-cache")
    assert torch_calls == [CODE, CODE]
    monkeypatch.setenv(confirmed.NO_CACHE_ENV, "1")
    solve()
    assert len(torch_calls) == 3


def test_a_changed_answer_is_checked_again(cache, torch_calls):
    solve()
    doc = json.loads(cache.read_text())
    doc["entries"][CODE][0] = "0" * 64  # the digest of other answers (the solver changed)
    cache.write_text(json.dumps(doc))
    confirmed._MEMO.clear()
    solve()
    assert torch_calls == [CODE, CODE]
    assert json.loads(cache.read_text())["entries"][CODE][0] != "0" * 64


def test_another_checker_is_checked_again(cache, torch_calls):
    solve()
    doc = json.loads(cache.read_text())
    doc["entries"][CODE][1] = "0.0.1:kernel:family:1.0"  # another handcalc or torch
    cache.write_text(json.dumps(doc))
    confirmed._MEMO.clear()
    solve()
    assert torch_calls == [CODE, CODE]


@pytest.mark.parametrize("content", [b"{not json", b"\x00\xff\xfe", b""])
def test_a_broken_record_is_ignored_then_replaced(cache, torch_calls, content):
    cache.parent.mkdir(parents=True)
    cache.write_bytes(content)
    solve()
    assert torch_calls == [CODE]
    assert CODE in json.loads(cache.read_text())["entries"]


def test_a_foreign_file_is_ignored_and_never_written(cache, torch_calls):
    cache.parent.mkdir(parents=True)
    foreign = json.dumps({"format": "someone-else/3", "entries": {CODE: 1}})
    cache.write_text(foreign)
    solve()
    solve()
    assert torch_calls == [CODE, CODE]
    assert cache.read_text() == foreign


def test_a_symlink_is_never_followed_for_writing(cache, torch_calls, tmp_path):
    target = tmp_path / "elsewhere.json"
    target.write_text("precious")
    cache.parent.mkdir(parents=True)
    cache.symlink_to(target)
    solve()
    assert target.read_text() == "precious" and cache.is_symlink()


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_a_read_only_folder_checks_every_time(cache, torch_calls):
    cache.parent.mkdir(parents=True)
    cache.parent.chmod(stat.S_IRUSR | stat.S_IXUSR)
    try:
        solve()
        solve()
    finally:
        cache.parent.chmod(stat.S_IRWXU)
    assert torch_calls == [CODE, CODE]


def test_an_unwritable_folder_is_no_error(cache, torch_calls, monkeypatch, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    monkeypatch.setenv(confirmed.DIR_ENV, str(blocker / "cache"))  # under a file: no folder
    solve()
    solve()
    assert torch_calls == [CODE, CODE]


def test_worksheet_key_checks_start_no_process_for_confirmed_keys(cache):
    ex = build(CODE)
    started = []

    def start():
        started.append(1)
        raise AssertionError("a torch process was started")

    confirmed.record([(CODE, ex.instance.family, confirmed.answers_digest(ex), 0.0)])
    checks = keychecks.KeyChecks(start)
    checks.add(kernel_check(ex))
    checks.wait()
    assert started == []


def test_worksheet_key_checks_record_what_torch_confirmed(cache):
    with keychecks.key_checks() as checks:
        checks.add(kernel_check(build(CODE)))
    entry = json.loads(cache.read_text())["entries"][CODE]
    assert entry[0] == confirmed.answers_digest(build(CODE))
    assert keychecks.unconfirmed([kernel_check(build(CODE))]) == []


def test_record_keeps_at_most_max_entries(cache, monkeypatch):
    monkeypatch.setattr(confirmed, "MAX_ENTRIES", 3)
    confirmed.record((f"c{i}", "attention", "d", 0.0) for i in range(5))
    assert list(json.loads(cache.read_text())["entries"]) == ["c2", "c3", "c4"]


def test_answers_digest_is_the_same_in_every_process():
    """The digest reads sympy's expression trees in their canonical order, which no hash
    seed changes: two processes with other seeds agree, and another answer differs."""
    import subprocess
    import sys

    script = ("from handcalc.exercises.exercise import build\n"
              "from handcalc.exercises.confirmed import answers_digest\n"
              "print(answers_digest(build('mha-3-12')), answers_digest(build('rope-3-5')))")
    seen = {subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                           check=True, env={**os.environ, "PYTHONHASHSEED": seed}).stdout
            for seed in ("1", "2", "3")}
    assert len(seen) == 1
    a, b = seen.pop().split()
    assert a != b


def test_exact_form_tells_values_apart():
    import sympy

    forms = {confirmed.exact_form(x) for x in (
        sympy.Rational(1, 2), sympy.Rational(2, 4) + 1, sympy.sqrt(2) / 2, sympy.sqrt(3) / 2,
        sympy.exp(sympy.Rational(1, 2)), -sympy.oo, sympy.pi, sympy.Integer(0))}
    assert len(forms) == 8
