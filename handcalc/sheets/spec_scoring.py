"""A spec's ``scoring`` key (handcalc.exercises.scoring): at the top, for every section that
gives none, and in a section, for its exercises. Read here so that the spec parser
(handcalc.sheets.spec.parse_spec) needs a single call."""

from __future__ import annotations

from typing import Any

from handcalc.exercises.scoring import DEFAULT, POLICIES


def read_scoring(checker: Any, raw: dict[str, Any]) -> tuple[str, ...]:
    """Each section's scoring policy, from a spec's TOML tables (already checked to hold a
    list of section tables); SpecError (through ``checker``) for an unknown policy."""
    top = checker.choice(raw["scoring"], "scoring", POLICIES) if "scoring" in raw else DEFAULT
    return tuple(checker.choice(sec["scoring"], f"section {i}, scoring", POLICIES)
                 if "scoring" in sec else top
                 for i, sec in enumerate(raw["sections"], 1))


def scoring_of(spec: Any, section: int | None) -> str:
    """The scoring policy of section `section` (0-based) of a spec; the default without a
    spec or section (or for a spec made before the key existed)."""
    policies = getattr(spec, "scoring", ()) if spec is not None else ()
    if section is None or not 0 <= section < len(policies):
        return DEFAULT
    return str(policies[section])
