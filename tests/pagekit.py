"""Helpers for running pages in AppTest and driving their editors through the widgets.

The fixtures (``app_engine``: a temporary database per test; ``seeded``: the demo canvas
in it) are in tests/conftest.py; these are the steps every page test takes: open a page,
read what it shows, choose what to edit, fill fields, click, and read back what the
services stored.
"""

from __future__ import annotations

import base64
import html
import json
import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

from sqlalchemy import Engine
from streamlit.testing.v1 import AppTest
from streamlit.testing.v1.element_tree import Block

from strategy_canvas import db
from strategy_canvas.services import items
from strategy_canvas.ui import designs, vision
from strategy_canvas.ui.text import md

ROOT = Path(__file__).resolve().parents[1]
APP = ROOT / "app.py"
TIMEOUT = 30
_FIELD_WIDGETS = ("text_input", "text_area", "selectbox", "number_input", "date_input")


def open_page(page: str, *, canvas: str | None = None, as_main: bool = False) -> AppTest:
    """Run ``page`` as a deep link does (only its file runs), or as the main script."""
    if as_main:
        at = AppTest.from_file(ROOT / page, default_timeout=TIMEOUT)
    else:
        at = AppTest.from_file(APP, default_timeout=TIMEOUT)
        if page != "app.py":
            at.switch_page(page)
    if canvas is not None:
        at.query_params["canvas"] = canvas
    return at.run()


def texts(at: AppTest | Block, kind: str) -> list[str]:
    """The text of every element of ``kind`` (markdown, caption, warning, ...)."""
    return [str(getattr(e, "value", "")) for e in at.get(kind)]


class _Text(HTMLParser):
    """The text an HTML body shows, and the text of each element by its classes (what
    is hidden from screen readers, an icon's name, left out)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.shown: list[str] = []
        self.by_class: dict[str, list[str]] = {}
        # per open element: its classes, where its text starts, whether it is hidden
        self._open: list[tuple[list[str], int, bool]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "br":
            self.shown.append("\n")
            return
        found = dict(attrs)
        hidden = tag == "style" or found.get("aria-hidden") == "true"
        hidden = hidden or any(h for _, _, h in self._open)
        self._open.append(((found.get("class") or "").split(), len(self.shown), hidden))

    def handle_endtag(self, tag: str) -> None:
        if tag == "br" or not self._open:
            return
        classes, start, _ = self._open.pop()
        for name in classes:
            self.by_class.setdefault(name, []).append("".join(self.shown[start:]))

    def handle_data(self, data: str) -> None:
        if not (self._open and self._open[-1][2]):
            self.shown.append(data)


def html_text(at: AppTest | Block, cls: str | None = None) -> list[str]:
    """What the page's ``st.html`` blocks show, as text (markup gone, entities read):
    one string per block, or with ``cls``, one per element of that class."""
    found = []
    for element in at.get("html"):
        parser = _Text()
        parser.feed(str(getattr(element, "value", "")))
        parser.close()
        found += parser.by_class.get(cls, []) if cls else ["".join(parser.shown)]
    return found


def sections(at: AppTest | Block) -> list[str]:
    """What each board section's heading shows (``board.heading``): name · count,
    badges, and the note or lines under it, as text."""
    return html_text(at, "sc-section")


_BADGE = re.compile(r'<span class="sc-badge sc-bg-([a-z]+)">(.*?)</span>')


def badges(at: AppTest | Block) -> list[tuple[str, str]]:
    """(colour, text shown) of every badge the page's ``st.html`` blocks draw."""
    return [
        (colour, html.unescape(shown))
        for element in at.get("html")
        for colour, shown in _BADGE.findall(str(getattr(element, "value", "")))
    ]


def all_text(at: AppTest) -> str:
    kinds = [
        "markdown",
        "caption",
        "title",
        "header",
        "subheader",
        "info",
        "warning",
        "error",
        "success",
    ]
    return "\n".join(t for kind in kinds for t in texts(at, kind))


def rendered(at: AppTest) -> str:
    """Everything the page sent to the browser: every element's and block's message."""
    parts: list[str] = []

    def walk(node: Any) -> None:
        proto = getattr(node, "proto", None)
        if proto is not None:
            parts.append(str(proto))
        for child in getattr(node, "children", {}).values():
            walk(child)

    walk(at._tree)
    return "\n".join(parts)


def no_exception(at: AppTest) -> None:
    assert not at.exception, [e.message for e in at.exception]


class _Pictures(HTMLParser):
    """The charts' pictures in an HTML body (``ui/chart_view.picture``): (alt, src)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "img" and "sc-chart" in (found.get("class") or "").split():
            self.found.append((found.get("alt") or "", found.get("src") or ""))


def chart_pictures_of(body: str) -> list[tuple[str, str]]:
    """(alternative text, SVG) of every chart picture in an HTML body."""
    parser = _Pictures()
    parser.feed(body)
    parser.close()
    found = []
    for alt, src in parser.found:
        prefix = "data:image/svg+xml;base64,"
        assert src.startswith(prefix), src[:60]
        found.append((alt, base64.b64decode(src[len(prefix) :]).decode()))
    return found


def chart_pictures(at: AppTest | Block) -> list[tuple[str, str]]:
    """(alternative text, SVG) of every chart the page shows as a picture."""
    return [
        found
        for element in at.get("html")
        for found in chart_pictures_of(str(getattr(element, "value", "")))
    ]


def svg_texts(svg: str, role: str) -> list[str]:
    """The text the SVG draws for the Vega marks of ``role`` (``title-text``,
    ``legend-title``, ``axis-label``, ``mark``…), read as an XML document."""
    ns = "{http://www.w3.org/2000/svg}"
    texts_ = []
    for group in ElementTree.fromstring(svg).iter(f"{ns}g"):
        if f"role-{role}" in (group.get("class") or "").split():
            texts_ += ["".join(t.itertext()) for t in group.iter(f"{ns}text")]
    return texts_


def svg_title(svg: str) -> str:
    """The chart's own title in its SVG: the title group right under the root frame
    (a panel's or a row header's title sits in a group of its own below that)."""
    ns = "{http://www.w3.org/2000/svg}"

    def walk(node: ElementTree.Element, in_panel: bool) -> list[str]:
        classes = (node.get("class") or "").split()
        if node.tag == f"{ns}g" and "role-title-text" in classes and not in_panel:
            return ["".join(t.itertext()) for t in node.iter(f"{ns}text")]
        own = {"role-frame", "role-title", "role-title-text"}
        in_panel = in_panel or ("mark-group" in classes and not own & set(classes))
        return [text for child in node for text in walk(child, in_panel)]

    [title] = walk(ElementTree.fromstring(svg), False)
    return title


def chart_titles(at: AppTest) -> list[str]:
    """The title of every chart on the page: as a picture, the title it draws; as an
    interactive Vega-Lite chart, its spec's."""
    titles = []
    titles += [svg_title(svg) for _, svg in chart_pictures(at)]
    for chart in at.get("vega_lite_chart"):
        title = json.loads(chart.proto.spec).get("title", {})
        titles.append(title.get("text") if isinstance(title, dict) else title)
    return titles


def rows(engine: Engine, token: str, kind: str) -> list[Any]:
    """The items of ``kind`` as the services list them."""
    with db.session_scope(engine, readonly=True) as session:
        return items.list_items(session=session, canvas_token=token, kind=kind)


def choose_kind(at: AppTest, step: int, kind: str) -> AppTest:
    """Pick ``kind`` in the page's "What to edit" box."""
    box = at.selectbox(key=f"step{step}.edit_kind")
    if box.value != kind:
        box.set_value(kind).run()
    return at


def widget(at: AppTest, key: str) -> Any:
    for kind in _FIELD_WIDGETS:
        try:
            return getattr(at, kind)(key=key)
        except KeyError:
            continue
    raise KeyError(key)


def drawn(at: AppTest, key: str) -> bool:
    """Whether the widget ``key`` is drawn (a link among many items is folded in a
    popover, its widget drawn only while the popover is open: ui/fields.py, ``_long_link``)."""
    try:
        widget(at, key)
    except KeyError:
        return False
    return True


def unfold(at: AppTest, *keys: str) -> AppTest:
    """Open the popovers of the folded fields ``keys`` (as a person clicks each button),
    so that their widgets are drawn; choosing a value closes them again."""
    for key in keys:
        at.session_state[f"{key}.pick"] = True
    return at.run()


def field(at: AppTest, kind: str, sid: str | int, name: str) -> Any:
    """The widget of the editor's field ``name`` (item ``sid`` or "new"), its popover
    opened first when the field is folded."""
    key = f"ed.{kind}.{sid}.{name}"
    if not drawn(at, key):
        unfold(at, key)
    return widget(at, key)


#: the editors shown a part at a time: kind -> (its parts and their fields, the part's key)
PARTS: dict[str, tuple[dict[str, tuple[str, ...]], str]] = {
    "feature": (designs.FEATURE_PARTS, designs.PART_KEY),
    "vision": (vision.PARTS, vision.PART_KEY),
}


def show_part(at: AppTest, part: str, kind: str = "feature") -> AppTest:
    """Open ``part`` of the editor of ``kind`` (it shows one part of an item at a time)."""
    control = at.segmented_control(key=PARTS[kind][1])
    if control.value != part:
        control.set_value(part).run()
    return at


def fill(at: AppTest, kind: str, sid: str | int, values: dict[str, Any]) -> AppTest:
    """Set the editor's fields of ``kind`` (item ``sid`` or "new"), then run once. An
    editor shown a part at a time is filled part by part, opening each as a user does."""
    groups: list[tuple[str | None, dict[str, Any]]] = [(None, values)]
    if kind in PARTS:
        groups = [
            (part, {n: v for n, v in values.items() if n in names})
            for part, names in PARTS[kind][0].items()
        ]
    for part, group in groups:
        if not group:
            continue
        if part is not None:
            show_part(at, part, kind)
        closed = [f"ed.{kind}.{sid}.{n}" for n in group if not drawn(at, f"ed.{kind}.{sid}.{n}")]
        if closed:
            unfold(at, *closed)
        for name, value in group.items():
            widget(at, f"ed.{kind}.{sid}.{name}").set_value(value)
        at.run()
    return at


def click(at: AppTest, key: str) -> AppTest:
    at.button(key=key).click().run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def one_success(at: AppTest) -> str:
    """The confirmation shown after a save, add or delete (as markdown: user text escaped)."""
    [text] = texts(at, "success")[-1:] or [""]
    return text


def assert_fields(row: Any, values: dict[str, Any]) -> None:
    for name, value in values.items():
        assert getattr(row, name) == value, (name, getattr(row, name), value)


def add_edit_delete(
    at: AppTest,
    engine: Engine,
    token: str,
    *,
    step: int,
    kind: str,
    create: dict[str, Any],
    edit: dict[str, Any],
    added: str,
    saved: str | None = None,
) -> Any:
    """Add an item of ``kind`` through the widgets, edit it, delete it; check the database
    and the confirmation after each. Returns the item as it was after the edit."""
    before = [r.id for r in rows(engine, token, kind)]
    choose_kind(at, step, kind)
    fill(at, kind, "new", create)
    click(at, f"ed.{kind}.new.save")
    stored = [r for r in rows(engine, token, kind) if r.id not in before]
    assert len(stored) == 1, texts(at, "error")
    [row] = stored
    assert_fields(row, create)
    assert one_success(at).startswith("Added"), texts(at, "success")
    assert md(added) in one_success(at), one_success(at)

    at.selectbox(key=f"ed.{kind}.open").set_value(str(row.id)).run()
    fill(at, kind, row.id, edit)
    click(at, f"ed.{kind}.{row.id}.save")
    [edited] = [r for r in rows(engine, token, kind) if r.id == row.id]
    assert edited.version == row.version + 1
    assert_fields(edited, edit)
    assert one_success(at).startswith("Saved"), texts(at, "success")
    if saved is not None:
        assert md(saved) in one_success(at), one_success(at)

    click(at, f"ed.{kind}.{row.id}.delete")
    assert [r.id for r in rows(engine, token, kind)] == before
    assert one_success(at).startswith("Deleted"), texts(at, "success")
    assert at.selectbox(key=f"ed.{kind}.open").value == "new"  # ready for the next one
    return edited
