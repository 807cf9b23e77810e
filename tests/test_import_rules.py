"""Who may import whom inside ``forum`` (docs/architecture.md, "Import rules"): read from the source, so a
module that imports against the rules fails here, not in review."""

from __future__ import annotations

import ast
from pathlib import Path

from forum import PROJECT_ROOT

PACKAGE = PROJECT_ROOT / "forum"
# Leaves: they import nothing from forum, so anything may use them.
LEAVES = {"forum.errors", "forum.limits", "forum.formatting", "forum.config"}
FEATURE_PACKAGES = (
    "forum.archive",
    "forum.audience",
    "forum.auth",
    "forum.invitations",
    "forum.publishing",
    "forum.setup",
    "forum.site",
)


def _module_name(path: Path) -> str:
    parts = path.relative_to(PROJECT_ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> set[str]:
    """The forum modules a file imports (``from forum.live import protocol`` is forum.live.protocol)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            if node.module == "forum" or node.module.startswith("forum."):
                for alias in node.names:
                    candidate = f"{node.module}.{alias.name}"
                    exists = (PROJECT_ROOT / Path(*candidate.split("."))).with_suffix(".py").exists() or (
                        PROJECT_ROOT / Path(*candidate.split("."))
                    ).is_dir()
                    found.add(candidate if exists else node.module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names if alias.name.startswith("forum"))
    return found


GRAPH = {_module_name(path): _imports(path) for path in PACKAGE.rglob("*.py")}


def _breaking(rule, modules):
    return {m: sorted(d for d in GRAPH[m] if rule(d)) for m in modules if any(rule(d) for d in GRAPH[m])}


def test_leaves_import_nothing_from_forum():
    assert _breaking(lambda d: True, [m for m in GRAPH if m in LEAVES]) == {}


def test_models_import_only_models_the_database_and_leaves():
    allowed = ("forum.models", "forum.db", *LEAVES)
    models = [m for m in GRAPH if m.startswith("forum.models")]
    assert _breaking(lambda d: not d.startswith(allowed), models) == {}


def test_the_database_module_and_the_wire_protocol_stay_low():
    assert _breaking(lambda d: d not in LEAVES, ["forum.db"]) == {}
    protocol_allowed = ("forum.models", "forum.db", *LEAVES)
    assert _breaking(lambda d: not d.startswith(protocol_allowed), ["forum.live.protocol"]) == {}


def test_services_never_import_pages_forms_or_http_plumbing():
    """Services are shared by HTTP routes, Socket.IO handlers and the CLI: they may not depend on any of
    them. From the live package they use only the wire protocol."""

    def page_side(d: str) -> bool:
        return (
            d.startswith(FEATURE_PACKAGES)
            or d in {"forum.web", "forum.boundary", "forum.cli", "forum.confirm"}
            or d.endswith((".routes", ".forms", ".handlers"))
            or (d.startswith("forum.live") and d not in {"forum.live", "forum.live.protocol"})
        )

    services = [m for m in GRAPH if m.startswith("forum.services")]
    assert _breaking(page_side, services) == {}


def test_a_blueprint_never_imports_another_blueprints_routes():
    routes = [m for m in GRAPH if m.endswith(".routes")]
    assert _breaking(lambda d: d.endswith(".routes"), routes) == {}


def test_the_rules_see_real_imports():
    assert "forum.live.protocol" in GRAPH["forum.services.record"]
    assert "forum.errors" in GRAPH["forum.db"]
