"""Who may import whom inside ``forum`` (docs/architecture.md, "Import rules"): read from the source, so a
module that imports against the rules fails here, not in review."""

from __future__ import annotations

import ast
from pathlib import Path

from forum import PROJECT_ROOT

PACKAGE = PROJECT_ROOT / "forum"
# Leaves import nothing from forum at run time (type-checking imports aside), so anything may use them.
LEAVES = {
    "forum.config",
    "forum.errors",
    "forum.extensions",
    "forum.formatting",
    "forum.i18n",
    "forum.limits",
    "forum.protocol",
    "forum.serving",
    "forum.workers",
}
# The shared core under the features: no feature package may be imported from here.
CORE = {"forum.db", "forum.access", "forum.fields", "forum.outbox", "forum.rate_limits", "forum.migrate"}
HTTP_CORE = {"forum.web", "forum.boundary", "forum.confirm"}
FEATURES = (
    "forum.accounts",
    "forum.archive",
    "forum.audience",
    "forum.captions",
    "forum.events",
    "forum.live",
    "forum.publishing",
    "forum.site",
)
# What the app factory, the CLI and the demo loader wire together; they may import anything.
WIRING = {"forum", "forum.cli", "forum.demo"}
PAGE_SUFFIXES = ("routes", "forms", "handlers")
# Per-process plumbing that runs beside the handlers: the after-commit broadcaster and the tally coalescer
# (which opens its own unit of work, as a handler does).
JOBS = {"forum.live.broadcast", "forum.live.coalescer"}


def _module_name(path: Path) -> str:
    parts = path.relative_to(PROJECT_ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _exists(dotted: str) -> bool:
    target = PROJECT_ROOT / Path(*dotted.split("."))
    return target.with_suffix(".py").exists() or target.is_dir()


def _type_checking_only(tree: ast.AST) -> set[ast.AST]:
    """Import nodes under ``if TYPE_CHECKING:``: they never run, so they bind nothing at run time."""
    skipped: set[ast.AST] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING":
            for child in node.body:
                skipped.update(ast.walk(child))
    return skipped


def _imports(path: Path) -> set[str]:
    """The forum modules a file imports at run time (``from forum.live import floor`` is forum.live.floor)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skipped = _type_checking_only(tree)
    found: set[str] = set()
    for node in ast.walk(tree):
        if node in skipped:
            continue
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            if node.module == "forum" or node.module.startswith("forum."):
                for alias in node.names:
                    candidate = f"{node.module}.{alias.name}"
                    found.add(candidate if _exists(candidate) else node.module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names if alias.name.startswith("forum"))
    return found


GRAPH = {_module_name(path): _imports(path) for path in PACKAGE.rglob("*.py")}


def _feature(module: str) -> str | None:
    return next((f for f in FEATURES if module == f or module.startswith(f + ".")), None)


def _is_page(module: str) -> bool:
    return (
        module in HTTP_CORE
        or module in JOBS
        or module == "forum.cli"
        or module.rsplit(".", 1)[-1].endswith(PAGE_SUFFIXES)
    )


def _breaking(rule, modules):
    return {m: sorted(d for d in GRAPH[m] if rule(d)) for m in modules if any(rule(d) for d in GRAPH[m])}


def test_every_module_has_a_place_in_the_rules():
    placed = LEAVES | CORE | HTTP_CORE | WIRING
    homeless = [m for m in GRAPH if m not in placed and not m.startswith("forum.models") and not _feature(m)]
    assert homeless == [], "add the module to a layer here and in docs/architecture.md"


def test_leaves_import_nothing_from_forum():
    assert _breaking(lambda d: True, [m for m in GRAPH if m in LEAVES]) == {}


def test_models_import_only_models_the_database_and_leaves():
    allowed = ("forum.models", "forum.db", *LEAVES)
    models = [m for m in GRAPH if m.startswith("forum.models")]
    assert _breaking(lambda d: not d.startswith(allowed), models) == {}


def test_the_core_never_imports_a_feature():
    """The core (database, actors and roles, input cleaning, the outbox, rate limits) sits under every
    feature; the HTTP core (error pages, the boundary, confirmations) may use it but no feature either."""
    low = LEAVES | CORE | {"forum"}

    def above_core(d: str) -> bool:
        return not (d in low or d.startswith("forum.models"))

    assert _breaking(above_core, sorted(CORE)) == {}
    assert _breaking(lambda d: above_core(d) and d not in HTTP_CORE, sorted(HTTP_CORE)) == {}


def test_services_never_import_pages_forms_handlers_or_http_plumbing():
    """A feature's services (every module that is not routes, forms or handlers) are shared by HTTP routes,
    Socket.IO handlers and the CLI, so they may not depend on any of them."""
    services = [m for m in GRAPH if _feature(m) and not _is_page(m)]
    assert _breaking(_is_page, services) == {}


def test_a_blueprint_never_imports_another_features_pages():
    """What two features' pages share lives in the HTTP core (forum/web.py) or in a service."""
    pages = [m for m in GRAPH if _feature(m) and _is_page(m)]
    foreign = {
        m: sorted(d for d in GRAPH[m] if _is_page(d) and _feature(d) not in (None, _feature(m)))
        for m in pages
    }
    assert {m: found for m, found in foreign.items() if found} == {}


def test_the_rules_see_real_imports():
    assert "forum.protocol" in GRAPH["forum.publishing.record"]
    assert "forum.errors" in GRAPH["forum.db"]
    assert "forum.models" not in GRAPH["forum.protocol"], "type-checking imports do not count"
