"""Production code never imports from tests/: an installed copy of the package has no tests/,
so such an import works in a checkout and breaks in production. Checked on the source with
`ast`, so a module that is never imported by a test is checked too."""

from __future__ import annotations

import ast
import re
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "heardback"
# A dotted path into tests/ as a string is an import by another name (importlib, settings).
TESTS_PATH = re.compile(r"tests(\.[A-Za-z_]\w*)*")


def _is_tests(module: str) -> bool:
    return module == "tests" or module.startswith("tests.")


def imports_of_tests(source: str) -> list[tuple[int, str]]:
    """(line, what) for every import of `tests` or its submodules in `source`."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [(node.lineno, a.name) for a in node.names if _is_tests(a.name)]
        elif isinstance(node, ast.ImportFrom):
            # A relative import cannot climb out of the package, so only absolute ones count.
            if node.level == 0 and node.module and _is_tests(node.module):
                found.append((node.lineno, node.module))
        elif (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and TESTS_PATH.fullmatch(node.value)
            and "." in node.value
        ):
            found.append((node.lineno, node.value))
    return found


def test_the_check_finds_every_kind_of_import() -> None:
    source = (
        "import tests\n"
        "import tests.smtp as smtp\n"
        "from tests import factories\n"
        "from tests.bench.bench_delivery import main\n"
        "def f():\n"
        "    from tests.smtp import free_port\n"
        "MODULES = {'delivery': 'tests.bench.bench_delivery'}\n"
        "import testsuite, contests\n"
        "from .tests import helper\n"
        "LABEL = 'tests'\n"
    )
    assert [line for line, _ in imports_of_tests(source)] == [1, 2, 3, 4, 6, 7]


def test_no_module_of_the_package_imports_tests() -> None:
    modules = sorted(PACKAGE.rglob("*.py"))
    assert len(modules) > 50  # the walk really found the package
    offenders = [
        f"{path.relative_to(PACKAGE.parent)}:{line}: {what}"
        for path in modules
        for line, what in imports_of_tests(path.read_text(encoding="utf-8"))
    ]
    assert offenders == [], "production code imports from tests/:\n" + "\n".join(offenders)
