"""sympy, imported when first used.

sympy's import is most of a quick command's time (0.2 s of ``new``'s 0.3 s), and the quick
paths (drawing an exercise and screening it in floats, its statement, check's remembered
keys) need none of it. A module on those paths takes sympy from here::

    if TYPE_CHECKING:
        import sympy
    else:
        from handcalc.lazysympy import sympy

and reads its names when it runs (``sympy.Rational(1, 2)``, ``isinstance(x, sympy.Basic)``),
never when it is imported: the first name read imports sympy, so only an exact computation
or decision pays for it. ``loaded()`` tells whether that has happened (tests/test_lazysympy.py
runs the quick commands and asks).
"""

from __future__ import annotations

import sys
from typing import Any


class _Sympy:
    """Stands for the sympy module: a name read from it is read from sympy, imported then."""

    def __getattr__(self, name: str) -> Any:
        import sympy as module

        value = getattr(module, name)
        setattr(self, name, value)  # later reads skip __getattr__
        return value

    def __repr__(self) -> str:
        return "<sympy, imported on first use>"


sympy: Any = _Sympy()


def loaded() -> bool:
    """Whether sympy has been imported in this process."""
    return "sympy" in sys.modules
