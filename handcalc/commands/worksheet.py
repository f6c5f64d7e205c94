"""`handcalc worksheet SPEC`: a printable worksheet (and its answer key) from a TOML spec.

Heavy modules (sympy through the families, typst) load inside the command only.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from handcalc.text import LANGS, resolve_lang
from handcalc.worksheet import FORMATS, MAX_VERSIONS, SUFFIXES

EXTENSIONS = {"pdf": ".pdf", "typ": ".typ", "md": ".md", "json": ".json", "moodle": ".xml"}


def _format_of(path: str | None) -> str | None:
    return SUFFIXES.get(Path(path).suffix.lower()) if path else None


@click.command()
@click.argument("spec", type=click.Path(dir_okay=False))
@click.option("-o", "--output", "out", type=click.Path(dir_okay=False), default=None,
              help="The student sheet (default: the spec's name with the format's suffix, "
                   "in the current folder).")
@click.option("--key", type=click.Path(dir_okay=False), default=None,
              help="Also write the answer key here.")
@click.option("--versions", type=click.IntRange(1, MAX_VERSIONS), default=None,
              help="Number of randomized versions (overrides the spec's `versions`).")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default=None,
              help="Output format of both files (default: from each file's suffix, else pdf); "
                   "moodle: a Moodle XML question bank (.xml), its key inside as feedback.")
@click.option("--key-style", type=click.Choice(("full", "answers")), default="full",
              show_default=True,
              help="full: every step, the answers to 2 decimals and exact, heatmaps; "
                   "answers: the 2-decimal answers only, a compact table per version.")
@click.option("--lang", type=click.Choice(LANGS), default=None,
              help="Language of the sheet and key (default: the spec's `lang`, else "
                   "HANDCALC_LANG, else the locale, else en).")
def worksheet(spec: str, out: str | None, key: str | None, versions: int | None,
              fmt: str | None, key_style: str, lang: str | None) -> None:
    """A worksheet and its answer key from the TOML spec SPEC (see problems/).

    Every version starts on a new page (an odd page when the spec has duplex, the
    default); the same spec, seed and version give the same bytes on every run. Exit
    status 2, with nothing written, when the spec is invalid.
    """
    from handcalc.errors import HandcalcError
    from handcalc.worksheet import build_worksheet, load_spec, plan, write_atomic

    out_fmt, key_fmt = _format_of(out), _format_of(key)
    if fmt is not None:
        for option, path, implied in (("-o", out, out_fmt), ("--key", key, key_fmt)):
            if implied is not None and implied != fmt:
                raise HandcalcError(f"{option} {path}: the suffix says {implied} but "
                                    f"--format is {fmt}")
        out_fmt = key_fmt = fmt
    out_fmt = out_fmt or key_fmt or "pdf"
    key_fmt = key_fmt or out_fmt
    if key_style != "full" and not key:
        raise HandcalcError(f"--key-style {key_style}: there is no key to write; give --key")
    if key and "moodle" in (out_fmt, key_fmt):
        raise HandcalcError(f"--key {key}: a Moodle quiz holds its answer key as feedback; "
                            "write it alone with -o")

    sheet = load_spec(spec)
    lang = lang or sheet.lang or resolve_lang()
    out = out or sheet.stem + EXTENSIONS[out_fmt]
    targets = [(out, out_fmt, False)] + ([(key, key_fmt, True)] if key else [])
    if key and Path(key).resolve() == Path(out).resolve():
        raise HandcalcError(f"--key {key}: the same file as the sheet; choose another name")
    for path, _, _ in targets:
        folder = Path(path).parent
        if not folder.is_dir():
            raise HandcalcError(f"cannot write {path}: no folder '{folder}'")
        if Path(path).resolve() == Path(spec).resolve():
            raise HandcalcError(f"cannot write {path}: that is the spec itself")

    if out_fmt == "moodle":
        _moodle(sheet, out, versions, lang)
        return

    formats = {f for _, f, _ in targets}
    jobs = {job for v in plan(sheet, versions) for section in v for job in section}
    if sys.stderr.isatty():
        with click.progressbar(length=len(jobs), label="building exercises",
                               file=sys.stderr) as bar:
            ws = build_worksheet(sheet, versions, formats=formats, lang=lang,
                                 check=key is not None, progress=bar.update)
    else:
        ws = build_worksheet(sheet, versions, formats=formats, lang=lang,
                             check=key is not None)

    from handcalc.typeset import render_all

    if sys.stderr.isatty() and "pdf" in formats:
        click.echo("typesetting the PDF ...", err=True)

    data = render_all(ws, [(f, is_key) for _, f, is_key in targets], key_style)
    rendered = [(path, d, is_key) for (path, _, is_key), d in zip(targets, data, strict=True)]
    for path, data, _ in rendered:
        try:
            write_atomic(path, data)
        except OSError as e:
            raise HandcalcError(f"cannot write {path}: {e.strerror or e}") from None
    n = len(ws.versions)
    for path, _, is_key in rendered:
        what = ("answers" if key_style == "answers" else "answer key") if is_key \
            else "worksheet"
        click.echo(f"wrote {path} ({what}, {n} version{'s' if n != 1 else ''})")


def _moodle(sheet: Any, out: str, versions: int | None, lang: str) -> None:
    """Write the spec as a Moodle XML question bank (handcalc.moodle)."""
    from handcalc.errors import HandcalcError
    from handcalc.moodle import quiz_xml
    from handcalc.worksheet import write_atomic

    data = quiz_xml(sheet, versions, lang).encode("utf-8")
    try:
        write_atomic(out, data)
    except OSError as e:
        raise HandcalcError(f"cannot write {out}: {e.strerror or e}") from None
    n = versions or sheet.versions
    click.echo(f"wrote {out} (Moodle quiz, {n} version{'s' if n != 1 else ''})")
