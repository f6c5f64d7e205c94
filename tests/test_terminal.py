"""safe_text: text from a file shown to a person, control characters escaped."""

import pytest

from handcalc.io.terminal import safe_text


@pytest.mark.parametrize(("raw", "shown"), [
    ("ann", "ann"),
    ("张三 Zoë π", "张三 Zoë π"),                                   # any script is kept
    ("a\x1b[2Jb", "a\\x1b[2Jb"),                                    # CSI: clear the screen
    ("\x1b]52;c;aGk=\x07", "\\x1b]52;c;aGk=\\x07"),                # OSC 52: set the clipboard
    ("\x1b]8;;http://x\x1b\\link\x1b]8;;\x1b\\", "\\x1b]8;;http://x\\x1b\\link\\x1b]8;;\\x1b\\"),
    ("a\nb\rc\td", "a\\x0ab\\x0dc\\x09d"),                          # no second line is forged
    ("\x00\x7f", "\\x00\\x7f"),
    ("\x85\x9b1m", "\\x85\\x9b1m"),                                # C1: NEL, CSI
    ("\u202eabc", "\\u202eabc"),                                    # right-to-left override
    ("\u2066x\u2069", "\\u2066x\\u2069"),
    ("\udcff", "\\udcff"),                                          # an undecodable byte
])
def test_control_characters_are_shown_escaped(raw, shown):
    assert safe_text(raw) == shown


def test_every_c0_c1_and_del_is_escaped():
    for code in [*range(0x20), *range(0x7F, 0xA0)]:
        out = safe_text(chr(code))
        assert out == f"\\x{code:02x}"
        assert out.isprintable() and out.isascii()


def test_printable_text_is_unchanged():
    text = "".join(chr(c) for c in range(0x20, 0x7F)) + "\u00a0é—“”…→√×中文，。"
    assert safe_text(text) == text
