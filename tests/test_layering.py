"""Imports point one way: reports → routing → pools → accounts → leadroute's shared helpers.
Read from the source with `ast`, so a module nobody imports in the tests is checked too."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
APPS = ("accounts", "pools", "routing", "reports")
# What each app may not import: the apps above it.
FORBIDDEN = {app: set(APPS[i + 1 :]) for i, app in enumerate(APPS)}
# Of leadroute, apps may import only its shared helpers; the rest is the wiring above them.
SHARED = "leadroute.shared"


def is_wiring(module: str) -> bool:
    return top_level(module) == "leadroute" and not (
        module == SHARED or module.startswith(SHARED + ".") or module == "leadroute"
    )


def imported_modules(path: Path) -> set[str]:
    """Every module `path` imports, at any depth (function-level imports count too)."""
    package = ".".join(path.relative_to(ROOT).with_suffix("").parts[:-1])
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                parent = parts[: len(parts) - node.level + 1]
                base = ".".join([*parent, base] if base else parent)
            found |= {base} | {f"{base}.{alias.name}" for alias in node.names}
    return found


def sources(top: str) -> list[Path]:
    return sorted(p for p in (ROOT / top).rglob("*.py") if "migrations" not in p.parts)


def top_level(module: str) -> str:
    return module.split(".")[0]


@pytest.mark.parametrize("app", APPS)
def test_an_app_imports_no_app_above_it_and_no_wiring(app):
    wrong = [
        f"{path.relative_to(ROOT)} imports {module}"
        for path in sources(app)
        for module in sorted(imported_modules(path))
        if top_level(module) in FORBIDDEN[app] or is_wiring(module)
    ]
    assert not wrong, "\n".join(wrong)


def test_leadroutes_shared_helpers_import_no_app_and_no_wiring():
    wrong = [
        f"{path.relative_to(ROOT)} imports {module}"
        for path in sources("leadroute/shared")
        for module in sorted(imported_modules(path))
        if top_level(module) in APPS or is_wiring(module)
    ]
    assert not wrong, "\n".join(wrong)


def test_the_check_sees_wiring():
    assert is_wiring("leadroute.settings") and is_wiring("leadroute.celery")
    assert not is_wiring("leadroute.shared.live") and not is_wiring("pools.models")


def test_the_check_sees_relative_imports():
    # routing/engine/router.py imports routing.models as `from ..models import …`.
    assert "routing.models" in imported_modules(ROOT / "routing" / "engine" / "router.py")
