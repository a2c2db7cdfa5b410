"""Imports point one way: reports → routing → pools → accounts → leadroute's shared helpers,
and no module imports itself round a cycle. Read from the source with `ast`, so a module
nobody imports in the tests is checked too."""

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
    """Every module `path` imports, at any depth (function-level imports count too; those
    under `if TYPE_CHECKING:`, which never run, do not)."""
    package = ".".join(path.relative_to(ROOT).with_suffix("").parts[:-1])
    tree = ast.parse(path.read_text(), str(path))
    typing_only = {
        id(inner)
        for node in ast.walk(tree)
        if isinstance(node, ast.If) and ast.unparse(node.test).endswith("TYPE_CHECKING")
        for inner in ast.walk(node)
    }
    found = set()
    for node in ast.walk(tree):
        if id(node) in typing_only:
            continue
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


def test_no_module_imports_itself_round_a_cycle():
    """Function-level imports count: one that only dodges a cycle at load time is a cycle."""
    modules = {}
    for top in (*APPS, "leadroute"):
        for path in sources(top):
            parts = path.relative_to(ROOT).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            modules[name] = path
    graph = {
        name: {m for m in imported_modules(path) if m in modules and m != name}
        for name, path in modules.items()
    }
    cycles = [sorted(group) for group in _strongly_connected(graph) if len(group) > 1]
    assert not cycles, cycles


def _strongly_connected(graph: dict[str, set[str]]) -> list[set[str]]:
    """Tarjan's algorithm, iteratively (the graph is a few hundred modules)."""
    index, low, on_stack, stack, groups, counter = {}, {}, set(), [], [], [0]
    for root in graph:
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = counter[0]
        counter[0] += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter[0]
                    counter[0] += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                group = set()
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    group.add(member)
                    if member == node:
                        break
                groups.append(group)
    return groups
