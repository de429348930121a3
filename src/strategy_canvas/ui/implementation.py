"""Step 4 — Implementation: the board (the roadmap in Now / Next / Later lanes, its
dependencies, the risks by score) and the dependency editor.

:func:`render_board` runs inside the live fragment of :mod:`strategy_canvas.ui.board`
and only reads the frames it is given; the editors live outside it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date
from typing import TYPE_CHECKING, Any

import pandas as pd
import streamlit as st

from strategy_canvas import charts
from strategy_canvas.ui import board, chart_view, editor, layout, push, text
from strategy_canvas.ui.context import Frames
from strategy_canvas.ui.text import md

if TYPE_CHECKING:
    from strategy_canvas.ui.context import PageContext

KINDS = ["roadmap_item", "dependency", "risk"]

#: lane -> (heading, what it means)
#: cards drawn one by one in a lane; the rest are listed in one element below them
CARDS_PER_LANE = 8
LANES: dict[str, tuple[str, str]] = {
    "now": ("Now", "Being built"),
    "next": ("Next", "Up after that"),
    "later": ("Later", "On the horizon"),
}
_LANE_ORDER = {lane: i for i, lane in enumerate(LANES)}
#: session-state key owned by this module: what the timeline groups by
TIMELINE_GROUP_KEY = "step4.timeline_group"
#: session-state key owned by this module: whether the timeline is unfolded
TIMELINE_OPEN_KEY = "step4.timeline.open"
#: the width (px) the timeline is drawn at: it sits under the board and the editor, as
#: wide as the page's content at 1280 px
TIMELINE_WIDTH = 800
#: session-state keys owned by this module: whether a lane's further cards are unfolded
MORE_KEY = "step4.lane_more"
TIMELINE_GROUPS = {"owner": "Owner", "team": "Team"}
#: roadmap status -> badge colour
_STATUS_COLOURS = {"planned": "gray", "in_progress": "blue", "done": "green", "blocked": "red"}
#: the risks table after the score: how it is rated, then who handles it and how
#: the risks table beside the editor (the score, then how it is handled)
_RISKS_COMPACT = ["Risk", "Score", "Status", "Owner", "Mitigation"]
_RISK_COLUMNS = [
    "title",
    "likelihood",
    "impact",
    "status",
    "owner",
    "mitigation",
    "roadmap_item_id",
]


def _text(value: Any) -> str:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return ""
    return str(value).strip()


def _date(value: Any) -> date | None:
    if isinstance(value, pd.Timestamp):
        return None if pd.isna(value) else value.date()
    return value if isinstance(value, date) else None


def _day(value: date, *, with_year: bool) -> str:
    return f"{value.day} {value:%b}" + (f" {value.year}" if with_year else "")


def date_span(start: Any, end: Any, *, today: date | None = None) -> str:
    """ "12 Oct – 24 Nov", "from 12 Oct", "until 24 Nov" or "" (years shown when not this
    year's)."""
    this_year = (today or date.today()).year
    first, last = _date(start), _date(end)
    if first and last:
        return (
            f"{_day(first, with_year=first.year != last.year)} – "
            f"{_day(last, with_year=last.year != this_year)}"
        )
    if first:
        return f"from {_day(first, with_year=first.year != this_year)}"
    if last:
        return f"until {_day(last, with_year=last.year != this_year)}"
    return ""


# ----------------------------------------------------------------------------- board


def render_board(frames: Frames) -> None:
    """The roadmap lanes, then what depends on what, then the risks by score."""
    _roadmap(frames)
    _dependencies(frames)
    _risks(frames)


def lane_html(title: str, meaning: str, cards: list[str]) -> str:
    """A lane's heading (its name, how many, what it means) and its first cards: one
    st.html per lane, however many cards (docs/ARCHITECTURE.md, "Budgets")."""
    head = f'<div class="sc-lane-title">{text.h(title)} · {len(cards)}</div>'
    means = text.line(text.h(meaning), "gray", small=True)
    shown = [f'<div class="sc-lane-head">{head}{means}</div>']
    if cards:
        shown.append(text.cards(cards[:CARDS_PER_LANE]))
    else:
        shown.append(text.line(text.h(f"Nothing in {title} yet."), "gray", small=True))
    return '<div class="sc-lane">' + "".join(shown) + "</div>"


def _roadmap(frames: Frames) -> None:
    if board.kind_heading(
        frames,
        "roadmap_item",
        empty="Nothing on the roadmap yet — add a roadmap item in the editor, build it from a "
        "feature of step 3, and put it in Now, Next or Later.",
    ):
        return
    roadmap = frames["roadmap_item"]
    chart_view.show(
        frames, "roadmap_lanes", lambda width: charts.roadmap_lanes(roadmap, width=width)
    )
    today = date.today()
    cards = chart_view.cached(frames, "roadmap.cards", lambda: _lane_cards(frames, today), (today,))
    for column, (lane, (title, meaning)) in zip(st.columns(len(LANES)), LANES.items(), strict=True):
        texts = cards[lane]
        with column:
            st.html(lane_html(title, meaning, texts))
            if len(texts) > CARDS_PER_LANE:
                _more_cards(lane, title, texts[CARDS_PER_LANE:])


def _more_cards(lane: str, title: str, rest: list[str]) -> None:
    """A lane's cards beyond the first ones, folded, and drawn only while unfolded: on
    the large canvas they were three quarters of the page's markdown, which the browser
    laid out on every visit (docs/ARCHITECTURE.md, "Budgets")."""
    more = layout.fold(f"{len(rest)} more in {title}", key=f"{MORE_KEY}.{lane}")
    if more is not None:
        with more:
            st.html(text.cards(rest))  # one element, however many


def _lane_cards(frames: Frames, today: date) -> dict[str, list[str]]:
    """Each lane's roadmap cards (HTML), in the roadmap's order."""
    roadmap = frames["roadmap_item"]
    features = board.titles(frames, "feature")
    return {
        lane: [
            roadmap_card(row, features, today=today)
            for row in roadmap[roadmap["lane"] == lane].to_dict("records")
        ]
        for lane in LANES
    }


def roadmap_card(row: Mapping[str, Any], features: Mapping[int, str], *, today: date) -> str:
    """One roadmap item as a compact HTML card (:func:`strategy_canvas.ui.text.card`):
    title, feature, status and milestone, who, when, and what is off (ends before it
    starts, overdue). User text is escaped: shown as typed, never as markup."""
    title = _text(row.get("title")) or f"Roadmap item #{row.get('id')}"
    lines = [text.line(text.h(title), strong=True)]
    feature_id = row.get("feature_id")
    if feature_id is not None and _text(feature_id):
        feature = features.get(int(feature_id), "?")
        lines.append(text.line(f"{text.icon('widgets')} {text.h(feature)}", "gray"))
    else:
        lines.append(text.line(f"{text.icon('link_off')} no feature linked", "orange"))
    status = _text(row.get("status")) or "planned"
    badges = [text.badge(text.h(status.replace("_", " ")), _STATUS_COLOURS.get(status, "gray"))]
    milestone = _text(row.get("milestone"))
    if milestone:
        badges.append(text.badge(f"{text.icon('flag')} {text.h(milestone)}", "violet"))
    lines.append(text.line("".join(badges)))
    who = " · ".join(text.h(t) for t in (_text(row.get("owner")), _text(row.get("team"))) if t)
    if who:
        lines.append(text.line(f'<span class="sc-fg-gray">{text.icon("person")}</span> {who}'))
    else:
        lines.append(text.line("no owner yet", "orange"))
    span = date_span(row.get("start_date"), row.get("end_date"), today=today)
    if span:
        lines.append(text.line(f"{text.icon('event')} {text.h(span)}", "gray"))
    start, end = _date(row.get("start_date")), _date(row.get("end_date"))
    if start and end and end < start:
        lines.append(text.line(f"{text.icon('error')} ends before it starts", "red"))
    elif end and end < today and status != "done":
        lines.append(text.line(f"{text.icon('schedule')} past its end date", "orange"))
    return text.card(lines)


def dependency_lines(frames: Frames) -> list[str]:
    """ "**A** depends on **B**" per dependency, with a warning when the order is off."""
    roadmap = frames["roadmap_item"]
    names = board.titles(frames, "roadmap_item")
    by_id = {int(r["id"]): r for r in roadmap.to_dict("records")}
    lines = []
    for row in frames["dependency"].to_dict("records"):
        item, needed = int(row["item_id"]), int(row["depends_on_id"])
        text = f"**{md(names.get(item, '?'))}** depends on **{md(names.get(needed, '?'))}**"
        a, b = by_id.get(item, {}), by_id.get(needed, {})
        warnings = []
        if _LANE_ORDER.get(b.get("lane"), 0) > _LANE_ORDER.get(a.get("lane"), 0):
            warnings.append(f"it is planned for a later lane ({LANES[b['lane']][0]})")
        elif b.get("status") == "blocked":
            warnings.append("it is blocked")
        a_start, b_end = _date(a.get("start_date")), _date(b.get("end_date"))
        if a_start and b_end and b_end > a_start:
            warnings.append("it ends after this one starts")
        if warnings and a.get("status") != "done":
            text += f" :orange[:material/warning: {'; '.join(warnings)}]"
        lines.append(f"- {text}")
    return lines


def _dependencies(frames: Frames) -> None:
    if board.kind_heading(
        frames,
        "dependency",
        empty="No dependencies yet — when one roadmap item cannot start before another is "
        "done, record it in the editor."
        if len(frames["roadmap_item"]) > 1
        else "No dependencies yet — they link two roadmap items, once there are two.",
    ):
        return
    st.markdown("\n".join(dependency_lines(frames)))


def risk_table(frames: Frames) -> pd.DataFrame:
    """The risks with their score (likelihood × impact), highest first."""
    raw = frames["risk"]
    table = board.readable(frames, "risk", columns=_RISK_COLUMNS)
    score = raw["likelihood"].astype(int) * raw["impact"].astype(int)
    table.insert(1, "Score", score.to_numpy())
    table["Status"] = table["Status"].map(lambda s: _text(s).replace("_", " "))
    return table.sort_values("Score", ascending=False, kind="stable")


def _risks(frames: Frames) -> None:
    if board.kind_heading(
        frames,
        "risk",
        empty="No risks yet — what could go wrong? Add each risk in the editor with how likely "
        "and how bad it is (1–5), and how you will mitigate it.",
    ):
        return
    risks = frames["risk"]
    table = risk_table(frames)
    st.dataframe(
        table,
        hide_index=True,
        width="stretch",
        height="content" if len(table) <= 20 else 600,  # whole while short, else scroll
        column_order=layout.columns(_RISKS_COMPACT, list(table.columns)),
        column_config={
            "Risk": st.column_config.TextColumn(width=140),
            "Status": st.column_config.TextColumn(width=85),
            "Owner": st.column_config.TextColumn(width=80),
            "Mitigation": st.column_config.TextColumn(width="large" if layout.is_wide() else 140),
            "Score": st.column_config.ProgressColumn(
                help="Likelihood × impact, from 1 to 25.",
                format="%d",
                min_value=0,
                max_value=25,
                width=75,
            ),
            "Likelihood": st.column_config.NumberColumn(help="1 (rare) to 5 (almost certain)."),
            "Impact": st.column_config.NumberColumn(help="1 (minor) to 5 (severe)."),
        },
        placeholder="—",
    )
    unmitigated = risks[(risks["status"] != "closed") & (risks["mitigation"].fillna("") == "")]
    if not unmitigated.empty:
        st.caption(
            f":orange[:material/warning:] {len(unmitigated)} open "
            f"{'risk has' if len(unmitigated) == 1 else 'risks have'} no mitigation yet."
        )


# -------------------------------------------------------------------------- timeline


def timeline_section(ctx: PageContext) -> None:
    """The roadmap on dates, grouped by owner or team, folded under the board and the
    editor: drawn only while unfolded (a Vega chart of a hundred items was a third of
    what the browser did to open this page on the large canvas; docs/ARCHITECTURE.md,
    "Budgets"). The grouping is outside the live fragment (a refresh never resets it),
    the chart inside it."""
    st.divider()
    panel = layout.fold("Timeline", key=TIMELINE_OPEN_KEY, icon=":material/timeline:")
    if panel is None:
        return
    with panel:
        left, right = st.columns([4, 1], vertical_alignment="bottom")
        with left:
            st.caption(
                "Each roadmap item from its start to its end date; ◆ marks a milestone, the "
                "dashed line today."
            )
        with right:
            group = st.segmented_control(
                "Group by",
                list(TIMELINE_GROUPS),
                format_func=TIMELINE_GROUPS.__getitem__,
                key=TIMELINE_GROUP_KEY,
                default="owner",
                required=True,
                persist_state="session",
            )
        chosen = str(group or "owner")
        read = board.live_frames(ctx)

        def view() -> push.Drawn:
            revision, frames = read()
            timeline(frames, chosen)
            return board.drawn(ctx, revision)

        push.follow(view, every_seconds=ctx.settings.live_sync_seconds, key="sc.live.timeline")


def timeline(frames: Frames, group: str) -> None:
    roadmap = frames["roadmap_item"]
    if roadmap.empty:
        st.caption("No roadmap items yet — give them start and end dates to see them here.")
        return
    today = date.today()
    chart_view.show(
        frames,
        "roadmap_timeline",
        lambda width: charts.roadmap_timeline(roadmap, group=group, today=today, width=width),
        (group, today.isoformat()),
        width=TIMELINE_WIDTH,
    )


# ------------------------------------------------------------------ dependency editor


def _names(ctx: PageContext, kind: str) -> dict[int, str]:
    return ctx.snapshot().titles(kind)


def edit_dependency(ctx: PageContext) -> None:
    """Picker and editor of dependencies, named "A → B" (A depends on B)."""
    roadmap = _names(ctx, "roadmap_item")

    def describe(values: dict[str, Any]) -> str:
        item = roadmap.get(values.get("item_id") or 0, "a roadmap item")
        needed = roadmap.get(values.get("depends_on_id") or 0, "another")
        return f"“{item}” depends on “{needed}”"

    editor.notice("dependency", describe)
    if len(roadmap) < 2:
        st.info(
            "A dependency says one roadmap item cannot go ahead before another: add at least "
            "two roadmap items first (choose “Roadmap” under *What to edit* above).",
            icon=":material/info:",
        )
        return
    rows = ctx.snapshot().rows["dependency"]
    names = {
        int(d.id): f"{roadmap.get(d.item_id, '?')} → depends on {roadmap.get(d.depends_on_id, '?')}"
        for d in rows
        if d.id is not None
    }
    item_id = editor.picker(ctx, "dependency", names=names)
    chosen = item_id if isinstance(item_id, int) else None
    editor.editor(ctx, "dependency", chosen, describe=describe)


def edit_roadmap_item(ctx: PageContext) -> None:
    """Picker and editor of roadmap items: an item made from a feature takes the
    feature's title while it has none of its own."""
    features = {int(f.id): f.title for f in ctx.snapshot().rows["feature"]}  # uncut

    def title_from_feature(edit: editor.Edit) -> None:
        feature = features.get(edit.value("feature_id") or 0)
        if feature and not str(edit.value("title") or "").strip():
            edit.put("title", feature)

    editor.notice("roadmap_item")
    item_id = editor.picker(ctx, "roadmap_item")
    chosen = item_id if isinstance(item_id, int) else None
    editor.editor(ctx, "roadmap_item", chosen, follow={"feature_id": title_from_feature})


EDITORS: dict[str, Callable[[PageContext], None]] = {
    "roadmap_item": edit_roadmap_item,
    "dependency": edit_dependency,
}
