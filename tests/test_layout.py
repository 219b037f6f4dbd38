"""The layout's promises (README, Development): blueprints do not import each other, and the
infrastructure in crm/lib knows nothing of the domain (services, permissions, blueprints)."""

from __future__ import annotations

import ast
from pathlib import Path

from crm import ROOT

CRM = ROOT / "crm"
BLUEPRINTS = sorted(p.parent.name for p in CRM.glob("*/views.py"))


def imported_modules(path: Path) -> set[str]:
    """Every module a file imports, at any depth (function-level imports too)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return found


def test_there_are_blueprints_to_check():
    assert {"employers", "contacts", "notifications", "pipeline", "partners", "worklist"} <= set(BLUEPRINTS)


def test_no_blueprint_imports_another():
    crossings = []
    for name in BLUEPRINTS:
        for path in (CRM / name).glob("*.py"):
            for module in imported_modules(path):
                parts = module.split(".")
                if len(parts) > 1 and parts[0] == "crm" and parts[1] in BLUEPRINTS and parts[1] != name:
                    crossings.append(f"{path.relative_to(ROOT)} imports {module}")
    assert not crossings, "\n".join(sorted(crossings))


def test_the_infrastructure_knows_no_domain():
    domain = ("crm.services", "crm.permissions", *(f"crm.{name}" for name in BLUEPRINTS))
    found = [
        f"{path.relative_to(ROOT)} imports {module}"
        for path in (CRM / "lib").glob("*.py")
        for module in imported_modules(path)
        if module.startswith(domain)
    ]
    assert not found, "\n".join(found)
