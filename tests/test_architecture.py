"""The package import graph: arrows point one way, and packages meet at their public ``api`` modules.

``server`` (infrastructure) ← ``rooms`` ← {``collab``, ``media``} ← ``venues`` ← ``evaluation`` ← ``studios``; only the
wiring (``server.app``, ``server.cli``, ``server.__main__``) knows every package. Every ``import`` in
every module counts, including the ones inside functions and under ``TYPE_CHECKING``.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("server", "rooms", "collab", "media", "venues", "evaluation", "studios")

# package -> the packages it may import
ALLOWED: dict[str, frozenset[str]] = {
    "server": frozenset(),
    "rooms": frozenset({"server"}),
    "collab": frozenset({"server", "rooms"}),
    "media": frozenset({"server", "rooms"}),
    "venues": frozenset({"server", "rooms", "media"}),
    "evaluation": frozenset({"server", "rooms", "collab", "media", "venues"}),
    "studios": frozenset({"server", "rooms", "collab", "media", "venues", "evaluation"}),
}
WIRING = frozenset({"server.app", "server.cli", "server.__main__"})
# Other packages reach these only through their public module.
PUBLIC = {"rooms": "rooms.api", "media": "media.api", "venues": "venues.api"}


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path) -> set[str]:
    """Every module ``path`` imports (absolute names; relative imports resolved)."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                target = ".".join([*base, node.module] if node.module else base)
            else:
                target = node.module or ""
            found.add(target)
            # ``from pkg import module`` imports that module
            found.update(f"{target}.{alias.name}" for alias in node.names if alias.name != "*")
    return found


def module_graph() -> dict[str, set[str]]:
    """module -> the first-party modules (or packages) it imports."""
    graph: dict[str, set[str]] = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            graph[module_name(path)] = {m for m in imports_of(path) if m.split(".")[0] in PACKAGES}
    return graph


def _known(module: str, graph: dict[str, set[str]]) -> str:
    """``module`` itself when it is a module, else the module it names a member of (``rooms.api.Role``)."""
    while module not in graph and "." in module:
        module = module.rpartition(".")[0]
    return module


def violations(graph: dict[str, set[str]]) -> list[str]:
    out: list[str] = []
    for module, targets in sorted(graph.items()):
        source = module.split(".")[0]
        if module in WIRING:
            continue
        for target in sorted(targets):
            dest = target.split(".")[0]
            if dest == source:
                continue
            if dest not in ALLOWED[source]:
                out.append(f"{module} imports {target}: {source} may not depend on {dest}")
            elif dest in PUBLIC and _known(target, graph) != PUBLIC[dest]:
                out.append(f"{module} imports {target}: outside {dest}, use {PUBLIC[dest]}")
    return out


def package_graph(graph: dict[str, set[str]]) -> dict[str, set[str]]:
    packages: dict[str, set[str]] = {p: set() for p in PACKAGES}
    for module, targets in graph.items():
        if module in WIRING:
            continue
        source = module.split(".")[0]
        packages[source].update(t.split(".")[0] for t in targets if t.split(".")[0] != source)
    return packages


def cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle of ``graph`` (as a path that ends where it starts), or None."""
    done: set[str] = set()

    def visit(node: str, path: list[str]) -> list[str] | None:
        if node in path:
            return [*path[path.index(node) :], node]
        if node in done:
            return None
        for nxt in sorted(graph.get(node, ())):
            found = visit(nxt, [*path, node])
            if found is not None:
                return found
        done.add(node)
        return None

    for start in sorted(graph):
        found = visit(start, [])
        if found is not None:
            return found
    return None


def test_no_forbidden_arrow() -> None:
    assert violations(module_graph()) == []


def test_the_package_graph_has_no_cycle() -> None:
    packages = package_graph(module_graph())
    assert cycle(packages) is None
    assert packages["rooms"] == {"server"}


def test_the_checks_see_a_forbidden_arrow_a_side_door_and_a_cycle() -> None:
    graph = {
        "rooms.api": set(),
        "rooms.floor": {"media.api"},  # rooms may not know media
        "media.api": set(),
        "media.signalling": {"rooms.floor.FloorService"},  # past rooms' public module
        "venues.plugin": {"rooms.api.JOIN_STATE", "media.api"},
    }
    assert violations(graph) == [
        "media.signalling imports rooms.floor.FloorService: outside rooms, use rooms.api",
        "rooms.floor imports media.api: rooms may not depend on media",
    ]
    assert cycle({"rooms": {"server"}, "media": {"rooms"}, "server": set()}) is None
    assert cycle({"rooms": {"media"}, "media": {"rooms"}}) == ["media", "rooms", "media"]
