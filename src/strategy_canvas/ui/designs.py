"""Step 3 — Designs: the board (features by RICE, scoring criteria, sketches) and the
editors that need more than the generic one (the sketch upload, the criterion score).

The board is drawn by :func:`render_board` inside the live fragment of
:mod:`strategy_canvas.ui.board`; it only reads the frames it is given. The editors live
outside it (see :mod:`strategy_canvas.ui.editor`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import urlsplit

import pandas as pd
import pyarrow as pa
import streamlit as st

from strategy_canvas import models as m
from strategy_canvas import scoring
from strategy_canvas.rules.percent import percent
from strategy_canvas.services import items
from strategy_canvas.services.errors import NotFound
from strategy_canvas.services.validation import field_label
from strategy_canvas.ui import board, chart_view, editor, fields, layout, text
from strategy_canvas.ui.context import Frames
from strategy_canvas.ui.text import md

if TYPE_CHECKING:
    from strategy_canvas.ui.context import PageContext

KINDS = ["feature", "sketch", "criterion", "criterion_score"]
#: the page's two tabs, and the session-state key of the open one
TABS = [":material/edit_note: Features & sketches", ":material/leaderboard: Prioritise"]
TAB_KEY = "designs.tab"

#: what the sketch upload accepts (the services check the content type and size again)
UPLOAD_TYPES = ["png", "jpg", "jpeg", "gif", "webp"]
UPLOAD_MAX_MB = m.SKETCH_MAX_BYTES // (1024 * 1024)
#: session-state keys owned by this module
_UPLOAD_COUNTER = "designs.upload_counter"

#: the features table: what decides priority first, then what the feature is tied to
_FEATURE_COLUMNS = [
    "title",
    "moscow",
    "kano",
    "value",
    "effort",
    "status",
    "kind",
    "epic_id",
    "persona_id",
    "goal_id",
]
_LINK_LABELS = ("Epic", "Persona", "Goal")
#: the features table's columns beside the editor, and with the board wide
_FEATURES_COMPACT = ["Title", "RICE", "MoSCoW", "Persona", "Goal"]
_FEATURES_FULL = [
    "Title",
    "RICE",
    "MoSCoW",
    "Kano",
    "Value",
    "Effort",
    "Status",
    "Kind",
    "Epic",
    "Persona",
    "Goal",
]
#: a table taller than this many rows scrolls inside a fixed height
_TALL = 20
_CHOICE_COLUMNS = ("kind", "status", "moscow", "kano")


# ------------------------------------------------------------------------- scoring


def rice_of(values: dict[str, Any]) -> float | None:
    """The RICE score of one feature's values as typed (:func:`scoring.rice_score`, the
    one RICE rule), or None while an input is missing."""
    score = scoring.rice_score(pd.DataFrame([values])).iloc[0]
    return None if pd.isna(score) else float(score)


def _choice_text(value: Any) -> Any:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return None
    text = str(value)
    return fields.CHOICE_LABELS.get(text, text.replace("_", " "))


def feature_table(frames: Frames) -> pd.DataFrame:
    """The features as the board shows them: links as titles, a RICE column, best first.

    An epic's kind says how many stories it holds; a story names its epic.
    """
    raw = frames["feature"]
    table = board.readable(frames, "feature", columns=_FEATURE_COLUMNS)
    rice = frames.ranks["rice_score"].reindex(raw.index)
    table.insert(1, "RICE", pd.array(rice, dtype="Float64"))
    stories = raw["epic_id"].dropna().astype(int).value_counts()
    for name in _CHOICE_COLUMNS:
        label = field_label(items.ITEM_TYPES["feature"].create, name)
        table[label] = table[label].map(_choice_text)
    kinds = [
        f"epic · {stories.get(int(i), 0)} {'story' if stories.get(int(i), 0) == 1 else 'stories'}"
        if kind == "epic"
        else kind
        for i, kind in zip(raw["id"], raw["kind"], strict=True)
    ]
    table["Kind"] = kinds
    for label in _LINK_LABELS:  # a missing link reads as blank, not "None"
        table[label] = table[label].astype(object).fillna("")
    table["RICE"] = table["RICE"].round(1)
    return table.sort_values("RICE", ascending=False, na_position="last", kind="stable")


# --------------------------------------------------------------------------- board


def render_board(frames: Frames) -> None:
    """Features by RICE, then the team's scoring criteria and scores, then the sketches."""
    _features(frames)
    _scoring(frames)
    _sketches(frames)


def _height(rows: int) -> int | Literal["content"]:
    """Show a table whole while it is short; let a long one scroll."""
    return "content" if rows <= _TALL else 600


def _features(frames: Frames) -> None:
    if board.kind_heading(
        frames,
        "feature",
        empty="No features yet — add the first feature, story or epic in the editor: name "
        "it, tie it to the persona it serves and the goal it moves, then score it.",
    ):
        return
    # Cached as Arrow with its count of unscored features: the same for every session
    # until the canvas changes, and drawn without converting it again.
    table, unscored = chart_view.cached(frames, "designs.features", lambda: _feature_arrow(frames))
    st.dataframe(
        table,
        hide_index=True,
        width="stretch",
        height=_height(table.num_rows),
        column_order=layout.columns(_FEATURES_COMPACT, _FEATURES_FULL),
        column_config={
            "Title": st.column_config.TextColumn(width="medium" if layout.is_wide() else 150),
            "RICE": st.column_config.NumberColumn(
                help="Reach × impact × confidence ÷ effort; blank until all four are given.",
                format="localized",
                width=65,
            ),
            "MoSCoW": st.column_config.TextColumn(width=65),
            "Persona": st.column_config.TextColumn(width=90),
            "Goal": st.column_config.TextColumn(width=90),
            "Value": st.column_config.NumberColumn(help="1 (little) to 10 (huge)."),
            "Effort": st.column_config.NumberColumn(help="Person-months.", format="%g"),
        },
        placeholder="—",
    )
    # one html element under the table, not a caption each (docs/ARCHITECTURE.md, "Budgets")
    notes = [
        f"{text.icon('leaderboard')} Score them in place — every score, the persona, the goal "
        "and each weighted criterion — switch framework and see how robust the ranking is "
        'under <span class="sc-strong">Prioritise</span> (the tab above).'
        + ("" if layout.is_wide() else " Widen the board to see every column here.")
    ]
    if unscored:
        notes.append(
            f"{unscored} of {table.num_rows} without a RICE score (they sort last): give reach, "
            "impact, confidence and effort in the editor."
        )
    st.html("".join(text.line(note, "gray", small=True) for note in notes))


def _feature_arrow(frames: Frames) -> tuple[pa.Table, int]:
    table = feature_table(frames)
    return pa.Table.from_pandas(table, preserve_index=False), int(table["RICE"].isna().sum())


def _scoring(frames: Frames) -> None:
    if not board.kind_heading(
        frames,
        "criterion",
        empty="No scoring criteria yet — if RICE is not enough, add your team's own criteria "
        "in the editor (e.g. “Strategic fit”, weight 40) and score features against them.",
    ):
        st.dataframe(
            chart_view.cached(frames, "designs.criteria", lambda: _criteria_table(frames)),
            hide_index=True,
            width="stretch",
            column_config={
                "Criterion": st.column_config.TextColumn(width=140),
                "What it means": st.column_config.TextColumn(width=170),
                "Weight": st.column_config.NumberColumn(format="%g", width=65),
                "Share": st.column_config.NumberColumn(
                    format="%d%%",
                    help="This criterion's weight as a share of all weights.",
                    width=65,
                ),
            },
            placeholder="—",
        )
    criteria = frames["criterion"]
    if board.kind_heading(
        frames,
        "criterion_score",
        empty="No criterion scores yet — score each feature from 0 to 10 on each criterion "
        "in the grid under Prioritise (a column per criterion)."
        if not criteria.empty
        else "No criterion scores yet — they come once there are criteria to score on.",
    ):
        return
    scored = frames["criterion_score"]
    complete = int((scored.groupby("feature_id")["criterion_id"].nunique() >= len(criteria)).sum())
    st.caption(
        f":material/grid_on: {complete} of {len(frames['feature'])} features scored on "
        "every criterion. See and change the scores in the grid under **Prioritise**: a "
        "column per criterion."
    )


def _criteria_table(frames: Frames) -> pd.DataFrame:
    """The criteria with each one's share of all the weights."""
    criteria = board.readable(frames, "criterion", columns=["name", "weight", "description"])
    weights = frames["criterion"]["weight"].astype(float)
    total = float(weights[weights > 0].sum())
    if total > 0:  # the share as the reports print it (rules.percent, halves up)
        share = [percent(w / total) if w > 0 else 0 for w in weights]
        criteria.insert(2, "Share", share)
    return criteria


def _safe_url(url: Any) -> str | None:
    """The sketch's link if it is a plain web address (the services check it on write)."""
    text = str(url or "").strip()
    parts = urlsplit(text)
    if parts.scheme in ("http", "https") and parts.netloc and not re.search(r"\s", text):
        return text
    return None


def _sketches(frames: Frames) -> None:
    sketches = frames["sketch"]
    if board.kind_heading(
        frames,
        "sketch",
        empty="No sketches yet — link a mock-up (Figma, Miro, …) or upload an image of a "
        "feature's design in the editor.",
    ):
        return
    features = board.titles(frames, "feature")
    rows = sketches.to_dict("records")
    per_row = 2  # room for an image to be seen
    for start in range(0, len(rows), per_row):
        columns = st.columns(per_row)
        for column, row in zip(columns, rows[start : start + per_row], strict=False):
            with column, st.container(border=True):
                _sketch_card(row, features)


def _sketch_card(row: dict[str, Any], features: Mapping[int, str]) -> None:
    caption = str(row.get("caption") or "").strip()
    feature = features.get(int(row["feature_id"]), "a deleted feature")
    url = _safe_url(row.get("url"))
    # the host without "www.", which markdown would turn into a link of its own
    host = urlsplit(url).netloc.removeprefix("www.") if url else ""
    where = f" · {md(host)}" if host else ""
    st.markdown(f"**{md(caption or 'Untitled sketch')}**  \n:gray[for {md(feature)}{where}]")
    image = row.get("image")
    if isinstance(image, bytes | bytearray | memoryview) and len(image):
        try:
            st.image(bytes(image), width="stretch", alt=caption or f"Sketch for {feature}")
        except Exception:  # a stored file the browser cannot show: say so, keep the board
            st.caption("This image cannot be shown.")
    if url:
        st.link_button(
            "Open the sketch",
            url,
            icon=":material/open_in_new:",
            help=f"Opens {md(host)} in a new tab.",
            width="stretch",
        )


# ------------------------------------------------------------------ feature editor

_RICE_FIELDS = ("reach", "impact", "confidence", "effort")


def _pairs(draw: Callable[[str], Any], *names: str) -> None:
    """``names`` two by two, in two columns (one set of columns: the rows line up, as
    the fields of a pair are of one kind)."""
    columns = st.columns(2)
    for index, name in enumerate(names):
        with columns[index % 2]:
            draw(name)


#: the feature editor's parts, one shown at a time (a rerun draws a third of the fields)
FEATURE_PARTS: dict[str, tuple[str, ...]] = {
    "Details": ("title", "kind", "status", "description", "persona_id", "goal_id", "epic_id"),
    "Scores": scoring.SCORE_INPUTS,
    "More": (*scoring.RANGE_INPUTS, "external_key", "external_url", "labels"),
}
PART_KEY = "designs.feature_part"
_PART_ICONS = {
    "Details": ":material/description:",
    "Scores": ":material/leaderboard:",
    "More": ":material/tune:",
}


def _feature_layout(item_id: int | None) -> Callable[[Callable[[str], Any]], None]:
    """The feature's fields in three parts: what it is and whom it serves (Details), how
    it scores, and the optional estimate ranges and import source (More). One part is
    drawn at a time; the editor keeps the others' unsaved values and saves them all."""

    def value(name: str) -> Any:
        edit = editor.Edit.get("feature", item_id)
        return edit.value(name) if edit is not None else None

    def layout(draw: Callable[[str], Any]) -> None:
        part = editor.part_control(
            PART_KEY,
            _PART_ICONS,
            label="Part of the feature",
            parts=FEATURE_PARTS,
            scope=("feature", item_id),
        )
        if part == "Scores":
            _pairs(draw, *_RICE_FIELDS)
            score = rice_of({n: value(n) for n in _RICE_FIELDS})
            st.caption(
                f"RICE = reach × impact × confidence ÷ effort = **{score:,.1f}**"
                if score is not None
                else "RICE appears here once reach, impact, confidence and effort are given."
            )
            _pairs(draw, "ease", "value", "moscow", "kano")
        elif part == "More":
            st.caption(
                "Estimate ranges, where the team is unsure: the lowest and highest reach "
                "and effort it believes (without them, confidence sets the spread in the "
                "robustness check). Then where the feature came from, if it was imported, "
                "and its labels (comma-separated, as in Jira, Linear or Asana)."
            )
            _pairs(draw, *scoring.RANGE_INPUTS)
            draw("external_key")
            draw("external_url")
            draw("labels")
        else:
            draw("title")
            draw("description")
            _pairs(draw, "kind", "status", "persona_id", "goal_id")
            draw("epic_id")

    return layout


def edit_feature(ctx: PageContext) -> None:
    """Picker and editor of features, stories and epics, their fields in groups."""
    editor.notice("feature")
    item_id = editor.picker(ctx, "feature")
    chosen = item_id if isinstance(item_id, int) else None
    editor.editor(
        ctx,
        "feature",
        chosen,
        layout=_feature_layout(chosen),
        link_subsets={"epic_id": _epic_ids(ctx)},
    )


def _epic_ids(ctx: PageContext) -> frozenset[int]:
    """The canvas's epics: what a feature or story can belong to (once per state of
    the canvas)."""
    frames = ctx.snapshot()

    def epics() -> frozenset[int]:
        features = frames["feature"]
        pairs = zip(features["id"], features["kind"], strict=True)
        return frozenset(int(i) for i, kind in pairs if kind == "epic")

    found: frozenset[int] = chart_view.cached(frames, "epic_ids", epics)
    return found


# ------------------------------------------------------------------- sketch editor


def _size(n: int) -> str:
    return f"{n / 1024 / 1024:.1f} MB" if n >= 1024 * 1024 else f"{max(1, round(n / 1024))} KB"


def _take_upload(widget_key: str, pending_key: str) -> None:
    """The uploader changed: keep the chosen file (or forget it when it was removed).

    Files whose name has another extension never get here: the browser refuses them
    (and Streamlit refuses a request that bypasses the browser before the page runs).
    """
    chosen = st.session_state.get(widget_key)
    if chosen is None:
        st.session_state.pop(pending_key, None)
        return
    data = chosen.getvalue()
    st.session_state[pending_key] = {
        "name": chosen.name,
        "data": data,
        "media_type": m.sniff_image_type(data) or "",
    }


def _new_uploader(gen_key: str) -> None:
    """Give the scope's uploader a new key: it is drawn empty."""
    st.session_state[_UPLOAD_COUNTER] = st.session_state.get(_UPLOAD_COUNTER, 0) + 1
    st.session_state[gen_key] = st.session_state[_UPLOAD_COUNTER]


def _drop_upload(pending_key: str, gen_key: str) -> None:
    st.session_state.pop(pending_key, None)
    st.session_state.pop(gen_key, None)  # a fresh, empty uploader


def _stored_image(ctx: PageContext, item_id: int | None) -> tuple[bytes, str] | None:
    if item_id is None:
        return None
    assert ctx.token is not None
    try:
        with ctx.read() as session:
            row = items.get_item(
                session=session, canvas_token=ctx.token, kind="sketch", item_id=item_id
            )
    except NotFound:
        return None
    return (bytes(row.image), row.media_type) if row.image else None


def _uploader(label: str, edit: editor.Edit, gen_key: str, pending_key: str) -> None:
    widget_key = f"{edit.key('image')}.{st.session_state[gen_key]}"
    st.file_uploader(
        label,
        type=UPLOAD_TYPES,
        key=widget_key,
        max_upload_size=UPLOAD_MAX_MB,
        help=f"PNG, JPEG, GIF or WebP, up to {UPLOAD_MAX_MB} MB. A sketch needs a link, an "
        "image, or both.",
        on_change=_take_upload,
        args=(widget_key, pending_key),
    )


def image_upload(ctx: PageContext) -> Callable[[editor.Edit], dict[str, Any] | None]:
    """The ``extra`` of the sketch editor: upload, replace or remove the sketch's image.

    The chosen file is kept in session state (not in the uploader), so it survives moving
    to another page and back; it is saved with the sketch, where the services check its
    type and size. Its keys are in the edit's scope (:meth:`editor.Edit.key`), so a save,
    discard or delete clears them.
    """

    def draw(edit: editor.Edit) -> dict[str, Any] | None:
        item_id = edit.item_id
        pending_key, gen_key = edit.key("upload"), edit.key("upload_gen")
        remove_key = edit.key("remove_image")
        stored = _stored_image(ctx, item_id)
        if stored is not None:
            data, media_type = stored
            kind = media_type.removeprefix("image/").upper() or "image"
            with st.container(border=True):
                st.image(data, width=160, alt="The sketch's stored image")
                st.caption(f"Stored image: {md(kind)}, {_size(len(data))}.")
                st.checkbox(
                    "Remove this image",
                    key=remove_key,
                    help="The sketch then needs a link. Takes effect when you save.",
                )
        if gen_key not in st.session_state:  # first draw of this scope, or just saved
            _new_uploader(gen_key)
        label = "Replace the image" if stored is not None else "Or upload an image"
        _uploader(label, edit, gen_key, pending_key)
        pending = st.session_state.get(pending_key)
        if pending is not None:
            name, data = pending["name"], pending["data"]
            action = "Add" if edit.is_new else "Save"
            if pending["media_type"]:
                st.image(data, width=160, alt=f"Preview of {name}")
                st.caption(
                    f"Chosen: {md(name)} ({_size(len(data))}) — it is stored when you click "
                    f"**{action}**."
                )
            else:
                st.warning(
                    f"**Image**: “{md(name)}” is not a PNG, JPEG, GIF or WebP image by its "
                    "content. Choose another file.",
                    icon=":material/broken_image:",
                )
            st.button(
                "Don't use this file",
                key=edit.key("drop_upload"),
                icon=":material/close:",
                on_click=_drop_upload,
                args=(pending_key, gen_key),
            )
            return {"image": data, "media_type": pending["media_type"]}
        if stored is not None and st.session_state.get(remove_key):
            return {"image": None, "media_type": ""}
        return None

    return draw


def _names(ctx: PageContext, kind: str) -> dict[int, str]:
    return ctx.snapshot().titles(kind)


def _needs_first(what: str, *, kind_label: str) -> None:
    st.info(
        f"{what} Choose “{kind_label}” under *What to edit* above to add one.",
        icon=":material/info:",
    )


def edit_sketch(ctx: PageContext) -> None:
    """Picker and editor of sketches: a link, an uploaded image, or both, for a feature."""
    editor.notice("sketch")
    features = _names(ctx, "feature")
    if not features:
        _needs_first(
            "A sketch shows the design of a feature, so add a feature first.",
            kind_label=items.ITEM_TYPES["feature"].plural,
        )
        return
    assert ctx.token is not None
    sketches = ctx.snapshot().rows["sketch"]
    names = {
        int(s.id): f"{s.caption or 'Untitled sketch'} — {features.get(s.feature_id, '?')}"
        for s in sketches
        if s.id is not None
    }
    item_id = editor.picker(ctx, "sketch", names=names)
    chosen = item_id if isinstance(item_id, int) else None
    editor.editor(ctx, "sketch", chosen, extra=image_upload(ctx))


# ------------------------------------------------------------ criterion score editor


def edit_criterion_score(ctx: PageContext) -> None:
    """Picker and editor of criterion scores, named "feature — criterion"."""
    features = _names(ctx, "feature")
    criteria = _names(ctx, "criterion")

    def describe(values: dict[str, Any]) -> str:
        feature = features.get(values.get("feature_id") or 0, "a feature")
        criterion = criteria.get(values.get("criterion_id") or 0, "a criterion")
        return f"“{feature}” on “{criterion}”"

    editor.notice("criterion_score", describe)
    if not features or not criteria:
        missing = [
            items.ITEM_TYPES[k].plural.lower()
            for k, have in (("feature", features), ("criterion", criteria))
            if not have
        ]
        _needs_first(
            "A criterion score rates a feature on one of your scoring criteria; there are "
            f"no {' and no '.join(missing)} yet.",
            kind_label=items.ITEM_TYPES["criterion" if features else "feature"].plural,
        )
        return
    assert ctx.token is not None
    scores = ctx.snapshot().rows["criterion_score"]
    names = {
        int(s.id): (
            f"{features.get(s.feature_id, '?')} — {criteria.get(s.criterion_id, '?')}: {s.score:g}"
        )
        for s in scores
        if s.id is not None
    }
    item_id = editor.picker(ctx, "criterion_score", names=names)
    chosen = item_id if isinstance(item_id, int) else None
    editor.editor(ctx, "criterion_score", chosen, describe=describe)


EDITORS: dict[str, Callable[[PageContext], None]] = {
    "feature": edit_feature,
    "sketch": edit_sketch,
    "criterion_score": edit_criterion_score,
}
