"""Dependencies run one way: store <- domains <- federation <- api and pages <- commands.

Every module's imports are read (at module level and inside functions alike: an import put in a
function to dodge a cycle is still a dependency) and none may reach a higher layer. Inside the
domain layer, packages may build on one another but never in a circle. And no test module
imports another."""

from __future__ import annotations

import ast
from functools import cache
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "hub"

# Lowest first. A module belongs to the layer of the longest prefix that names it ("hub" names
# the package's own __init__ only).
LAYERS = [
    # Tools that know no record: the package's version, settings, the error tree, logs and
    # metrics, small helpers, the paging and text-search conditions every list shares.
    ("base", ["hub", "hub.kit", "hub.settings", "hub.errors", "hub.observability"]),
    ("store", ["hub.store"]),
    (
        "domains",
        [
            "hub.vocabulary",
            "hub.calendar",
            "hub.places",
            "hub.events",
            "hub.people",
            "hub.needs",
            "hub.programmes",
            "hub.auth",
            "hub.horizon",
        ],
    ),
    ("federation", ["hub.federation", "hub.activitypub"]),
    # What reads across every domain and the federation: the figures, the export and import, the
    # set-up of an instance, the pages a sitemap lists, and the list of every table that alembic
    # compares the database to.
    (
        "whole",
        [
            "hub.stats",
            "hub.portability",
            "hub.setup",
            "hub.published",
            "hub.store.tables",
            "hub.store.migrations",
        ],
    ),
    ("shared by the edges", ["hub.filters", "hub.http"]),
    ("pages", ["hub.web"]),
    ("api", ["hub.api"]),
    ("commands", ["hub.cli", "hub.demo"]),
]
RANK = {prefix: rank for rank, (_, prefixes) in enumerate(LAYERS) for prefix in prefixes}
DOMAINS = LAYERS[2][1]


def _name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}


def _names(prefix: str, module: str) -> bool:
    return module == prefix or (prefix != "hub" and module.startswith(prefix + "."))


def _prefix(module: str) -> str:
    return max((p for p in RANK if _names(p, module)), key=len)


def _layer(module: str) -> int:
    return RANK[_prefix(module)]


@cache
def imports(module: str) -> frozenset[str]:
    """The modules of `hub` that `module` imports, anywhere in its code."""
    path = MODULES[module]
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            # `from hub import stats` imports the module hub.stats; `from hub import __version__`
            # only the package.
            found.update(f"{base}.{a.name}" if f"{base}.{a.name}" in MODULES else base for a in node.names)
    return frozenset(name for name in found if name in MODULES)


def test_every_module_has_a_layer():
    assert [m for m in MODULES if not any(_names(p, m) for p in RANK)] == []


def test_no_module_imports_from_a_higher_layer():
    upward = [
        f"{module} ({LAYERS[_layer(module)][0]}) imports {target} ({LAYERS[_layer(target)][0]})"
        for module in MODULES
        for target in sorted(imports(module))
        if _layer(target) > _layer(module)
    ]
    assert upward == []


def _reachable(graph: dict[str, set[str]], start: str) -> set[str]:
    seen, todo = set(), [start]
    while todo:
        for following in graph.get(todo.pop(), ()):
            if following not in seen:
                seen.add(following)
                todo.append(following)
    return seen


def test_domain_packages_do_not_import_each_other_in_a_circle():
    graph: dict[str, set[str]] = {}
    edges: list[tuple[str, str]] = []
    for module in MODULES:
        for target in imports(module):
            if {_prefix(module), _prefix(target)} <= set(DOMAINS) and _prefix(target) != _prefix(module):
                graph.setdefault(_prefix(module), set()).add(_prefix(target))
                edges.append((module, target))
    # Two packages are in a circle when each reaches the other; the imports that close it are named.
    circular = [
        f"{module} imports {target}"
        for module, target in sorted(edges)
        if _prefix(module) in _reachable(graph, _prefix(target))
    ]
    assert circular == []


def test_the_import_reader_sees_imports_inside_functions():
    assert "hub.setup" in imports("hub.cli")  # imported in the command functions only
    assert "hub.stats" in imports("hub.api.stats")  # as `from hub import stats`


def test_no_test_module_imports_another():
    # Shared fixtures and helpers live in conftest.py (never imported) or in modules of their own.
    found = []
    for path in sorted(Path(__file__).resolve().parent.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            else:
                continue
            found += [
                f"{path.name} imports {name}"
                for name in names
                if name.startswith(("tests.test_", "tests.conftest"))
            ]
    assert found == []
