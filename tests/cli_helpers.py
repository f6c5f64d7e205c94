"""Helpers the family tests share: run the CLI in process, type an answer as a learner would."""

from click.testing import CliRunner

from handcalc.cli import cli
from handcalc.core.rounding import fmt2


def run(*args):
    """`handcalc ARGS...` through click's CliRunner (arguments made str)."""
    return CliRunner().invoke(cli, [str(a) for a in args])


def typed(m):
    """A matrix as typed at 2 decimals, rows separated by ';' (fmt2 rounds each entry)."""
    return "; ".join(" ".join(fmt2(v) for v in r) for r in m)
