"""The read-only live board of a step: what everyone on the canvas sees, kept current.

It is drawn inside a fragment that reruns when the canvas changes, pushed by the server
(:mod:`strategy_canvas.ui.push`; every ``STRATEGY_CANVAS_SYNC_SECONDS`` where no stream
is served): one indexed query reads the canvas's change counter, and the canvas is read
again only when it moved — as its snapshot (:mod:`strategy_canvas.services.snapshot`),
cached by (canvas, change counter) for every session at once, so thirty people
watching one canvas cost one load per change. Nothing here is an input, so a refresh
never loses anyone's typing; the editor lives outside the fragment (see
:mod:`strategy_canvas.ui.editor`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

import pandas as pd
import streamlit as st

from strategy_canvas.services import items, snapshot
from strategy_canvas.services.validation import field_label
from strategy_canvas.ui import chart_view, editing, push, text
from strategy_canvas.ui.context import Frames
from strategy_canvas.ui.text import md

if TYPE_CHECKING:
    from strategy_canvas.ui.context import PageContext


Renderer = Callable[[Frames], None]

#: bookkeeping or binary columns a reader does not need
HIDDEN_COLUMNS = {"id", "version", "image", "media_type", "position"}
#: a table taller than this many rows scrolls inside a fixed height
TALL_TABLE_ROWS = 15


def table_height(rows: int, row: int = 35) -> int:
    """Show a table whole while it is short; let a long one scroll."""
    return row * min(rows, TALL_TABLE_ROWS) + 38


def current_frames(ctx: PageContext, *, revision: int | None = None) -> tuple[int, Frames]:
    """The canvas's snapshot at ``revision``, or at the change counter read now."""
    assert ctx.token is not None
    if revision is not None:
        frames = ctx.snapshot(revision)
        return frames.revision, frames
    with ctx.read() as session:
        frames = snapshot.snapshot(session=session, canvas_token=ctx.token)
    return frames.revision, frames


def titles(frames: Frames, kind: str) -> dict[int, str]:
    """id -> title of the items of ``kind`` (:meth:`CanvasSnapshot.titles`)."""
    return frames.titles(kind)


def readable(frames: Frames, kind: str, *, columns: Sequence[str] | None = None) -> pd.DataFrame:
    """The items of ``kind`` for reading: links shown as titles, labels as headers."""
    spec = items.ITEM_TYPES[kind]
    frame = frames[kind].copy()
    for column, target in spec.links.items():
        frame[column] = frame[column].map(titles(frames, target))
    keep = [c for c in (columns or frame.columns) if c not in HIDDEN_COLUMNS]
    frame = frame[keep]
    return frame.rename(columns={c: field_label(spec.create, c) for c in keep})


def heading_html(
    label: str, count: int, *, extra: str = "", note: str | None = None, lines: Sequence[str] = ()
) -> str:
    """A board section's heading: its name and how many, then ``extra`` (badges or a
    phrase, HTML) and, under it, ``note`` (plain text, small and gray: what to do while
    the section is empty) and ``lines`` (HTML, from :func:`text.line`). User text in
    ``extra`` and ``lines`` is escaped by the caller."""
    head = f'<span class="sc-strong">{text.h(label)}</span> · {count}'
    shown = [text.line(f"{head} {extra}" if extra else head), *lines]
    if note is not None:
        shown.append(text.line(text.h(note), "gray", small=True))
    return '<div class="sc-section">' + "".join(shown) + "</div>"


def heading(
    label: str, count: int, *, extra: str = "", note: str | None = None, lines: Sequence[str] = ()
) -> None:
    """:func:`heading_html` as one st.html: a board is drawn on every page open and
    every tick, and a markdown heading and a caption under it cost Chromium several
    milliseconds each to draw, one HTML element next to nothing (docs/ARCHITECTURE.md,
    "Budgets")."""
    st.html(heading_html(label, count, extra=extra, note=note, lines=lines))


def kind_heading(frames: Frames, kind: str, *, empty: str) -> bool:
    """The heading of a board's section of ``kind`` (:func:`heading`, its plural and
    how many); with no items, ``empty`` (what to do) in the same element. Returns
    whether the section is empty."""
    count = len(frames[kind])
    heading(items.ITEM_TYPES[kind].plural, count, note=None if count else empty)
    return not count


#: a table column's width: pixels, or one of Streamlit's three sizes
ColumnWidth = Literal["small", "medium", "large"] | int


def table(
    frames: Frames,
    kind: str,
    *,
    columns: Sequence[str] | None = None,
    empty: str | None = None,
    widths: Mapping[str, ColumnWidth] | None = None,
) -> None:
    """One item type as a read-only table, or its empty state. ``widths`` (field ->
    pixels, or "small", "medium", "large") sizes the columns so that every one is seen
    in the board's column (docs/ARCHITECTURE.md, "Pages that fit")."""
    spec = items.ITEM_TYPES[kind]
    if frames[kind].empty:
        st.caption(empty or f"No {spec.plural.lower()} yet — add the first one in the editor.")
        return
    shown = chart_view.cached(
        frames,
        f"readable:{kind}",
        lambda: readable(frames, kind, columns=columns),
        (tuple(columns) if columns is not None else None,),
    )
    config = {
        field_label(spec.create, name): st.column_config.Column(width=width)
        for name, width in (widths or {}).items()
    }
    st.dataframe(shown, hide_index=True, width="stretch", placeholder="—", column_config=config)


def _changed_underneath(frames: Frames) -> None:
    """Say so when an item this person is editing was changed or deleted by someone else."""
    for kind, item_id, base in editing.open_edits():
        frame = frames.get(kind)
        if frame is None:
            continue
        row = frame[frame["id"] == item_id]
        spec = items.ITEM_TYPES[kind]
        if row.empty:
            st.warning(
                f"The {spec.noun} you are editing was deleted by someone "
                "else. Saving will let you add yours back.",
                icon=":material/sync_problem:",
            )
        elif int(row["version"].iloc[0]) > base:
            name = titles(frames, kind).get(item_id, spec.label)
            st.warning(
                f"Someone else just saved the {spec.noun} “{md(name)}” you "
                "are editing. Your changes are safe: when you save, you will see "
                "theirs and yours and choose.",
                icon=":material/sync_problem:",
            )


def live_frames(ctx: PageContext) -> Callable[[], tuple[int, Frames]]:
    """What a self-refreshing fragment calls for its frames: drawn with the page, the
    change counter the page read; on each tick after that, the counter read again."""
    with_page = [True]

    def read() -> tuple[int, Frames]:
        known = ctx.revision if with_page[0] else None
        with_page[0] = False
        return current_frames(ctx, revision=known)

    return read


def drawn(ctx: PageContext, revision: int) -> push.Drawn:
    """What a live view of the open canvas drew (for :func:`push.follow`)."""
    assert ctx.canvas is not None and ctx.canvas.id is not None
    return push.Drawn(ctx.canvas.token, ctx.canvas.id, revision)


def live_board(ctx: PageContext, render: Renderer) -> None:
    """Draw ``render(frames)`` inside a fragment that follows the canvas by itself."""
    read = live_frames(ctx)

    def board() -> push.Drawn:
        revision, frames = read()
        _changed_underneath(frames)
        render(frames)
        st.caption(
            f"Live · change {revision}",
            help="This board shows others' changes by itself as soon as they save.",
        )
        return drawn(ctx, revision)

    push.follow(board, every_seconds=ctx.settings.live_sync_seconds, key="sc.live.board")


def _text(value: object) -> str:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return ""
    return str(value).strip()


def cards(
    frames: Frames,
    kind: str,
    *,
    badges: Sequence[str] = (),
    body: Sequence[str] = (),
    per_row: int = 2,
    limit: int = 24,
    empty: str | None = None,
) -> None:
    """The items of ``kind`` as cards: title, badges, then labelled text fields.

    For the text-heavy items of a step (problems, personas, competitors), which a table
    would cut off. All user text is escaped: it is shown, never interpreted. The cards
    are one ``st.html`` element (:func:`strategy_canvas.ui.text.cards`), ``per_row``
    side by side where the board is wide enough; a card's long text folds under "Show
    more" (an HTML ``<details>``, which costs nothing until opened).
    """
    spec = items.ITEM_TYPES[kind]
    frame = frames[kind]
    if frame.empty:
        st.caption(empty or f"No {spec.plural.lower()} yet — add the first one in the editor.")
        return
    texts = chart_view.cached(
        frames,
        f"cards:{kind}",
        lambda: _card_texts(frames, kind, badges, body, limit),
        (tuple(badges), tuple(body), limit),
    )
    st.html(text.cards((card.html for card in texts), per_row=per_row))
    if len(frame) > limit:
        st.caption(f"… and {len(frame) - limit} more.")


#: a card's text beyond this many characters folds under "Show more"
FOLD_CHARS = 600


@dataclass(frozen=True)
class Card:
    """A card's lines (HTML, escaped): what it shows, and the rest of its long text
    (folded under "Show more")."""

    short: tuple[str, ...]
    rest: tuple[str, ...] = ()
    item_id: int = 0

    @property
    def html(self) -> str:
        lines = list(self.short)
        if self.rest:
            lines.append(text.more("Show more", self.rest))
        return text.card(lines)


def fold(text: str, limit: int = FOLD_CHARS) -> tuple[str, str]:
    """``text`` cut at a word near ``limit`` characters, and what follows ("" when it is
    short): a 5,000-character statement no longer makes a card thousands of pixels tall."""
    if len(text) <= limit:
        return text, ""
    cut = text.rfind(" ", 0, limit)
    cut = cut if cut > limit // 2 else limit
    return text[:cut].rstrip(), text[cut:].strip()


def _card_texts(
    frames: Frames, kind: str, badges: Sequence[str], body: Sequence[str], limit: int
) -> list[Card]:
    """The first ``limit`` items of ``kind`` as cards, user text escaped; the text
    beyond :data:`FOLD_CHARS` characters (over all the card's fields) folded away."""
    spec = items.ITEM_TYPES[kind]
    linked = {c: titles(frames, t) for c, t in spec.links.items()}
    cards = []
    for row in frames[kind].head(limit).to_dict("records"):
        title = _text(row.get(spec.title_field)) or f"{spec.label} #{row['id']}"
        tags = []
        for name in badges:
            value = row.get(name)
            if name in linked:
                value = linked[name].get(value) if _text(value) else None
            if _text(value):
                tags.append(text.h(_text(value).replace("_", " ")))
        lines = [text.line(text.h(title), strong=True)]
        if tags:
            lines.append(text.line(" · ".join(tags), "gray"))
        rest: list[str] = []
        room = FOLD_CHARS
        for name in body:
            value = _text(row.get(name))
            if not value:
                continue
            label = f'<span class="sc-fg-gray">{text.h(field_label(spec.create, name))}:</span>'
            if rest or room <= 0:
                rest.append(text.line(f"{label} {text.h(value)}"))
                continue
            shown, more = fold(value, room)
            room -= len(shown)
            lines.append(text.line(f"{label} {text.h(shown)}" + (" …" if more else "")))
            if more:
                rest.append(text.line(f"… {text.h(more)}"))
        cards.append(Card(tuple(lines), tuple(rest), int(row["id"])))
    return cards
