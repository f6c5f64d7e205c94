"""Typed errors of the handcalc library.

The CLI turns every ``HandcalcError`` into a one-line message on stderr and an exit
code; anything else escaping the library is a bug.
"""

from __future__ import annotations


class HandcalcError(Exception):
    """Base of every error the library raises on bad input. ``lang``: the language of the
    output the error is about, when it is known (a spec's ``lang``): the CLI says the
    error in it unless an option chose another."""

    exit_code = 2
    lang: str | None = None


class ParseError(HandcalcError):
    """Typed answer text that the answer grammar does not accept.

    ``position`` is the 0-based index in the text where the problem was found, or
    None when the problem concerns the whole text. ``message`` is a str or a
    handcalc.text.messages Msg (str() gives English; the CLI renders it in the chosen language).
    """

    def __init__(self, message: object, position: int | None = None) -> None:
        self.text = message  # as given: the CLI renders a Msg in the chosen language
        self.message = str(message)  # English
        self.position = position
        where = f" (at character {position + 1})" if position is not None else ""
        super().__init__(f"{message}{where}")


class UnknownCode(HandcalcError):
    """An exercise code that names no family, level or worked exercise."""


class UnknownPart(HandcalcError):
    """A part number that the exercise does not have."""


class ShapeError(HandcalcError):
    """An answer whose shape differs from the shape the part asks for."""


class SpecError(HandcalcError):
    """A worksheet spec or submissions file that cannot be used."""


class KernelMismatch(HandcalcError):
    """The torch kernel and the exact solver disagree: the answer key is not trusted."""

    exit_code = 1


class MissingGlyphs(HandcalcError):
    """Characters of a document that no available font covers (a PDF would show boxes).

    ``missing`` maps each such character to the first place it occurs ("title",
    "instructions[2]", ...)."""

    def __init__(self, message: str, missing: dict[str, str]) -> None:
        super().__init__(message)
        self.missing = dict(missing)

    def __reduce__(self) -> tuple[type[MissingGlyphs], tuple[str, dict[str, str]]]:
        # raised in a compile worker (the typeset source's check), it reaches the parent
        return type(self), (str(self), self.missing)


class Undecidable(HandcalcError):
    """A comparison that exact arithmetic could not settle (a value indistinguishable
    from zero at 1920 digits that sympy cannot prove zero): refused, never rounded."""


class PathError(HandcalcError):
    """An output path that cannot be used: empty, a folder, a block device, a socket."""


class OutputError(HandcalcError):
    """Output that could not be written: the files of the command are left as they were,
    or standard output is closed or full."""

    exit_code = 1


class Interrupted(KeyboardInterrupt):
    """Ctrl-C, or SIGTERM or SIGHUP turned into an exception so that cleanup runs;
    the CLI exits 128 + the signal's number."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


class GivenError(HandcalcError):
    """Given data (a person's own matrices and parameters, or a code that carries them)
    that cannot pose an exercise: the message names the matrix, parameter or cap."""
