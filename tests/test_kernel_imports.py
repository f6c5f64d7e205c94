"""handcalc.core.kernel's lazy imports: torch.nn.attention.bias without torch._dynamo."""

import subprocess
import sys


def _run(code: str) -> str:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True).stdout


def test_decode_checks_without_importing_dynamo():
    code = (
        "import sys, types, torch\n"
        "from handcalc.core import kernel\n"
        "from handcalc.exercises.exercise import cross_check, generate\n"
        "kernel.preload(['decode'])\n"
        "assert 'torch.nn.attention.bias' in sys.modules\n"
        "assert not isinstance(vars(torch).get('_dynamo'), types.SimpleNamespace)\n"
        "print(max(cross_check(generate('decode', level, 11)) for level in (1, 2, 3)))\n"
        "print('torch._dynamo' in sys.modules)\n"
        "import torch._dynamo\n"  # the real one, as before, once asked for
        "print(type(torch._dynamo).__name__, torch._dynamo.allow_in_graph.__module__)\n")
    difference, loaded, real = _run(code).splitlines()
    assert float(difference) < 1e-9
    assert loaded == "False"
    assert real == "module torch._dynamo.decorators"


def test_a_module_that_needs_more_of_dynamo_is_imported_as_usual(tmp_path):
    (tmp_path / "needs_dynamo.py").write_text(
        "import torch\ntorch._dynamo.allow_in_graph(len)\nCONFIG = torch._dynamo.config\n")
    code = (
        f"import sys; sys.path.insert(0, {str(tmp_path)!r})\n"
        "from handcalc.core import kernel\n"
        "kernel.WITHOUT_DYNAMO = frozenset({'needs_dynamo'})\n"
        "m = kernel.import_lazily('needs_dynamo')\n"
        "print(m.CONFIG is sys.modules['torch._dynamo'].config)\n")
    assert _run(code).split() == ["True"]


def test_with_dynamo_loaded_the_module_is_imported_as_usual():
    code = ("import sys, torch._dynamo\n"
            "from handcalc.core import kernel\n"
            "m = kernel.import_lazily('torch.nn.attention.bias')\n"
            "print(m.causal_lower_right.__name__, type(torch._dynamo).__name__)\n")
    assert _run(code).split() == ["causal_lower_right", "module"]
