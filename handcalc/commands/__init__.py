"""Commands that live in their own modules, loaded lazily by handcalc.cli.LAZY_COMMANDS."""
