"""Hardening (issue 9): output paths, inputs with limits, spec caps and spec text on the
terminal. Devices are private (os.mknod in tmp_path) and FIFOs are made with os.mkfifo:
the real /dev is never touched. Every case ends with its documented exit status and at
most one line on stderr, never a traceback.
"""

import os
import stat
import threading
import time
from pathlib import Path

import pytest
from bounded import CPU_SECONDS
from click.testing import CliRunner

from handcalc.cli import cli
from handcalc.errors import OutputError, PathError, SpecError
from handcalc.io import fileio

SPEC = 'title = "T"\n[[sections]]\ncodes = ["worked-1", "worked-4"]\n'
SECONDS = 2 * CPU_SECONDS  # a bound on work, not a speed test (see bounded.py)
WORKED_SET = Path(__file__).resolve().parent.parent / "problems" / "worked-set.toml"


def invoke(*args, input=None):
    start = time.process_time()
    result = CliRunner().invoke(cli, [str(a) for a in args], input=input)
    assert "Traceback" not in result.output + result.stderr, result.output[-2000:]
    assert result.exception is None or isinstance(result.exception, SystemExit), \
        repr(result.exception)
    assert time.process_time() - start < SECONDS
    return result


def one_line(result, code):
    assert result.exit_code == code, (result.exit_code, result.output[-500:])
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("handcalc: "), result.stderr[:1000]
    return lines[0]


@pytest.fixture
def spec(tmp_path):
    path = tmp_path / "spec.toml"
    path.write_text(SPEC)
    return path


def expected_md(tmp_path, spec, key=False):
    ref = tmp_path / "ref"
    ref.mkdir(exist_ok=True)
    args = ["-o", ref / "s.md"] + (["--key", ref / "k.md"] if key else [])
    assert invoke("worksheet", spec, *args).exit_code == 0
    return (ref / ("k.md" if key else "s.md")).read_bytes()


def leftovers(folder):
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("."))


def null_device(path):
    os.mknod(path, stat.S_IFCHR | 0o666, os.makedev(1, 3))  # a private /dev/null
    return path


# ---------------------------------------------------------------- output paths


def test_a_character_device_is_written_through_not_replaced(tmp_path):
    """The issue's case: `handcalc worksheet problems/worked-set.toml -o /dev/null
    --format md`, run as root, must leave the device a device."""
    dev = null_device(tmp_path / "null")
    result = invoke("worksheet", WORKED_SET, "-o", dev, "--format", "md")
    assert result.exit_code == 0, result.output
    assert stat.S_ISCHR(os.lstat(dev).st_mode)
    assert os.lstat(dev).st_rdev == os.makedev(1, 3)
    assert leftovers(tmp_path) == []


def test_a_device_as_the_key_beside_a_file_sheet(tmp_path, spec):
    dev = null_device(tmp_path / "null")
    result = invoke("worksheet", spec, "-o", tmp_path / "s.md", "--key", dev)
    assert result.exit_code == 0, result.output
    assert stat.S_ISCHR(os.lstat(dev).st_mode) and (tmp_path / "s.md").exists()


def test_a_fifo_is_written_through(tmp_path, spec):
    want = expected_md(tmp_path, spec)
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    got = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_bytes()), daemon=True)
    reader.start()
    result = invoke("worksheet", spec, "-o", fifo, "--format", "md")
    reader.join(SECONDS)
    assert result.exit_code == 0, result.output
    assert got == [want]
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)


def test_a_symlink_is_followed_and_survives(tmp_path, spec):
    target = tmp_path / "real.md"
    target.write_text("old")
    link = tmp_path / "link.md"
    link.symlink_to(target.name)
    result = invoke("worksheet", spec, "-o", link)
    assert result.exit_code == 0, result.output
    assert link.is_symlink() and os.readlink(link) == "real.md"
    assert target.read_bytes() == expected_md(tmp_path, spec)
    assert leftovers(tmp_path) == []


def test_a_dangling_symlink_creates_its_target(tmp_path, spec):
    link = tmp_path / "link.md"
    link.symlink_to("made.md")
    assert invoke("worksheet", spec, "-o", link).exit_code == 0
    assert link.is_symlink() and (tmp_path / "made.md").exists()


def test_dash_writes_the_sheet_to_stdout_and_the_rest_to_stderr(tmp_path, spec):
    result = invoke("worksheet", spec, "-o", "-", "--format", "md", "--key", tmp_path / "k.md")
    assert result.exit_code == 0, result.output
    assert result.stdout.encode() == expected_md(tmp_path, spec)
    assert "wrote" in result.stderr and "k.md" in result.stderr


def test_both_on_stdout_is_refused(spec):
    one_line(invoke("worksheet", spec, "-o", "-", "--key", "/dev/stdout"), 2)


@pytest.mark.parametrize("args", [["-o", ""], ["-o", "x.md", "--key", ""], ["--key", ""]],
                         ids=["-o ''", "--key ''", "--key '' alone"])
def test_an_empty_path_is_refused_and_nothing_is_written(tmp_path, spec, monkeypatch, args):
    monkeypatch.chdir(tmp_path)
    line = one_line(invoke("worksheet", spec, *args), 2)
    assert "empty file name" in line
    assert sorted(p.name for p in tmp_path.iterdir()) == ["spec.toml"]


def test_grade_refuses_an_empty_report_path(tmp_path):
    csv = tmp_path / "a.csv"
    csv.write_text("learner,code,part,answer\nann,worked-1,1,3.54\n")
    assert "empty file name" in one_line(invoke("grade", csv, "-o", ""), 2)


def test_grade_writes_through_a_device_and_a_symlink(tmp_path):
    csv = tmp_path / "a.csv"
    csv.write_text("learner,code,part,answer\nann,worked-1,1,3.54\n")
    dev = null_device(tmp_path / "null")
    assert invoke("grade", csv, "-o", dev).exit_code == 0
    assert stat.S_ISCHR(os.lstat(dev).st_mode)
    (tmp_path / "r.md").write_text("old")
    (tmp_path / "link.md").symlink_to("r.md")
    assert invoke("grade", csv, "-o", tmp_path / "link.md").exit_code == 0
    assert (tmp_path / "link.md").is_symlink()
    assert (tmp_path / "r.md").read_text().startswith("#")


def olds(tmp_path):
    for name in ("s.md", "k.md"):
        (tmp_path / name).write_text(f"old {name}")


def assert_olds(tmp_path):
    assert (tmp_path / "s.md").read_text() == "old s.md"
    assert (tmp_path / "k.md").read_text() == "old k.md"
    assert leftovers(tmp_path) == []


def test_a_failed_key_rename_leaves_sheet_and_key_as_they_were(tmp_path, spec, monkeypatch):
    olds(tmp_path)
    real_replace = os.replace

    def replace(src, dst):
        if str(dst).endswith("k.md"):
            raise OSError(30, "Read-only file system")
        return real_replace(src, dst)

    monkeypatch.setattr(os, "replace", replace)
    result = invoke("worksheet", spec, "-o", tmp_path / "s.md", "--key", tmp_path / "k.md")
    assert "k.md: Read-only file system" in one_line(result, 1)
    monkeypatch.undo()
    assert_olds(tmp_path)


def test_a_failed_key_rename_removes_a_sheet_that_was_new(tmp_path, spec, monkeypatch):
    real_replace = os.replace
    monkeypatch.setattr(os, "replace", lambda s, d: real_replace(s, d) if str(d).endswith(
        "s.md") else (_ for _ in ()).throw(OSError(28, "No space left on device")))
    result = invoke("worksheet", spec, "-o", tmp_path / "s.md", "--key", tmp_path / "k.md")
    one_line(result, 1)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["spec.toml"]


def test_a_full_disk_while_staging_the_key_leaves_both_old(tmp_path, spec, monkeypatch):
    olds(tmp_path)
    calls = []
    real_fsync = os.fsync

    def fsync(fd):
        calls.append(fd)
        if len(calls) == 2:
            raise OSError(28, "No space left on device")
        return real_fsync(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    result = invoke("worksheet", spec, "-o", tmp_path / "s.md", "--key", tmp_path / "k.md")
    assert "No space left on device" in one_line(result, 1)
    monkeypatch.undo()
    assert_olds(tmp_path)


def test_write_outputs_puts_back_every_file_when_the_last_rename_fails(tmp_path,
                                                                       monkeypatch):
    paths = [tmp_path / f"f{i}" for i in range(3)]
    for p in paths[:2]:
        p.write_text(f"old {p.name}")  # f2 is new
    (tmp_path / "f0").chmod(0o640)
    real_replace = os.replace
    monkeypatch.setattr(os, "replace", lambda s, d: (_ for _ in ()).throw(
        OSError(5, "Input/output error")) if str(d).endswith("f2") else real_replace(s, d))
    with pytest.raises(OutputError, match="f2: Input/output error"):
        fileio.write_files([(p, b"new") for p in paths])
    monkeypatch.undo()
    assert [p.read_text() for p in paths[:2]] == ["old f0", "old f1"]
    assert not paths[2].exists() and leftovers(tmp_path) == []
    fileio.write_files([(p, b"new") for p in paths])
    assert [p.read_bytes() for p in paths] == [b"new"] * 3
    assert (tmp_path / "f0").stat().st_mode & 0o777 == 0o640  # the mode is kept
    assert leftovers(tmp_path) == []


def test_an_interrupted_write_leaves_everything_as_it_was(tmp_path, monkeypatch):
    (tmp_path / "a").write_text("old")
    real_replace = os.replace

    def replace(src, dst):
        if str(dst).endswith("b"):
            raise KeyboardInterrupt
        return real_replace(src, dst)

    monkeypatch.setattr(os, "replace", replace)
    with pytest.raises(KeyboardInterrupt):
        fileio.write_files([(tmp_path / "a", b"new"), (tmp_path / "b", b"new")])
    monkeypatch.undo()
    assert (tmp_path / "a").read_text() == "old" and not (tmp_path / "b").exists()
    assert leftovers(tmp_path) == []


@pytest.mark.parametrize("path", ["", "."], ids=["empty", "a folder"])
def test_output_target_refuses(path):
    with pytest.raises(PathError):
        fileio.output_target(path)


def test_output_target_kinds(tmp_path):
    fifo = tmp_path / "p"
    os.mkfifo(fifo)
    (tmp_path / "f").write_text("x")
    (tmp_path / "l").symlink_to("f")
    assert fileio.output_target("-").kind == fileio.output_target("/dev/stdout").kind == "stdout"
    assert fileio.output_target(fifo).kind == "stream"
    assert fileio.output_target(null_device(tmp_path / "n")).kind == "stream"
    link = fileio.output_target(tmp_path / "l")
    assert link.kind == "file" and link.real == str((tmp_path / "f").resolve())


# ---------------------------------------------------------------- inputs with limits


def test_a_character_device_as_the_spec_is_refused_at_once(tmp_path):
    zero = tmp_path / "zero"
    os.mknod(zero, stat.S_IFCHR | 0o666, os.makedev(1, 5))  # a private /dev/zero
    line = one_line(invoke("worksheet", zero, "-o", tmp_path / "s.md"), 2)
    assert "character device" in line
    assert not (tmp_path / "s.md").exists()


def test_a_fifo_as_the_spec_is_refused_without_waiting_for_a_writer(tmp_path):
    fifo = tmp_path / "spec.toml"
    os.mkfifo(fifo)
    assert "FIFO" in one_line(invoke("worksheet", fifo, "-o", tmp_path / "s.md"), 2)


def test_an_over_size_spec_is_refused(tmp_path):
    big = tmp_path / "big.toml"
    big.write_bytes(SPEC.encode() + b"#" * fileio.MAX_SPEC_BYTES)
    assert "more than the 1 MB allowed" in one_line(invoke("worksheet", big), 2)


def test_the_spec_from_stdin(tmp_path):
    result = invoke("worksheet", "-", "-o", tmp_path / "s.md", input=SPEC)
    assert result.exit_code == 0, result.output
    assert (tmp_path / "s.md").read_text().startswith("# T")


def test_an_over_size_spec_on_stdin_is_refused():
    one_line(invoke("worksheet", "-", "-o", "-", input="#" * (fileio.MAX_SPEC_BYTES + 1)), 2)


def test_read_input_refuses_a_folder_and_an_empty_name(tmp_path):
    with pytest.raises(SpecError, match="folder"):
        fileio.read_input(tmp_path, 100)
    with pytest.raises(SpecError, match="empty file name"):
        fileio.read_input("", 100)
    (tmp_path / "f").write_bytes(b"x" * 101)
    with pytest.raises(SpecError, match="more than the 100 bytes"):
        fileio.read_input(tmp_path / "f", 100)
    assert fileio.read_input(tmp_path / "f", 101) == b"x" * 101


# ---------------------------------------------------------------- caps of a spec

HEAD = 'title = "T"\nseed = 1\n'


@pytest.mark.parametrize("text, cap", [
    (HEAD + "instructions = [" + '"a", ' * 21 + "]\n" + '[[sections]]\ncodes = ["worked-1"]\n',
     "21 instructions; at most 20"),
    (HEAD + '[[sections]]\ncodes = ["worked-1"]\n' * 51, "51 sections; at most 50"),
    (HEAD + "[[sections]]\ncodes = [" + '"worked-1", ' * 101 + "]\n", "101 codes; at most 100"),
    (HEAD + "versions = 60\n" + '[[sections]]\nfamily = "score"\nlevel = 1\ncount = 50\n' * 2,
     "60 versions x 100 exercises = 6000 exercises in one run; the cap (MAX_WORK) is 5000"),
], ids=["instructions", "sections", "codes", "versions x exercises"])
def test_spec_caps_are_named(tmp_path, text, cap):
    path = tmp_path / "spec.toml"
    path.write_text(text)
    assert cap in one_line(invoke("worksheet", path, "-o", tmp_path / "s.md"), 2)
    assert not (tmp_path / "s.md").exists()


def test_versions_option_is_capped_by_the_work(tmp_path):
    path = tmp_path / "spec.toml"
    path.write_text(HEAD + "[[sections]]\ncodes = [" + ", ".join(
        f'"worked-{i}"' for i in range(1, 11)) + ', "causal-2-4821"]\n')
    result = invoke("worksheet", path, "--versions", "500", "-o", tmp_path / "s.md")
    assert "500 versions x 11 exercises = 5500" in one_line(result, 2)


# ---------------------------------------------------------------- spec text on a terminal


def test_control_characters_from_a_spec_are_escaped(tmp_path):
    path = tmp_path / "spec.toml"
    path.write_text('title = "T"\nseed = 1\n[[sections]]\nfamily = "sc\\u001b[2Jore"\n'
                    'level = 1\n')
    line = one_line(invoke("worksheet", path), 2)
    assert "\x1b" not in line and "sc\\x1b[2jore" in line  # (lower case: family names are)


def test_control_characters_in_file_names_are_escaped(tmp_path, spec):
    out = tmp_path / "s\x1b]0;owned\x07.md"
    result = invoke("worksheet", spec, "-o", out)
    assert result.exit_code == 0 and out.exists()
    assert "\x1b" not in result.stdout and "\\x1b]0;owned\\x07.md" in result.stdout
    line = one_line(invoke("worksheet", tmp_path / "no\x9bsuch.toml"), 2)
    assert "\x9b" not in line and "\\x9b" in line


def test_safe_text():
    from handcalc.io.terminal import safe_text

    assert safe_text("a\x1b[31mb\nc\td\x7f\x85\u202eé√") == \
        "a\\x1b[31mb\\x0ac\\x09d\\x7f\\x85\\u202eé√"


def test_write_atomic_goes_through_fileio(tmp_path):
    from handcalc.io.fileio import write_atomic

    (tmp_path / "real").write_text("old")
    (tmp_path / "link").symlink_to("real")
    write_atomic(tmp_path / "link", b"new")
    assert (tmp_path / "link").is_symlink() and (tmp_path / "real").read_bytes() == b"new"
    dev = null_device(tmp_path / "null")
    write_atomic(dev, b"into the void")
    assert stat.S_ISCHR(os.lstat(dev).st_mode)
    with pytest.raises(OutputError, match="No such file or directory"):
        write_atomic(tmp_path / "nowhere" / "x", b"x")
    assert leftovers(tmp_path) == []
