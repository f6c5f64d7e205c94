"""The text model: catalogues complete in both languages, math that every renderer reads,
the language chosen as documented, and printed sheets that hold no ASCII formula."""

import re
from pathlib import Path

import pytest

from handcalc.core.mistakes import CATALOGUE
from handcalc.exercises.exercise import build
from handcalc.families import FAMILIES
from handcalc.text import mathtext
from handcalc.text.messages import (
    LANGS,
    TARGETS,
    Inline,
    ListOf,
    Math,
    catalogue,
    msg,
    placeholders,
    read_po,
    render,
    resolve_lang,
    template,
    tr,
)

ROOT = Path(__file__).resolve().parent.parent
MATH = re.compile(r"\$([^$]*)\$")


def test_every_message_has_both_languages_with_the_same_placeholders():
    en, zh = catalogue("en"), catalogue("zh")
    assert set(en) == set(zh), sorted(set(en) ^ set(zh))
    for key in en:
        assert en[key].strip() and zh[key].strip(), key
        assert placeholders(en[key]) == placeholders(zh[key]), key
        assert en[key].count("$") % 2 == 0 and zh[key].count("$") % 2 == 0, key


def test_chinese_texts_are_chinese():
    """A zh text that is the English one copied is a forgotten translation, unless it is
    only math, names or a code."""
    en, zh = catalogue("en"), catalogue("zh")
    for key, text in zh.items():
        words = re.sub(r"\$[^$]*\$|\{\w+\}", "", text)
        if re.search(r"[A-Za-z]{4,}", words) and text == en[key]:
            pytest.fail(f"{key}: the Chinese text is the English one")


@pytest.mark.parametrize("lang", LANGS)
def test_every_formula_parses_and_renders_for_every_target(lang):
    for key, text in catalogue(lang).items():
        for src in MATH.findall(text):
            filled = re.sub(r"\{\w+\}", "2", src)
            for target in mathtext.TARGETS:
                try:
                    mathtext.to_target(filled, target)
                except mathtext.MathSyntaxError as e:
                    pytest.fail(f"{lang} {key}: {e}")


@pytest.mark.parametrize("lang", LANGS)
def test_every_message_renders_for_every_target(lang):
    """Each message filled with a number for every placeholder, in every target (this
    covers every family's texts and mistakes, old and new)."""
    for key, text in catalogue(lang).items():
        args = {name: 3 for name in placeholders(text)}
        for target in TARGETS:
            assert render(msg(key, **args), lang, target), (lang, key, target)


def test_every_formula_compiles_in_typst():
    from handcalc.sheets.compile import compile_pdf

    lines = ['#set page(width: 20cm, height: auto)']
    for lang in LANGS:
        for text in catalogue(lang).values():
            for src in MATH.findall(text):
                filled = re.sub(r"\{\w+\}", "2", src)
                lines.append(f"${filled}$ \\")
    assert compile_pdf("\n".join(lines) + "\n").startswith(b"%PDF")


def test_ids_used_by_families_and_mistakes_exist():
    en = catalogue("en")
    for f in FAMILIES.values():
        assert f"{f.name}.title" in en and f"{f.name}.summary" in en, f.name
        for q in f.quantities:
            assert q.prompt in en, (f.name, q.key)
        for m in f.mistakes:
            assert m in CATALOGUE, (f.name, m)
    for m in CATALOGUE.values():
        assert m.title.id in en and m.explanation.id in en, m.id


def test_ids_named_in_code_exist():
    en = catalogue("en")
    for path in (ROOT / "handcalc").rglob("*.py"):
        for found in re.findall(r'\b(?:msg|tr|_t|_md)\(\s*"([a-z][\w.-]*)"', path.read_text()):
            assert found in en, f"{path.name}: {found}"


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("target", TARGETS)
def test_every_exercise_text_renders(lang, target):
    for code in [f"worked-{n}" for n in range(1, 11)] + [f"{name}-{max(f.levels)}-7"
                                                         for name, f in FAMILIES.items()]:
        ex = build(code)
        texts = [ex.title, ex.statement] + [p.prompt for p in ex.parts]
        texts += [s.label for p in ex.parts for s in p.steps]
        for t in texts:
            out = render(t, lang, target)
            assert out
            if target == "ascii":
                assert out.isascii(), out


def test_math_renderings():
    src = "S = (Q K^T) / sqrt(d_k)"
    assert mathtext.to_target(src, "unicode") == "S = QKᵀ/√d_k"
    assert mathtext.to_target(src, "ascii") == "S = QK^T / sqrt(d_k)"
    assert mathtext.to_target(src, "latex") == r"S = \frac{Q K^{T}}{\sqrt{d_{k}}}"
    assert mathtext.to_target("-infinity", "unicode") == "−∞"
    assert mathtext.to_target("W^O Z_1", "unicode") == "W^OZ₁"
    # one way for every projection: no superscript Q exists, so none gets a superscript
    assert [mathtext.to_target(f"W^{x}", "unicode") for x in "QKVO"] == [
        "W^Q", "W^K", "W^V", "W^O"]
    assert mathtext.to_target("q dot k", "ascii") == "q . k"
    with pytest.raises(mathtext.MathSyntaxError):
        mathtext.parse("QK^T")  # two letters glued: Typst reads an unknown name
    with pytest.raises(mathtext.MathSyntaxError):
        mathtext.parse("(a")


def test_render_escapes_arguments_for_each_markup():
    m = msg("exercise.head", title="<b>#x*", code="c")
    assert "<b>" not in render(m, "en", "markdown")
    assert render(m, "en", "typst").count('"') % 2 == 0
    assert "&lt;b&gt;" in render(m, "en", "latex")
    assert render(ListOf((1, 2, 3)), "zh", "unicode") == "1、2 和 3"
    assert render(ListOf((Math("Z_1"), Math("Z_2"))), "en", "unicode") == "Z₁ and Z₂"


def test_inline_text_holds_math_and_dollar_signs():
    t = Inline(r"costs \$5, $d_k = 2$")
    assert render(t, "en", "unicode") == "costs $5, d_k = 2"
    assert render(t, "en", "typst").endswith("$d_k = 2$")
    with pytest.raises(mathtext.MathSyntaxError):
        Inline("bad $QK$").pieces()


def test_language_choice():
    assert resolve_lang("zh", {"HANDCALC_LANG": "en"}) == "zh"
    assert resolve_lang(None, {"HANDCALC_LANG": "zh_CN"}) == "zh"
    assert resolve_lang(None, {"LANG": "zh_CN.UTF-8"}) == "zh"
    assert resolve_lang(None, {"LC_ALL": "C", "LANG": "zh_CN.UTF-8"}) == "en"
    assert resolve_lang(None, {"LC_MESSAGES": "zh_TW"}) == "zh"
    assert resolve_lang(None, {}) == "en"
    from handcalc.errors import HandcalcError

    with pytest.raises(HandcalcError):
        resolve_lang(None, {"HANDCALC_LANG": "klingon"})


def test_po_reader():
    text = ('msgid ""\nmsgstr ""\n"Language: en\\n"\n\n#, python-brace-format\n'
            'msgid "a.b"\nmsgstr "x {n} "\n"\\"y\\""\n')
    assert read_po(text) == {"a.b": 'x {n} "y"'}
    with pytest.raises(ValueError):
        read_po('msgid "a"\nmsgstr "1"\nmsgid "a"\nmsgstr "2"\n')


def test_template_falls_back_to_english_only_for_missing_ids():
    assert template("verdict.accepted.exact", "zh") == "正确"
    with pytest.raises(KeyError):
        template("no.such.id", "en")
    assert tr("verdict.incorrect_count", "zh", right=1, total=3) == "错误（3 个元素中对了 1 个）"


@pytest.mark.parametrize("spec", ["worked-set", "exam"])
def test_printed_sheets_hold_no_ascii_formula(tmp_path, spec):
    from click.testing import CliRunner
    from pypdf import PdfReader

    from handcalc.cli import cli

    sheet, key = tmp_path / "s.pdf", tmp_path / "k.pdf"
    r = CliRunner().invoke(cli, ["worksheet", str(ROOT / "problems" / f"{spec}.toml"),
                                 "-o", str(sheet), "--key", str(key)])
    assert r.exit_code == 0, r.output
    for pdf in (sheet, key):
        text = "\n".join(p.extract_text() for p in PdfReader(pdf).pages)
        assert "sqrt(" not in text and "^T" not in text, pdf.name


def test_chinese_worked_set_pdfs_hold_chinese_text_and_the_cjk_font(tmp_path):
    from click.testing import CliRunner
    from pypdf import PdfReader

    from handcalc.cli import cli

    sheet, key = tmp_path / "ws.pdf", tmp_path / "key.pdf"
    r = CliRunner().invoke(cli, ["worksheet", str(ROOT / "problems" / "worked-set-zh.toml"),
                                 "-o", str(sheet), "--key", str(key)])
    assert r.exit_code == 0, r.output
    for pdf in (sheet, key):
        reader = PdfReader(pdf)
        text = "".join(p.extract_text() for p in reader.pages).replace(" ", "")
        assert "自注意力手算：经典十题" in text
        assert "缩放点积注意力" in text and "因果掩码" in text
        fonts = {str(f.get_object().get("/BaseFont")) for p in reader.pages
                 for f in (p["/Resources"].get("/Font") or {}).values()}
        assert any("NotoSansSC" in f for f in fonts), fonts
    text = "".join(p.extract_text() for p in PdfReader(sheet).pages).replace(" ", "")
    assert "结果保留两位小数" in text and "softmax逐行计算" in text
