"""Every write the app makes says who makes it: the screens, the command line, the
imports and the workshop's services pass ``actor=`` to the services that write, so the
canvas's history never has to record "Someone" for them (docs/ARCHITECTURE.md, "History")."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "strategy_canvas"
#: where writes start: the screens, the command line, the exports and imports, the workshop
EDGES = [
    *sorted((PACKAGE / "ui").glob("*.py")),
    PACKAGE / "cli.py",
    *sorted((PACKAGE / "export").rglob("*.py")),
    *sorted((PACKAGE / "services" / "workshops").glob("*.py")),
]
#: the services that write to a canvas, and take ``actor=``
WRITES = {
    "create_item",
    "update_item",
    "delete_item",
    "reorder_items",
    "move_item",
    "create_canvas",
    "update_canvas",
    "rename_canvas",
    "set_archived",
    "duplicate_canvas",
    "import_canvas",
    "restore_version",
    "create_canvas_with_items",
    "restore",
    "undo",
    "save_version",
    "save_automatic",
    "save_edit",
    "delete_edit",
    "save_scores",
    "send_to_step_one",
    "apply_import",
    "add_many",
    "roadmap_from_features",
}


#: the modules those services are called through (``items.update_item(...)``)
SERVICES = {
    "items",
    "canvases",
    "canvas_copy",
    "json_io",
    "trash",
    "undo",
    "versions",
    "edits",
    "scores",
    "loop",
    "backlog",
    "bulk",
}


def _calls_without_actor(source: str, where: str) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Attribute):
            continue
        name, through = node.func.attr, node.func.value
        if not (isinstance(through, ast.Name) and through.id in SERVICES):
            continue
        if name in WRITES and not any(k.arg == "actor" for k in node.keywords):
            found.append(f"{where}:{node.lineno} {name}")
    return found


def test_every_write_at_the_edges_says_who_makes_it() -> None:
    missing = [
        call
        for path in EDGES
        for call in _calls_without_actor(
            path.read_text(encoding="utf-8"), str(path.relative_to(PACKAGE))
        )
    ]
    assert not missing, f"pass actor= (who makes the write) in: {missing}"


def test_the_check_finds_a_write_that_does_not_say_who() -> None:
    source = "items.update_item(session=s, kind='x')\nitems.create_item(session=s, actor=a)\n"
    assert _calls_without_actor(source, "sample.py") == ["sample.py:1 update_item"]
