"""Files in and out, in one place: capped inputs, outputs that land together, and a
standard output that reports failure instead of losing text.

Inputs (``read_input``): a regular file, or ``-`` for standard input, of at most ``cap``
bytes. A device, FIFO, folder or over-size file is refused at once with one line
(SpecError, exit 2), before anything is read; the size is also enforced while reading.

Outputs (``write_outputs``): every path is sorted by what it names (``output_target``):

* ``-`` and ``/dev/stdout`` are standard output;
* a character device or FIFO (``/dev/null``, a named pipe) is opened and written straight
  through, never replaced;
* anything else is a file: a symlink is followed and its target replaced, the link never;
  a regular file (or a name that does not exist yet) is replaced atomically.

The files of one call land together: each is first written to a temporary file in its
target's folder and synced; then the streams are written; then the temporary files are
renamed over their targets. An output's data is bytes, or an iterable of byte chunks
(``Data``): a file's chunks are written to its temporary file as they are produced, so a
large report is never held whole in memory; a stream's chunks are joined before anything
is written, so that nothing reaches a stream unless every output was produced. If a
rename fails, the targets renamed before it are put back from hard-link backups (or
removed when they were new), so the set is all new or all as it was. An empty path is
refused (exit 2); a failure to write is OutputError (exit 1) and leaves no temporary file
behind.

Standard output (``guard_stdout``, installed by ``handcalc.cli.main``): a write that fails
(a closed pipe, ``> /dev/full``, ``>&-``) raises OutputError once, and later writes
(including the interpreter's flush at exit) are dropped, so the CLI ends with one line on
stderr and exit 1, never a traceback.
"""

from __future__ import annotations

import contextlib
import errno
import io
import os
import stat
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from handcalc.errors import OutputError, PathError, SpecError
from handcalc.io.terminal import FALLBACK_ERRORS, safe_text
from handcalc.text.messages import Msg, Text, catalogue, msg

STDIN = "-"
STDOUT_NAMES = ("-", "/dev/stdout")
MAX_SPEC_BYTES = 1_000_000
CHUNK = 1 << 20

# An output's content: bytes, or byte chunks produced while it is written (see write_outputs)
Data = bytes | Iterable[bytes]


def os_reason(e: OSError) -> Text:
    """Why the operating system refused: its own words (strerror), as a message of the
    catalogue (``oserror.*``, said in the reader's language) when they are the English
    the catalogue knows for that error number, else as they are."""
    name = errno.errorcode.get(e.errno) if isinstance(e.errno, int) else None
    if name and e.strerror and catalogue("en").get(f"oserror.{name}") == e.strerror:
        return msg(f"oserror.{name}")
    return e.strerror or str(e)


def _size(n: int, digits: int = 3) -> Msg:
    """A size for a message, in decimal units: 1.4 MB, 200 MB, 900 bytes (rounded: the cap
    check itself compares bytes)."""
    return msg("file.size.mb", size=f"{n / 1_000_000:.{digits}g}") if n >= 1_000_000 else \
        msg("file.size.bytes", size=f"{n:,}")


def _over(n: int, cap: int) -> Msg:
    """The size of a file over `cap`, with as many digits as it takes to differ from the
    cap's (200.4 MB over 200 MB, never "200 MB, more than the 200 MB allowed")."""
    digits = 3
    while _size(n, digits) == _size(cap) and digits < 12:
        digits += 1
    return _size(n, digits)


def _kind(mode: int) -> Msg:
    for test, kind in ((stat.S_ISDIR, "folder"), (stat.S_ISCHR, "char_device"),
                       (stat.S_ISBLK, "block_device"), (stat.S_ISFIFO, "fifo"),
                       (stat.S_ISSOCK, "socket")):
        if test(mode):
            return msg(f"file.kind.{kind}")
    return msg("file.kind.other")


# ---------------------------------------------------------------- inputs

def read_input(path: str | os.PathLike[str], cap: int, *, name: Text | None = None) -> bytes:
    """The bytes of a regular file (or of standard input for ``-``), at most `cap` of them.

    SpecError, naming the file (``name``, else the path), when it is empty-named,
    missing, unreadable, not a regular file or larger than `cap`."""
    text = os.fspath(path)
    shown: Text = name if isinstance(name, Msg) else safe_text(name) if name is not None \
        else msg("file.stdin") if text == STDIN else safe_text(text)
    if text == "":
        raise SpecError(msg("file.empty_name"))
    if text == STDIN:
        if sys.stdin is None:
            raise SpecError(msg("file.stdin_closed", name=shown))
        return _read_capped(sys.stdin.buffer, cap, shown)
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0) \
        | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(text, flags)  # O_NONBLOCK: opening a FIFO must not wait for a writer
    except OSError as e:
        raise SpecError(msg("file.cannot_read", name=shown, why=os_reason(e))) from None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise SpecError(msg("file.not_regular", name=shown, kind=_kind(st.st_mode)))
        if st.st_size > cap:
            raise SpecError(msg("file.too_large", name=shown, size=_over(st.st_size, cap),
                                cap=_size(cap)))
    except BaseException:
        os.close(fd)
        raise
    with os.fdopen(fd, "rb", buffering=0) as f:
        return _read_capped(f, cap, shown)


def _read_capped(stream: io.RawIOBase | io.BufferedIOBase, cap: int, shown: Text) -> bytes:
    chunks: list[bytes] = []
    total = 0
    try:
        while total <= cap:
            chunk = stream.read(min(CHUNK, cap + 1 - total))
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
    except OSError as e:
        raise SpecError(msg("file.cannot_read", name=shown, why=os_reason(e))) from None
    if total > cap:
        raise SpecError(msg("file.too_large_read", name=shown, cap=_size(cap)))
    return b"".join(chunks)


# ---------------------------------------------------------------- output targets

STDOUT, STREAM, FILE = "stdout", "stream", "file"


@dataclass(frozen=True)
class Target:
    """Where one output goes: ``path`` as the user gave it; ``kind`` STDOUT, STREAM (a
    character device or FIFO, written through) or FILE; ``real`` the file a FILE
    replaces (a symlink resolved)."""

    path: str
    kind: str
    real: str = ""


def output_target(path: str | os.PathLike[str], option: str = "-o") -> Target:
    """What `path` names as an output. PathError (exit 2) for an empty path, a folder,
    a block device or a socket."""
    text = os.fspath(path)
    if text == "":
        raise PathError(msg("path.empty_name", option=option))
    if text in STDOUT_NAMES:
        return Target(text, STDOUT)
    real = os.path.realpath(text)
    try:
        mode = os.stat(real).st_mode
    except FileNotFoundError:
        return Target(text, FILE, real)
    except OSError as e:
        raise PathError(msg("path.error", option=option, name=safe_text(text),
                            why=os_reason(e))) from None
    if stat.S_ISREG(mode):
        return Target(text, FILE, real)
    if stat.S_ISCHR(mode) or stat.S_ISFIFO(mode):
        return Target(text, STREAM, real)
    raise PathError(msg("path.cannot_write_to", option=option, name=safe_text(text),
                        kind=_kind(mode)))


def same_file(a: Target, b: Target) -> bool:
    """Whether two FILE targets would replace the same file."""
    return a.kind == b.kind == FILE and a.real == b.real


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _fail(target: Target, e: OSError) -> OutputError:
    return OutputError(msg("output.cannot_write", name=safe_text(target.path),
                           why=os_reason(e)))


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def _write_data(fd: int, data: Data) -> None:
    """Write bytes, or every chunk of an iterable of bytes (small ones gathered into writes
    of about CHUNK bytes), to `fd`."""
    if isinstance(data, bytes | bytearray | memoryview):
        _write_all(fd, data)
        return
    pending: list[bytes] = []
    size = 0
    for chunk in data:
        if len(chunk) >= CHUNK // 16:  # large enough to write as it is
            if pending:
                _write_all(fd, b"".join(pending))
                pending, size = [], 0
            _write_all(fd, chunk)
            continue
        pending.append(chunk)
        size += len(chunk)
        if size >= CHUNK:
            _write_all(fd, b"".join(pending))
            pending, size = [], 0
    if pending:
        _write_all(fd, b"".join(pending))


def _whole(data: Data) -> bytes:
    """The data as one bytes-like object (bytes-like data as it is, chunks joined)."""
    if isinstance(data, bytes | bytearray | memoryview):
        return data  # type: ignore[return-value]
    return b"".join(data)


def _stage(target: Target, data: Data) -> str:
    """A temporary file beside `target.real` holding `data` (bytes, or chunks written as
    they come), synced; its path. Nothing is left behind when producing or writing the
    data fails."""
    import secrets  # here: its import (hmac, hashlib) would be felt by every short command

    folder = os.path.dirname(target.real) or "."
    name = os.path.basename(target.real)
    try:
        mode = os.stat(target.real).st_mode & 0o777  # kept, without set-id bits
    except OSError:
        mode = 0o666 & ~_umask()
    tmp = os.path.join(folder, f".{name}.{secrets.token_hex(6)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0),
                 0o600)
    try:
        _write_data(fd, data)
        os.fchmod(fd, mode)
        os.fsync(fd)
    except BaseException:
        os.close(fd)
        _unlink(tmp)
        raise
    os.close(fd)
    return tmp


def _backup(real: str) -> str | None:
    """A hard link to the existing file `real` (None when there is none), so that a
    replaced file can be put back."""
    if not os.path.lexists(real):
        return None
    folder, name = os.path.split(real)
    while True:
        import secrets

        bak = os.path.join(folder, f".{name}.{secrets.token_hex(6)}.bak")
        try:
            os.link(real, bak)
            return bak
        except FileExistsError:
            continue
        except OSError:  # no hard links here: a copy does
            with open(real, "rb") as f:
                data = f.read()
            fd = os.open(bak, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            try:
                _write_all(fd, data)
                os.fchmod(fd, os.stat(real).st_mode & 0o777)
            finally:
                os.close(fd)
            return bak


def _unlink(path: str | None) -> None:
    if path:
        try:
            os.unlink(path)
        except OSError:
            pass


def _sync_folder(path: str) -> None:
    try:
        fd = os.open(os.path.dirname(path) or ".", os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _write_stream(target: Target, data: bytes) -> None:
    if target.kind == STDOUT:
        write_stdout(data)
        return
    flags = os.O_WRONLY | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_CLOEXEC", 0)
    fd = os.open(target.real, flags)  # a FIFO waits here for its reader
    try:
        _write_all(fd, data)
    finally:
        os.close(fd)


def write_outputs(outputs: Sequence[tuple[Target, Data]]) -> None:
    """Write each (target, data): all files new, or all as they were (see the module's
    docstring). OutputError (exit 1) when anything could not be written; an exception
    raised while producing a file's chunks leaves every output as it was, and is raised."""
    files = [(t, d) for t, d in outputs if t.kind == FILE]
    streams = [(t, _whole(d)) for t, d in outputs if t.kind != FILE]
    staged: list[tuple[Target, str]] = []
    backups: list[tuple[Target, str | None]] = []
    current: Target | None = None
    renamed = 0
    try:
        for target, data in files:
            current = target
            staged.append((target, _stage(target, data)))
        for target, data in streams:
            current = target
            _write_stream(target, data)
        for target, _ in staged:
            current = target
            backups.append((target, _backup(target.real)))
        for target, tmp in staged:
            current = target
            os.replace(tmp, target.real)
            renamed += 1
    except BaseException as e:
        _roll_back(backups[:renamed])
        for _, tmp in staged:
            _unlink(tmp)
        for _, bak in backups:
            _unlink(bak)
        if isinstance(e, OSError) and current is not None:
            raise _fail(current, e) from None
        raise
    for target, _ in staged:
        _sync_folder(target.real)
    for _, bak in backups:
        _unlink(bak)


def _roll_back(renamed: Sequence[tuple[Target, str | None]]) -> None:
    """Put back the files that earlier renames replaced (remove those that were new)."""
    for target, bak in reversed(renamed):
        try:
            if bak is None:
                os.unlink(target.real)
            else:
                os.replace(bak, target.real)
        except OSError:
            pass


def write_files(outputs: Sequence[tuple[str | os.PathLike[str], Data]],
                option: str = "-o") -> None:
    """``write_outputs`` for plain paths."""
    write_outputs([(output_target(p, option), d) for p, d in outputs])


# ---------------------------------------------------------------- standard output

class _GuardedRaw(io.RawIOBase):
    """File descriptor 1, whose first failed write raises OutputError; every write after
    that failure is dropped (so the interpreter's flush at exit cannot fail again)."""

    def __init__(self, fd: int, broken: OSError | None = None) -> None:
        super().__init__()
        self.fd = fd
        self.broken = broken
        self.reported = False

    def writable(self) -> bool:
        return True

    def fileno(self) -> int:
        return self.fd

    def isatty(self) -> bool:
        return os.isatty(self.fd)

    def write(self, b: bytes) -> int:  # type: ignore[override]
        if self.broken is None:
            try:
                return os.write(self.fd, b)
            except OSError as e:
                self.broken = e
        if self.reported:
            return len(b)
        self.reported = True
        raise OutputError(msg("output.stdout", why=os_reason(self.broken)))


def guard_stdout() -> None:
    """Replace sys.stdout by one on the same descriptor whose failure is reported once
    (OutputError) instead of a traceback. A closed descriptor 1 (``>&-``) is taken by
    /dev/null, so that no file opened later lands on it, and the first write fails."""
    if os.name != "posix":
        return
    old = sys.stdout
    broken = None
    try:
        os.fstat(1)
    except OSError:
        broken = OSError(errno.EBADF, "standard output is closed")
        null = os.open(os.devnull, os.O_WRONLY)
        if null != 1:
            os.dup2(null, 1)
            os.close(null)
    else:
        try:
            if old is None or old.fileno() != 1:
                return
        except (OSError, ValueError, AttributeError):  # not a real stream: leave it
            return
    raw = _GuardedRaw(1, broken)
    buffered = io.BufferedWriter(raw)
    encoding = getattr(old, "encoding", None) or "utf-8"
    sys.stdout = io.TextIOWrapper(
        buffered, encoding=encoding, errors=_errors(encoding, getattr(old, "errors", None)),
        line_buffering=bool(getattr(old, "line_buffering", False)))
    err = sys.stderr
    if err is not None and hasattr(err, "reconfigure"):
        with contextlib.suppress(ValueError, OSError, LookupError):
            err.reconfigure(errors=_errors(err.encoding or "utf-8", err.errors))


def _errors(encoding: str, errors: str | None) -> str:
    """A stream's error handler: a character its encoding (not a UTF) cannot carry is
    written as its ASCII spelling or ``?`` (terminal.FALLBACK), one character at a time,
    never a UnicodeEncodeError."""
    if encoding.lower().replace("_", "-").startswith("utf"):
        return errors or "strict"
    return FALLBACK_ERRORS if errors in (None, "strict") else errors


def write_stdout(data: bytes | str) -> None:
    """Write text or bytes to standard output and flush; OutputError when it fails."""
    out = sys.stdout
    if out is None:
        raise OutputError(msg("output.stdout_closed"))
    try:
        if isinstance(data, str):
            out.write(data)
        else:
            out.flush()
            out.buffer.write(data)
        out.flush()
    except OSError as e:
        raise OutputError(msg("output.stdout", why=os_reason(e))) from None


def same_path(a: str | os.PathLike[str], b: str | os.PathLike[str]) -> bool:
    """Whether two existing paths name one file (False when either does not exist)."""
    try:
        return Path(a).samefile(b)
    except OSError:
        return False


def is_input(path: str | os.PathLike[str], source: str | os.PathLike[str]) -> bool:
    """Whether the existing file `path` is the input `source`: the same file, or for ``-``
    the file standard input reads (the same device and inode as descriptor 0), so that
    ``grade - -o s.csv < s.csv`` is caught like ``grade s.csv -o s.csv``."""
    if os.fspath(source) != STDIN:
        return same_path(path, source)
    try:
        given, read = os.stat(path), os.fstat(0)
    except OSError:
        return False
    return stat.S_ISREG(read.st_mode) and \
        (given.st_dev, given.st_ino) == (read.st_dev, read.st_ino)


def write_atomic(path: str | os.PathLike[str], data: bytes) -> None:
    """Write one output (a file replaced atomically, a symlink's target replaced, a device,
    FIFO or - written through); OutputError (exit 1) when it fails. For single-file
    writers such as the Moodle quiz; a set of files that must land together goes to
    write_outputs in one call."""
    write_files([(path, data)])
