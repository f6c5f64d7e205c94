"""Time class grading, and the peak memory of the command, on a generated submissions file.

Targets (issue 14): `handcalc grade FILE -o REPORT` on 100,000 rows in at most 8 s wall
and 400 MiB peak memory (RSS, or with worker processes their PSS summed), for each
report format (json, csv, md).

The file: --rows rows (default 10,000; or --learners N: N learners x 40 parts) over 16
codes (the worked set and level-2 codes of every family). Each learner works each
exercise in one of these ways: right (some entries typed to 3 decimals), from
intermediates rounded to 2 decimals, with a catalogued mistake of the family (carried
through the later parts), with a wrong first part carried forward correctly, or with
random wrong answers; a few rows are malformed. The same seed and size give the same file.

Prints the time to read, grade and render the three reports through the library (unless
--no-library), then for each --formats the wall time, CPU time (its workers' included)
and peak memory of the command `handcalc grade FILE -o report.FMT`, as the median of
--repeat runs, beside the targets. Memory: the peak RSS from wait4 (the largest of the
command and its worker processes) and the peak of their PSS summed (sampled from /proc
every 50 ms; the pages a forked worker shares with the command count once), which is
the figure for the target when the command uses workers.

Then the same for a class graded against a spec (problems/exam.toml in --versions
versions, by version and exercise, about as many rows, some parts blank): the library
(assignment, grading, gradebook, Markdown feedback, Markdown and PDF reports) and the
command `handcalc grade FILE --spec exam.toml --versions V -o report.SPEC_FORMAT
--gradebook book.csv --feedback feedback.md` (--no-spec skips this part).

Run: .venv/bin/python benchmarks/grade_speed.py [--rows R | --learners N] [--seed S]
     [--keep FILE] [--formats json,csv,md] [--repeat K] [--versions V]
     [--spec-format pdf|json|csv|md] [--no-library] [--no-spec] [--profile]
"""

from __future__ import annotations

import argparse
import cProfile
import csv
import os
import pstats
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from functools import cache
from pathlib import Path

import sympy

from handcalc import classgrade
from handcalc.core.exact import Mat
from handcalc.core.rounding import fmt2
from handcalc.exercises.exercise import Exercise, build, compute, generate, mistaken

BIN = Path(sys.executable).parent
WORKED = [f"worked-{n}" for n in (1, 2, 4, 5, 7, 8, 9, 10)]
LEVEL_2 = ["attention", "causal", "keys", "layernorm", "score", "concat", "projection-grad",
           "heads"]
PROFILES = (("right", 55), ("rounded", 10), ("mistake", 15), ("carried", 10), ("random", 10))
PARTS = 40  # parts per learner over the 16 codes
TARGET_ROWS, TARGET_S, TARGET_MIB = 100_000, 8.0, 400  # issue 14
FORMATS = ("json", "csv", "md")
SAMPLE_S = 0.05  # how often the memory of a command and its workers is sampled


# The answers are deterministic functions of the exercise (and the random draws, made in
# the same order whatever is cached): the values below are computed once, so that a
# large file is quick to build and the same seed gives the same file as before.
@cache
def _texts(v: sympy.Expr) -> tuple[str, str]:
    text = fmt2(v)
    if text in ("-inf", "inf"):
        return text, text
    return text, f"{float(sympy.N(v, 20)):.3f}"


_ROUNDED: dict[str, dict[str, Mat]] = {}
_MISTAKEN: dict[tuple[str, str], dict[str, Mat] | None] = {}


def _rounded(ex: Exercise) -> dict[str, Mat]:
    if ex.code not in _ROUNDED:
        try:
            _ROUNDED[ex.code] = compute(ex.instance, rounded=True).results
        except (ValueError, ZeroDivisionError):  # worked 8: its variance rounds to 0
            _ROUNDED[ex.code] = {p.key: p.answer for p in ex.parts}
    return _ROUNDED[ex.code]


def _mistaken(ex: Exercise, mistake: str) -> dict[str, Mat] | None:
    if (ex.code, mistake) not in _MISTAKEN:
        _MISTAKEN[ex.code, mistake] = mistaken(ex.instance, mistake)
    return _MISTAKEN[ex.code, mistake]


def entry(v: sympy.Expr, rng: random.Random, digits: int) -> str:
    two, three = _texts(v)
    return two if digits == 2 else three


def typed(m: Mat, rng: random.Random, digits: int = 2) -> str:
    rows = [[entry(v, rng, digits) for v in r] for r in m]
    if len(rows) == 1 or all(len(r) == 1 for r in rows):
        return ", ".join(x for r in rows for x in r)
    if rng.random() < 0.5:
        return "; ".join(" ".join(r) for r in rows)
    return "[" + ", ".join("[" + ", ".join(r) + "]" for r in rows) + "]"


def nudged(m: Mat, rng: random.Random) -> Mat:
    """The matrix with one finite entry moved by 0.1 to 2."""
    flat = [(i, j) for i, r in enumerate(m) for j, v in enumerate(r) if v.is_finite]
    i, j = rng.choice(flat)
    step = sympy.Rational(rng.randint(10, 200), 100) * rng.choice((-1, 1))
    return tuple(tuple(v + step if (a, b) == (i, j) else v for b, v in enumerate(r))
                 for a, r in enumerate(m))


def answers(ex: Exercise, profile: str, rng: random.Random) -> list[str]:
    """One learner's typed answers to every part of `ex`."""
    parts = ex.parts
    if profile == "rounded":
        values = _rounded(ex)
        return [typed(values[p.key], rng) for p in parts]
    if profile == "mistake":
        options = [m for m in ex.family.mistakes if _mistaken(ex, m) is not None]
        values = _mistaken(ex, rng.choice(options)) if options else None
        values = values or {}
        # a mistake that blocks a later step leaves those parts as the right answer
        return [typed(values.get(p.key, p.answer), rng) for p in parts]
    if profile == "carried":
        first = nudged(parts[0].answer, rng)
        values = compute(ex.instance, prior={parts[0].key: first}).results
        return [typed(first, rng)] + [typed(values[p.key], rng) for p in parts[1:]]
    if profile == "random":
        return [typed(nudged(p.answer, rng), rng) if rng.random() < 0.7 else
                typed(p.answer, rng) for p in parts]
    return [typed(p.answer, rng, 3 if rng.random() < 0.2 else 2) for p in parts]


def class_file(path: Path, learners: int, seed: int) -> int:
    rng = random.Random(seed)
    exercises = [build(c) for c in WORKED] + [generate(f, 2, 100 + i)
                                              for i, f in enumerate(LEVEL_2)]
    names, weights = zip(*PROFILES, strict=True)
    rows = [("learner", "code", "part", "answer")]
    for n in range(learners):
        who = f"learner{n:03d}"
        for ex in exercises:
            profile = rng.choices(names, weights)[0]
            for part, text in zip(ex.parts, answers(ex, profile, rng), strict=True):
                rows.append((who, ex.code, str(part.number), text))
    for k in range(rng.randint(10, 20)):  # a few malformed rows
        bad = rng.choice([("x", "worked-5", "2", "abc"), ("x", "worked-55", "1", "1"),
                          ("x", "worked-5", "9", "1"), ("x", "worked-5", "2", "")])
        rows.insert(rng.randint(1, len(rows)), (f"learner{k:03d}", *bad[1:]))
    with path.open("w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows(rows)
    return len(rows) - 1


EXAM = Path(__file__).resolve().parent.parent / "problems" / "exam.toml"
BLANK = 0.05  # the chance that a learner leaves a part blank


def spec_class_file(path: Path, versions: int, rows: int, seed: int) -> tuple[int, int]:
    """About `rows` rows by version and exercise of exam.toml; (rows, learners)."""
    from handcalc.classgrade.assign import load_assignment

    rng = random.Random(seed)
    grader = classgrade.ClassGrader()
    a = load_assignment(EXAM, versions, grader.job)
    names, weights = zip(*PROFILES, strict=True)
    out = [("learner", "version", "exercise", "part", "answer")]
    n = 0
    while len(out) - 1 < rows:
        k = n % versions + 1
        for slot in a.versions[k - 1]:
            ex = grader.exercise(slot.code)
            profile = rng.choices(names, weights)[0]
            for part, text in zip(ex.parts, answers(ex, profile, rng), strict=True):
                if rng.random() >= BLANK:
                    out.append((f"learner{n:04d}", str(k), str(slot.exercise),
                                str(part.number), text))
        n += 1
    with path.open("w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows(out)
    return len(out) - 1, n


def grade_against_spec(path: Path, versions: int) -> classgrade.ClassGrader:
    from handcalc.classgrade.assign import load_assignment
    from handcalc.classgrade.feedback import feedback_markdown
    from handcalc.classgrade.gradebook import render_gradebook
    from handcalc.classgrade.report_pdf import render_pdf

    grader = classgrade.ClassGrader()
    a = load_assignment(EXAM, versions, grader.job)
    report = classgrade.grade_file(path, grader, assignment=a)
    render_gradebook(report)
    feedback_markdown(report, grader, "en")
    classgrade.render_markdown(report)
    render_pdf(report)
    return grader


def grade_and_render(path: Path) -> classgrade.ClassGrader:
    grader = classgrade.ClassGrader()
    report = classgrade.grade_file(path, grader)
    for render in classgrade.RENDERERS.values():
        render(report)
    return grader


def _children(pid: int) -> list[int]:
    """The processes whose parent is `pid` (Linux /proc)."""
    out = []
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                with open(f"/proc/{entry.name}/stat", "rb") as f:
                    stat = f.read()
            except OSError:
                continue
            if int(stat[stat.rindex(b")") + 2:].split()[1]) == pid:
                out.append(int(entry.name))
    return out


def tree_pss(pid: int) -> int:
    """The proportional set size (KiB) of `pid` and every process under it: the memory of
    a command and its worker processes, the pages they share counted once (Linux)."""
    try:
        with open(f"/proc/{pid}/smaps_rollup", "rb") as f:
            own = next((int(line.split()[1]) for line in f if line.startswith(b"Pss:")), 0)
    except OSError:  # ended meanwhile
        return 0
    return own + sum(tree_pss(p) for p in _children(pid))


def run(command: list[str]) -> tuple[float, float, float, float]:
    """Wall seconds, CPU seconds (user + system, its workers' included), peak RSS (MiB) of
    one run of `command` (its own rusage, from wait4: the largest of the command and its
    workers, not their sum) and the peak of the PSS of the command and its workers summed
    (MiB, sampled every SAMPLE_S; 0 where /proc cannot tell)."""
    t = time.perf_counter()
    child = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    peak, done = [0], threading.Event()

    def sample() -> None:
        while not done.wait(SAMPLE_S):
            peak[0] = max(peak[0], tree_pss(child.pid))

    sampler = threading.Thread(target=sample, daemon=True)
    if os.path.exists(f"/proc/{child.pid}/smaps_rollup"):
        sampler.start()
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - t
    done.set()
    if sampler.is_alive():
        sampler.join()
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode != 0:
        raise SystemExit(f"{' '.join(command)}: exit {child.returncode}")
    return (wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024,  # Linux: KiB
            peak[0] / 1024)


def measure(label: str, command: list[str], repeat: int, rows: int) -> None:
    """Print the median wall time, CPU time and peak RSS of `repeat` runs, beside the
    targets (the CPU time tells how much of the wall time a busy machine added)."""
    runs = [run(command) for _ in range(repeat)]
    wall = statistics.median(w for w, _, _, _ in runs)
    cpu = statistics.median(c for _, c, _, _ in runs)
    peak = statistics.median(m for _, _, m, _ in runs)
    pss = statistics.median(p for _, _, _, p in runs)
    each = ", ".join(f"{w:.2f} s/{m:.0f} MiB" for w, _, m, _ in runs)
    scale = rows / TARGET_ROWS
    print(f"command  {label:<34} {wall:6.2f} s wall  {cpu:6.2f} s CPU  {peak:5.0f} MiB RSS  "
          f"{pss:5.0f} MiB PSS with workers   median of {repeat} "
          f"({each});  targets at {TARGET_ROWS:,} rows: {TARGET_S:g} s, {TARGET_MIB} MiB"
          + (f" (this file is {scale:.2g} x that)" if abs(scale - 1) > 0.05 else ""))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    size = ap.add_mutually_exclusive_group()
    size.add_argument("--rows", type=int, default=None,
                      help=f"about this many rows ({PARTS} a learner); default 10,000")
    size.add_argument("--learners", type=int, default=None)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--keep", type=Path, default=None, help="keep the class file here")
    ap.add_argument("--formats", default="json",
                    help="report formats of the timed command, comma-separated "
                         "(json, csv, md; default json)")
    ap.add_argument("--repeat", type=int, default=1, help="runs of each command (median)")
    ap.add_argument("--versions", type=int, default=4,
                    help="versions of exam.toml for the class graded against a spec")
    ap.add_argument("--spec-format", default="pdf", choices=("pdf", *FORMATS),
                    help="the report format of the command graded against the spec")
    ap.add_argument("--no-library", action="store_true",
                    help="time only the commands, not the library calls")
    ap.add_argument("--no-spec", action="store_true", help="skip the class graded by spec")
    ap.add_argument("--profile", action="store_true", help="print the top of a profile")
    args = ap.parse_args()
    formats = [f.strip() for f in args.formats.split(",") if f.strip()]
    if any(f not in FORMATS for f in formats):
        ap.error(f"--formats: choose from {', '.join(FORMATS)}")
    learners = (args.learners if args.learners is not None else
                -(-(args.rows or 10_000) // PARTS))
    with tempfile.TemporaryDirectory() as tmp:
        path = args.keep or Path(tmp) / "class.csv"
        t = time.perf_counter()
        rows = class_file(path, learners, args.seed)
        print(f"built {rows} rows ({learners} learners) in {time.perf_counter() - t:.1f} s")
        if not args.no_library:
            t = time.perf_counter()
            grader = grade_and_render(path)
            lib = time.perf_counter() - t
            print(f"library  read + grade + render csv/json/md   {lib:6.2f} s   "
                  f"{rows / lib:7.0f} rows/s   ({grader.grade_calls} grade() calls)")
        for fmt in formats:
            measure(f"handcalc grade FILE -o report.{fmt}",
                    [str(BIN / "handcalc"), "grade", str(path), "-o",
                     str(Path(tmp) / f"report.{fmt}")], args.repeat, rows)
        if args.no_spec:
            pass
        else:
            spec_path = Path(tmp) / "exam-class.csv"
            t = time.perf_counter()
            rows, learners = spec_class_file(spec_path, args.versions, learners * PARTS,
                                             args.seed)
            print(f"built {rows} rows ({learners} learners, exam.toml in {args.versions} "
                  f"versions, {BLANK:.0%} of parts blank) in {time.perf_counter() - t:.1f} s")
            if not args.no_library:
                t = time.perf_counter()
                grader = grade_against_spec(spec_path, args.versions)
                lib = time.perf_counter() - t
                print(f"library  --spec: grade + gradebook + feedback md + report md/pdf  "
                      f"{lib:6.2f} s   {rows / lib:7.0f} rows/s   "
                      f"({grader.grade_calls} grade() calls)")
            measure(f"--spec -o report.{args.spec_format} --gradebook --feedback .md",
                    [str(BIN / "handcalc"), "grade", str(spec_path), "--spec", str(EXAM),
                     "--versions", str(args.versions), "-o",
                     str(Path(tmp) / f"report.{args.spec_format}"),
                     "--gradebook", str(Path(tmp) / "book.csv"),
                     "--feedback", str(Path(tmp) / "feedback.md")], args.repeat, rows)
        if args.profile:
            prof = cProfile.Profile()
            prof.runcall(grade_and_render, path)
            pstats.Stats(prof).sort_stats("cumulative").print_stats(25)


if __name__ == "__main__":
    main()
