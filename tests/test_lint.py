import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.skipif(shutil.which("ruff", path=str(Path(sys.executable).parent)) is None,
                    reason="ruff is installed with the test extras")
def test_ruff_clean():
    ruff = shutil.which("ruff", path=str(Path(sys.executable).parent))
    result = subprocess.run([ruff, "check", str(ROOT)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_check_path_does_not_import_torch():
    code = ("import sys; from click.testing import CliRunner; from handcalc.cli import cli; "
            "r = CliRunner().invoke(cli, ['check', 'worked-5', '2', '10, 18.81, 29.48']); "
            "assert r.exit_code == 0, r.output; "
            "assert 'torch' not in sys.modules and 'typst' not in sys.modules; "
            "assert 'numpy' not in sys.modules")
    subprocess.run([sys.executable, "-c", code], check=True)
