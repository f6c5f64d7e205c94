"""`handcalc verify` and the handcalc.exercises.verify library."""

import dataclasses
import os
import re
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from click.testing import CliRunner

import handcalc.exercises.verify as lib
from handcalc.cli import cli
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
    count = len(PAIRS)  # one exercise per family and level
    result = run("--count", str(count), "--seed", "3")
    assert result.exit_code == 0, result.output
    for name in FAMILIES:
        assert name in result.stdout
    assert "largest difference" in result.stdout and "failures" in result.stdout
    assert f"verified {count} exercises" in result.stdout
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
    causal = FAMILIES["causal"]
    real = causal.kernel

    def broken(inst, k):  # torch "gives" 2.0 more in part 3's first entry
        out = real(inst, k)
        out["Z"][0][0] += 2.0
        return out

    monkeypatch.setattr(causal, "kernel", broken)
    result = run("--count", "27")
    assert result.exit_code == 1, result.output
    report = lib.verify(27)
    assert not report.ok and len(report.failures) == 3
    assert {f.code.split("-")[0] for f in report.failures} == {"causal"}
    for failure in report.failures:
        assert failure.code in result.stdout and failure.code in result.stderr
        assert "part 3: exact " in failure.reason and "but torch gives" in failure.reason
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
    code = ("import sys, handcalc.exercises.verify, handcalc.commands.verify; "
            "assert 'torch' not in sys.modules")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_workers_give_the_same_report_as_one_process():
    count = len(PAIRS) + 3
    alone = lib.verify(count, seed=5, workers=0)
    pooled = lib.verify(count, seed=5, workers=2)
    assert alone.ok and pooled.ok
    assert alone.families == pooled.families  # instances, parts, differences, failures
    assert (alone.count, alone.seed) == (pooled.count, pooled.seed)


def test_workers_report_failures_in_task_order(monkeypatch):
    causal = FAMILIES["causal"]
    real = causal.kernel

    def broken(inst, k):  # the kernel runs in this process
        out = real(inst, k)
        out["S"][0][0] += 1.0
        return out

    def crash(ex):  # the refusal rules run in the workers (forked: patched there too)
        if ex.instance.family == "score":
            raise ZeroDivisionError("boom")
        return None

    monkeypatch.setattr(causal, "kernel", broken)
    monkeypatch.setattr(lib, "rejection", crash)
    seen = []
    report = lib.verify(60, workers=2, progress=seen.append)
    assert len(seen) == 60
    expect = [t.code for t in lib.plan(60) if t.family in ("causal", "score")]
    assert [f.code.rsplit("-", 1)[0] for f in report.failures] == \
        [c.rsplit("-", 1)[0] for c in expect]
    for f in report.failures:
        if f.code.startswith("causal-"):
            assert "part 1: exact " in f.reason and "but torch gives" in f.reason
        else:
            assert f.reason == "ZeroDivisionError: boom"


PARENT = os.getpid()
REAL_PREPARE_ALL = lib.prepare_all


def _die_in_a_worker(tasks):
    if os.getpid() != PARENT:
        os._exit(3)
    return REAL_PREPARE_ALL(tasks)


def _once_a_worker_took_the_first_chunk(monkeypatch):
    """verify's own process loads the kernel only once a worker has taken chunk 0 (here
    torch is loaded already, and this process could otherwise take every chunk)."""
    real = lib.load_kernel

    def load(*args):
        deadline = time.monotonic() + 60
        while not lib._claims[0] and time.monotonic() < deadline:
            time.sleep(0.01)
        return real(*args)

    monkeypatch.setattr(lib, "load_kernel", load)


def test_a_lost_worker_fails_its_exercises_without_a_traceback(monkeypatch):
    monkeypatch.setattr(lib, "prepare_all", _die_in_a_worker)
    _once_a_worker_took_the_first_chunk(monkeypatch)
    tasks = lib.plan(60, families=["heads"])
    report = lib.verify(60, families=["heads"], workers=1)
    # the worker died in the first chunk; this process verified the others
    assert [f.code for f in report.failures] == [t.code for t in tasks[:lib.CHUNK]]
    assert all("BrokenProcessPool" in f.reason for f in report.failures)
    assert report.families[0].instances == 60


TAKEN_HERE = []


def _prepare_here(tasks):
    if os.getpid() == PARENT:
        TAKEN_HERE.append(tasks[0])
    return REAL_PREPARE_ALL(tasks)


def test_this_process_takes_the_chunks_no_worker_has_taken(monkeypatch):
    taken = TAKEN_HERE
    taken.clear()
    monkeypatch.setattr(lib, "prepare_all", _prepare_here)
    _once_a_worker_took_the_first_chunk(monkeypatch)
    tasks = lib.plan(200, seed=2)
    report = lib.verify(200, seed=2, workers=1)
    assert report.ok and sum(f.instances for f in report.families) == 200
    chunks = [tasks[i] for i in range(0, 200, lib.CHUNK)]
    # from the last chunk back, never the first (a worker starts there)
    assert taken and taken == chunks[::-1][:len(taken)] and chunks[0] not in taken


def test_worker_count():
    assert lib.worker_count(5) == 0  # a handful: no pool
    cpus = len(os.sched_getaffinity(0))
    assert lib.worker_count(1000) == min(cpus - 1, lib.MAX_WORKERS)


def test_the_command_enlarges_sympys_cache_unless_told_otherwise():
    code = ("import atexit, sys; from handcalc.cli import main; "
            "sys.argv = ['handcalc', 'verify', '--count', '1', '--family', 'heads']\n"
            "def size():\n"
            "    import sympy.core.cache as c; print('size', c.SYMPY_CACHE_SIZE)\n"
            "atexit.register(size)\n"  # the process ends in main (cli.exit_now)
            "main()")
    env = {k: v for k, v in os.environ.items() if k != "SYMPY_CACHE_SIZE"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env=env, check=True).stdout
    assert out.splitlines()[-1] == "size 20000"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env={**env, "SYMPY_CACHE_SIZE": "500"}, check=True).stdout
    assert out.splitlines()[-1] == "size 500"


def test_verify_sets_the_garbage_collector_back():
    import gc

    enabled, frozen = gc.isenabled(), gc.get_freeze_count()
    lib.verify(3, families=["decode"], workers=0)
    assert gc.isenabled() == enabled and gc.get_freeze_count() == frozen
    assert "torch.nn.attention.bias" in sys.modules  # preloaded for decode's check


MAIN = """
import atexit, sys
from handcalc.cli import main
from handcalc.families import FAMILIES


class Teardown:
    def __del__(self):  # called as the interpreter tears __main__ down, not on os._exit
        print("torn down", file=sys.stderr, flush=True)


kept = Teardown()
atexit.register(lambda: print("atexit ran", file=sys.stderr))
if sys.argv[1] == "broken":  # torch "gives" 2.0 more in causal's part 3
    real = FAMILIES["causal"].kernel

    def broken(inst, k):
        out = real(inst, k)
        out["Z"][0][0] += 2.0
        return out

    FAMILIES["causal"].kernel = broken
sys.argv = ["handcalc", "verify", *sys.argv[2:]]
main()
"""


@pytest.mark.parametrize("kernel, status", [("right", 0), ("broken", 1)])
def test_the_command_ends_its_process_at_once_with_its_status(kernel, status):
    args = ["--count", "9", "--family", "causal", "--seed", "4"]
    done = subprocess.run([sys.executable, "-c", MAIN, kernel, *args], capture_output=True,
                          text=True, check=False)
    assert done.returncode == status, done.stderr
    runner = CliRunner()
    if kernel == "broken":
        real = FAMILIES["causal"].kernel
        with pytest.MonkeyPatch.context() as mp:
            mp.setattr(FAMILIES["causal"], "kernel",
                       lambda inst, k: _plus_two(real(inst, k)))
            alone = runner.invoke(cli, ["verify", *args])
    else:
        alone = runner.invoke(cli, ["verify", *args])
    assert alone.exit_code == status
    seconds = re.compile(r"in [0-9.]+ s")
    # the same report, written whole, and the same line on stderr
    assert seconds.sub("", done.stdout) == seconds.sub("", alone.stdout)
    assert done.stderr.startswith(alone.stderr)
    # the atexit handlers ran; the interpreter's teardown did not
    assert done.stderr[len(alone.stderr):] == "atexit ran\n"


def _plus_two(out):
    out["Z"][0][0] += 2.0
    return out


def test_exit_now_leaves_a_failed_flush_to_the_ordinary_exit():
    code = ("import sys\nfrom handcalc.cli import exit_now\n"
            "class Broken:\n"
            "    def flush(self):\n        raise OSError('no')\n"
            "real, sys.stdout = sys.stdout, Broken()\n"
            "exit_now(0)\n"
            "sys.stdout = real\nprint('still here')\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=False)
    assert (done.returncode, done.stdout) == (0, "still here\n")


def test_the_command_sets_the_garbage_collector_back():
    import gc

    assert gc.isenabled()
    assert run("--count", "2", "--family", "heads").exit_code == 0
    assert gc.isenabled()
    gc.disable()
    try:
        assert run("--count", "2", "--family", "heads").exit_code == 0
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_the_benchmark_prints_its_figures_beside_the_target_and_the_load():
    script = Path(__file__).resolve().parent.parent / "benchmarks" / "verify_speed.py"
    done = subprocess.run([sys.executable, str(script), "--count", "3", "--runs", "1"],
                          capture_output=True, text=True, check=True)
    line = done.stdout.strip()
    assert re.fullmatch(r"verify --count 3: wall [0-9.]+ s \(median of 1: [0-9.]+\); "
                        r"CPU [0-9.]+ s; verify's own clock [0-9.]+ s; [0-9]+ exercises/s; "
                        r"target <= 5 s for 1000: \(run --count 1000 to compare\); "
                        r"load average [0-9.]+ before, [0-9.]+ after", line), line
