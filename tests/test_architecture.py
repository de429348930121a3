"""docs/ARCHITECTURE.md stays true: every file and module it names exists, and the code
cites it (not a brief a newcomer who clones the repository does not have)."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "src" / "strategy_canvas"
ARCHITECTURE = ROOT / "docs" / "ARCHITECTURE.md"

#: a backticked name that looks like a file or folder of the project
_PATHLIKE = re.compile(r"`([\w.*/-]+(?:\.(?:py|typ|toml|md)|/))`")


def _exists(name: str) -> bool:
    """A path relative to the project root or to the package, with ``*`` as a glob; a
    bare file name must exist somewhere in the package."""
    name = name.rstrip("/")
    for base in (ROOT, PACKAGE, ROOT / "src"):
        if "*" in name and any(base.glob(name)):
            return True
        if (base / name).exists():
            return True
    return "/" not in name and any(PACKAGE.rglob(name))


def _layout_paths(text: str) -> list[str]:
    """The paths of the first code block (the layout tree): indentation nests them."""
    block = text.split("```", 2)[1]
    paths: list[str] = []
    parents: list[tuple[int, str]] = []
    for line in block.splitlines()[1:]:
        if not line.strip():
            continue
        indent = len(line) - len(line.lstrip())
        name = line.split()[0]
        while parents and parents[-1][0] >= indent:
            parents.pop()
        path = "/".join([p for _, p in parents] + [name.rstrip("/")])
        paths.append(path)
        if name.endswith("/"):
            parents.append((indent, name.rstrip("/")))
    return paths


def test_every_file_the_architecture_names_exists() -> None:
    text = ARCHITECTURE.read_text(encoding="utf-8")
    named = set(_PATHLIKE.findall(text)) | set(_layout_paths(text))
    assert len(named) > 20, "the document names the project's modules"
    missing = sorted(n for n in named if not _exists(n))
    assert not missing, f"docs/ARCHITECTURE.md names files that do not exist: {missing}"


def test_the_code_cites_the_architecture_not_a_missing_brief() -> None:
    cited = []
    for folder in ("src", "pages", "bench", "tests", "scripts"):
        for path in (ROOT / folder).rglob("*"):
            if (
                path.suffix in {".py", ".sh", ".typ"}
                and path != Path(__file__)
                and "DESIGN.md" in path.read_text(encoding="utf-8")
            ):
                cited.append(str(path.relative_to(ROOT)))
    for path in (ROOT / "Makefile", ROOT / "README.md", ROOT / "app.py"):
        if "DESIGN.md" in path.read_text(encoding="utf-8"):
            cited.append(path.name)
    assert not cited, f"cite docs/ARCHITECTURE.md instead of DESIGN.md in: {cited}"


def test_only_the_editing_module_names_the_editing_keys() -> None:
    """Editing state is one typed object (ui/editing.py); no other module reads or writes
    its session-state keys (``ed.…``) behind its back."""
    literal = re.compile(r"""f?["']ed\.""")
    offenders = [
        str(path.relative_to(ROOT))
        for path in PACKAGE.rglob("*.py")
        if path.name != "editing.py" and literal.search(path.read_text(encoding="utf-8"))
    ]
    assert not offenders, f"use ui/editing.py instead of its keys in: {offenders}"
