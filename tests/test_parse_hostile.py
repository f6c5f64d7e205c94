"""Every answer of the hostile corpus must be rejected quickly with a one-line ParseError.

The corpus is tests/data/hostile_answers.json, a list of objects
``{"text": ..., "category": ..., "why": ...}``. ``text`` is either the answer itself
or, for very long answers, a list of parts joined in order, where a part is a string
or ``{"repeat": s, "times": n}`` (s repeated n times). Non-ASCII characters are stored
as JSON escapes so that the file stays plain ASCII.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest
from bounded import bounded_cpu

from handcalc.core.parse import parse_answer
from handcalc.errors import ParseError

CORPUS_PATH = Path(__file__).parent / "data" / "hostile_answers.json"
CATEGORIES = {"code-execution", "resource-exhaustion", "malformed-matrix", "means-something-else"}


def build_text(spec: str | list[str | dict[str, object]]) -> str:
    if isinstance(spec, str):
        return spec
    parts = []
    for part in spec:
        if isinstance(part, str):
            parts.append(part)
        else:
            repeat, times = part["repeat"], part["times"]
            assert isinstance(repeat, str) and isinstance(times, int)
            parts.append(repeat * times)
    return "".join(parts)


def load_corpus() -> list[dict[str, object]]:
    return json.loads(CORPUS_PATH.read_text(encoding="ascii"))


CORPUS = load_corpus()


def test_corpus_is_well_formed() -> None:
    assert CORPUS_PATH.read_bytes().isascii()
    assert len(CORPUS) >= 45
    counts = Counter(entry["category"] for entry in CORPUS)
    assert set(counts) == CATEGORIES
    assert min(counts.values()) >= 10
    texts = [build_text(entry["text"]) for entry in CORPUS]
    assert len(set(texts)) == len(texts), "duplicate corpus entries"
    for entry in CORPUS:
        assert set(entry) == {"text", "category", "why"}
        assert isinstance(entry["why"], str) and entry["why"]
    # comma decimals such as 3,54 parse as a 2-vector; the grader rejects them by shape
    assert "3,54" not in texts


@pytest.mark.parametrize(
    "entry", CORPUS, ids=[f"{i:03d}-{entry['category']}" for i, entry in enumerate(CORPUS)]
)
def test_hostile_answer_is_rejected(entry: dict[str, object]) -> None:
    text = build_text(entry["text"])  # type: ignore[arg-type]
    with bounded_cpu(), pytest.raises(ParseError) as info:
        parse_answer(text)
    err = info.value
    assert isinstance(err.message, str) and err.message.strip()
    assert "\n" not in str(err) and "\r" not in str(err)
    assert len(err.message) < 300
    assert err.position is None or 0 <= err.position <= len(text)


def test_nothing_runs(tmp_path: Path) -> None:
    marker = tmp_path / "handcalc-pwned"
    payloads = [
        f"__import__('os').system('touch {marker}')",
        f"open('{marker}', 'w')",
        f"exec(\"open('{marker}', 'w')\")",
        f"[__import__('pathlib').Path('{marker}').touch()]",
    ]
    for payload in payloads:
        with pytest.raises(ParseError):
            parse_answer(payload)
    assert not marker.exists()
