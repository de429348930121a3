"""The package's dependencies run one way (docs/ARCHITECTURE.md, "Layers, and who may
import whom"), checked by walking every import statement in src/ — at the top of a
module, under TYPE_CHECKING or inside a function alike."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from functools import cache
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src"
ROOT = SRC.parent
PACKAGE = "strategy_canvas"

#: the UI modules that belong to one screen, by screen; a screen's modules may import
#: each other, never another screen's (what two screens share goes in a module of its
#: own). Every other UI module is shared.
SCREENS: dict[str, set[str]] = {
    "home": {"home"},
    "vision": {"vision"},
    "designs": {"designs", "prioritisation", "prioritisation_grid", "prioritisation_views"},
    "implementation": {"implementation"},
    "feedback": {"feedback"},
    "overview": {"overview"},
    "workshop": {
        "workshop",
        "workshop_board",
        "workshop_facilitator",
        "workshop_live",
        "workshop_state",
    },
    "export": {"export_page", "backlog_import"},
    "history": {"history_page"},
}
SHARED = {
    "__init__",
    "access",
    "board",
    "chart_view",
    "context",
    "editing",
    "editor",
    "fields",
    "formats",
    "guidance",
    "identity",
    "item_history",
    "keyboard",
    "layout",
    "links",
    "messages",
    "progress",
    "push",
    "quick_entry",
    "setup",
    "since",
    "sidebar",
    "state",
    "step_page",
    "step_views",
    "steps",
    "text",
    "timefmt",
    "undo",
}


def _name(path: Path) -> str:
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


@cache
def _modules() -> dict[str, Path]:
    return {_name(p): p for p in (SRC / PACKAGE).rglob("*.py")}


def _imported(path: Path) -> Iterator[str]:
    """Every module of the package, or outside it, that ``path`` imports."""
    modules = _modules()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                full = f"{node.module}.{alias.name}"
                yield full if full in modules else node.module


@cache
def _graph() -> dict[str, set[str]]:
    modules = _modules()
    return {name: {m for m in _imported(path) if m in modules} for name, path in modules.items()}


def test_there_is_no_import_cycle() -> None:
    graph = _graph()
    cycles: list[list[str]] = []
    state: dict[str, int] = {}  # 1: on the current path, 2: done

    def visit(module: str, path: list[str]) -> None:
        state[module] = 1
        for target in sorted(graph[module]):
            if state.get(target) == 1:
                cycles.append([*path[path.index(target) :], target])
            elif target not in state:
                visit(target, [*path, target])
        state[module] = 2

    for module in sorted(graph):
        if module not in state:
            visit(module, [module])
    assert not cycles, "import cycles: " + "; ".join(" -> ".join(c) for c in cycles)


def test_services_import_neither_export_nor_ui_nor_streamlit() -> None:
    wrong = {
        (module, target)
        for module, path in _modules().items()
        if module.startswith(f"{PACKAGE}.services")
        for target in _imported(path)
        if target.startswith((f"{PACKAGE}.export", f"{PACKAGE}.ui", "streamlit"))
    }
    assert not wrong, f"services must not depend on export/, ui/ or streamlit: {sorted(wrong)}"


def test_rules_charts_and_export_do_not_reach_up_into_the_ui() -> None:
    lower = ("charts", "export", "scoring", "models", "db", "config", "vision_statement")
    wrong = {
        (module, target)
        for module, path in _modules().items()
        if module.removeprefix(f"{PACKAGE}.").startswith(lower)
        for target in _imported(path)
        if target.startswith(f"{PACKAGE}.ui") or target == "streamlit"
    }
    assert not wrong, sorted(wrong)


def test_every_ui_module_belongs_to_one_screen_or_is_shared() -> None:
    ui = {p.stem for p in (SRC / PACKAGE / "ui").glob("*.py")}
    claimed = [m for modules in SCREENS.values() for m in modules]
    assert len(claimed) == len(set(claimed)), "a module belongs to one screen"
    assert not set(claimed) & SHARED
    assert ui == set(claimed) | SHARED, (
        f"classify in tests/test_imports.py: {sorted(ui - set(claimed) - SHARED)}; "
        f"gone: {sorted((set(claimed) | SHARED) - ui)}"
    )


def test_no_screen_imports_another_screens_module() -> None:
    screen_of = {m: screen for screen, modules in SCREENS.items() for m in modules}
    wrong = []
    for module, targets in _graph().items():
        if not module.startswith(f"{PACKAGE}.ui."):
            continue
        mine = screen_of.get(module.rsplit(".", 1)[1])
        for target in targets:
            theirs = screen_of.get(target.rsplit(".", 1)[1]) if ".ui." in target else None
            if theirs is not None and theirs != mine:
                wrong.append(f"{module} -> {target}")
    assert not wrong, wrong


def test_shared_ui_modules_import_no_screen() -> None:
    screen_modules = {f"{PACKAGE}.ui.{m}" for modules in SCREENS.values() for m in modules}
    wrong = [
        f"{module} -> {target}"
        for module, targets in _graph().items()
        if module.startswith(f"{PACKAGE}.ui") and module.rsplit(".", 1)[1] in SHARED
        for target in targets & screen_modules
    ]
    assert not wrong, wrong


def test_only_app_and_pages_call_the_composition_root() -> None:
    """ui/setup.py builds a page (page_setup); views take the PageContext it returns and
    import ui/context.py, a leaf that imports no other UI module."""
    setup = f"{PACKAGE}.ui.setup"
    importers = sorted(m for m, targets in _graph().items() if setup in targets)
    assert importers == [f"{PACKAGE}.ui"], importers  # the package re-exports page_setup
    context = _graph()[f"{PACKAGE}.ui.context"]
    assert not {t for t in context if t.startswith(f"{PACKAGE}.ui")}, context
    for page in [ROOT / "app.py", *sorted((ROOT / "pages").glob("*.py"))]:
        text = page.read_text(encoding="utf-8")
        assert "ui.page_setup(" in text, f"{page.name} does not start with ui.page_setup"
