"""The packages' dependencies point one way (DESIGN.md): ``marketplace → timebank →
community`` and ``civic → community``; ``property_services`` (物业+服务站) joins civic and
the marketplace, and nothing but the app imports it. Read from the source (every import
statement, also those inside functions), so a new import against the rule fails here."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("community", "timebank", "marketplace", "civic", "property_services")
# package → the other packages it may not import
FORBIDDEN = {
    "community": {"timebank", "marketplace", "civic", "property_services"},
    "timebank": {"marketplace", "civic", "property_services"},
    "marketplace": {"civic", "property_services"},
    "civic": {"timebank", "marketplace", "property_services"},
    "property_services": {"timebank"},
}


def imported_packages(path: Path) -> set[str]:
    """The top-level names ``path`` imports."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module.split(".")[0])
    return found


@pytest.mark.parametrize("package", PACKAGES)
def test_a_package_imports_none_it_may_not(package):
    broken = {
        str(path.relative_to(ROOT)): sorted(imported_packages(path) & FORBIDDEN[package])
        for path in sorted((ROOT / package).rglob("*.py"))
    }
    assert {file: names for file, names in broken.items() if names} == {}


def test_nothing_but_the_app_imports_the_glue():
    importers = [
        str(path.relative_to(ROOT))
        for package in ("community", "timebank", "marketplace", "civic", "jobs")
        for path in sorted((ROOT / package).rglob("*.py"))
        if "property_services" in imported_packages(path)
    ]
    assert importers == []


def test_the_rule_sees_an_import_inside_a_function(tmp_path):
    sneaky = tmp_path / "sneaky.py"
    sneaky.write_text("def f():\n    from civic.repairs import send_repair\n", encoding="utf-8")
    assert imported_packages(sneaky) == {"civic"}
