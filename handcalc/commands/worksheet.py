"""`handcalc worksheet SPEC`: a printable worksheet (and its answer key) from a TOML spec.

Heavy modules (sympy through the families, typst) load inside the command only.
"""

from __future__ import annotations

import contextlib
import os
import sys
from pathlib import Path
from typing import Any

import click

from handcalc.cli import Command, no_cache_option, use_lang
from handcalc.sheets.model import FORMATS, SUFFIXES
from handcalc.sheets.spec import MAX_VERSIONS
from handcalc.text.messages import LANGS, msg, resolve_lang, tr

EXTENSIONS = {"pdf": ".pdf", "typ": ".typ", "md": ".md", "json": ".json", "moodle": ".xml"}


def _format_of(path: str | None) -> str | None:
    return SUFFIXES.get(Path(path).suffix.lower()) if path else None


@click.command(cls=Command)
@click.argument("spec", type=click.Path(dir_okay=False, allow_dash=True))
@click.option("-o", "--output", "out", type=click.Path(dir_okay=False, allow_dash=True),
              default=None,
              help="The student sheet (default: the spec's name with the format's suffix, "
                   "in the current folder; - for standard output).")
@click.option("--key", type=click.Path(dir_okay=False, allow_dash=True), default=None,
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
@click.option("--font-dir", "font_dirs", multiple=True, type=click.Path(),
              help="A folder of more fonts (.ttf, .otf, .ttc) for characters the built-in "
                   "fonts lack; repeatable.")
@no_cache_option
def worksheet(spec: str, out: str | None, key: str | None, versions: int | None,
              fmt: str | None, key_style: str, lang: str | None,
              font_dirs: tuple[str, ...]) -> None:
    """A worksheet and its answer key from the TOML spec SPEC (see problems/).

    Every version starts on a new page (an odd page when the spec has duplex, the
    default); the same spec, seed and version give the same bytes on every run. Exit
    status 2, with nothing written, when the spec is invalid or a character of a PDF is
    in none of its fonts (Typst's own, the shipped Chinese font covering the CJK basic block, and
    those in --font-dir).
    """
    from handcalc.errors import HandcalcError
    from handcalc.io.fileio import FILE, STDOUT, is_input, output_target, same_file, write_outputs
    from handcalc.io.terminal import safe_text
    from handcalc.sheets.fonts import font_folders
    from handcalc.sheets.keychecks import key_checks
    from handcalc.sheets.spec import check_work, load_spec

    # every path is checked before anything is read or built: an empty one (an unset
    # shell variable) is refused, never taken as "no key" or "the default name"
    out_target = output_target(out, "-o") if out is not None else None
    key_target = output_target(key, "--key") if key is not None else None
    out_fmt, key_fmt = _format_of(out), _format_of(key)
    if fmt is not None:
        for option, path, implied in (("-o", out, out_fmt), ("--key", key, key_fmt)):
            if implied is not None and implied != fmt:
                raise HandcalcError(msg("sheet.error.suffix", option=option,
                                        name=safe_text(path), implied=implied, fmt=fmt))
        out_fmt = key_fmt = fmt
    out_fmt = out_fmt or key_fmt or "pdf"
    key_fmt = key_fmt or out_fmt
    if key_style != "full" and not key:
        raise HandcalcError(msg("sheet.error.no_key", style=key_style))
    if key and "moodle" in (out_fmt, key_fmt):
        raise HandcalcError(msg("sheet.error.moodle_key", name=safe_text(key)))
    font_folders(font_dirs)  # refuses a name that is not a folder

    sheet = load_spec(spec, lang)
    lang = lang or sheet.lang or resolve_lang()
    use_lang(lang)  # what goes wrong from now on is said in the sheet's language
    check_work(sheet, versions)
    if out_target is None:
        out = sheet.stem + EXTENSIONS[out_fmt]
        out_target = output_target(out, "-o")
    targets = [(out_target, out_fmt, False)]
    if key_target is not None:
        targets.append((key_target, key_fmt, True))
        if same_file(out_target, key_target) or (out_target.kind == key_target.kind == STDOUT):
            raise HandcalcError(msg("sheet.error.key_is_sheet", name=safe_text(key)))
    for target, _, _ in targets:
        if target.kind != FILE:
            continue
        folder = Path(target.real).parent
        if not folder.is_dir():
            raise HandcalcError(msg("sheet.error.no_folder", name=safe_text(target.path),
                                    folder=safe_text(folder)))
        if (spec != "-" and target.real == os.path.realpath(spec)) or \
                is_input(target.real, spec):
            raise HandcalcError(msg("sheet.error.is_spec", name=safe_text(target.path)))

    if out_fmt == "moodle":
        _moodle(sheet, out_target, versions, lang)
        return

    from handcalc.sheets.typeset import render_all

    formats = {f for _, f, _ in targets}
    with contextlib.ExitStack() as stack:
        # the keys are cross-checked with torch in a process of their own while the
        # exercises are solved and typeset; its verdict (KernelMismatch, exit 1) comes
        # when the block ends, before anything is written
        checks = stack.enter_context(key_checks()) if key is not None else None
        ws = _build(sheet, versions, formats, lang, checks)
        if checks is not None:
            checks.close()
        if sys.stderr.isatty() and "pdf" in formats:
            click.echo(tr("sheet.progress.typesetting", lang), err=True)
        data = render_all(ws, [(f, is_key) for _, f, is_key in targets], font_dirs,
                          key_style, pieces=True)
    write_outputs([(target, d) for (target, _, _), d in zip(targets, data, strict=True)])
    n = len(ws.versions)
    to_stderr = any(t.kind == STDOUT for t, _, _ in targets)  # stdout carries a file
    for target, _, is_key in targets:
        if target.kind == STDOUT:
            continue
        what = ("answers" if key_style == "answers" else "key") if is_key \
            else sheet.sheet_kind
        click.echo(tr("sheet.wrote", lang, path=safe_text(target.path),
                      what=msg(f"sheet.wrote.{what}"), n=n), err=to_stderr)
    # every file is written and every worker has ended: the process, holding sympy and a
    # class set's exercises, ends without its teardown (cli.ExitNow)
    from handcalc.cli import ExitNow

    raise ExitNow(0)


def _build(sheet: Any, versions: int | None, formats: set[str], lang: str,
           checks: Any) -> Any:
    """build_worksheet, with a progress bar on a terminal; the keys cross-checked by
    `checks` (a worksheet.KeyChecks) when there is a key."""
    from handcalc.sheets.build import build_worksheet, plan

    if not sys.stderr.isatty():
        return build_worksheet(sheet, versions, formats=formats, lang=lang, checks=checks)
    jobs = {job for v in plan(sheet, versions) for section in v for job in section}
    with click.progressbar(length=len(jobs), label=tr("sheet.progress.building", lang),
                           file=sys.stderr) as bar:
        return build_worksheet(sheet, versions, formats=formats, lang=lang, checks=checks,
                               progress=bar.update)


def _moodle(sheet: Any, target: Any, versions: int | None, lang: str) -> None:
    """Write the spec as a Moodle XML question bank (handcalc.sheets.moodle), through fileio like
    every output (devices and - written through, files replaced whole)."""
    from handcalc.io.fileio import STDOUT, write_outputs
    from handcalc.io.terminal import safe_text
    from handcalc.sheets.moodle import grading_note, quiz_xml

    write_outputs([(target, quiz_xml(sheet, versions, lang).encode("utf-8"))])
    n = versions or sheet.versions
    click.echo(tr("sheet.wrote", lang, path=safe_text(target.path),
                  what=msg("sheet.wrote.moodle"), n=n) + " " + grading_note(sheet, lang),
               err=target.kind == STDOUT)
