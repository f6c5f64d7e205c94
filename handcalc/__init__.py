"""handcalc: generate, solve and grade hand-calculation exercises on self-attention."""

__version__ = "0.1.0"
