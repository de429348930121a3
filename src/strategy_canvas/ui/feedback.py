"""Step 5 — feedback, flaws & fixes: the live board and the step's own editors.

The board (inside the live fragment, from the frames cached by the canvas's change
counter): the feedback, newest first, with a count per sentiment; the flaws with their
fixes, open ones first by severity; each KPI's latest reading against its target; and the
decision log per feature, with shipped features still waiting for a decision flagged.

The editors are the generic ones (:mod:`strategy_canvas.ui.editor`), plus: on an open
piece of feedback, one click sends it back to step 1 as a problem, persona or
assumption; a KPI reading or a decision starts preset (today, the first KPI, the first
feature waiting for a decision) and says what to do first when there is nothing to pick.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import date
from functools import partial
from typing import TYPE_CHECKING, Any, NamedTuple

import pandas as pd
import pyarrow as pa
import streamlit as st

from strategy_canvas import charts
from strategy_canvas.rules import flaw_urgency
from strategy_canvas.services import items, loop
from strategy_canvas.services.errors import ConflictError, ServiceError
from strategy_canvas.ui import (
    board,
    chart_view,
    editing,
    editor,
    identity,
    layout,
    links,
    messages,
    step_page,
    steps,
    text,
)
from strategy_canvas.ui.context import Frames
from strategy_canvas.ui.formats import SEVERITY_ICONS, choice, number
from strategy_canvas.ui.text import md

if TYPE_CHECKING:
    from strategy_canvas.ui.context import PageContext
    from strategy_canvas.ui.step_page import Editors

KINDS = ["feedback", "flaw", "kpi_reading", "decision"]

#: session-state keys owned by this module
SENT_KEY = "step5.sent"
SEND_ERROR_KEY = "step5.send_error"
EVERY_READING_KEY = "step5.every_reading.open"  # whether every KPI reading is unfolded
BOARD_VIEW_KEY = "step5.board_view"  # the section the board shows
_BOARD_FOLLOWS = "step5.board_view.follows"  # the editor's kind it last followed

#: the board's sections, by the kind each shows
BOARD_VIEWS = {
    "feedback": ":material/forum: Feedback",
    "flaw": ":material/bug_report: Flaws & fixes",
    "kpi_reading": ":material/monitoring: KPI readings",
    "decision": ":material/gavel: Decisions",
}

SENTIMENT_ICONS = {"positive": "🙂", "neutral": "😐", "negative": "🙁"}
SENTIMENT_COLORS = {"positive": "green", "neutral": "gray", "negative": "red"}
DECISION_ICONS = {"victory": "🏆", "iterate": "🔁", "rollback": "↩️"}
SEND_ICONS = {
    "problem": ":material/report:",
    "persona": ":material/person_add:",
    "assumption": ":material/help:",
}
DECISION_COLORS = {"victory": "green", "iterate": "blue", "rollback": "red"}
#: the width (px) of the charts made of several panels, which do not stretch: they fit
#: the board's column on a laptop screen
BOARD_WIDTH = 460
#: the step's tables beside the editor (with the board wide they show every column,
#: :mod:`strategy_canvas.ui.layout`)
FEEDBACK_COMPACT = ["Date", "Mood", "Feedback", "Feature", "Source"]
FLAWS_COMPACT = ["Severity", "Flaw", "Fix status", "Fix owner", "Fix"]
KPIS_COMPACT = ["KPI", "Progress", "Latest", "Target", "As of"]
DECISIONS_COMPACT = ["Feature", "Decision", "Why", "Decided"]


# ------------------------------------------------------------------------ helpers


def _day(value: Any) -> date | None:
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NaT:
        return None
    return value if isinstance(value, date) else pd.Timestamp(value).date()


def _badge(words: str, colour: str) -> str:
    return text.badge(text.h(words), colour)


def _badges(counts: dict[str, int], colors: dict[str, str], names: dict[str, str]) -> str:
    """A badge per key counted, as HTML (a section's heading, :func:`board.heading`)."""
    return " ".join(
        _badge(f"{n} {names.get(key, choice(key))}", colors.get(key, "gray"))
        for key, n in counts.items()
        if n
    )


# -------------------------------------------------------------------------- board


def render_board(ctx: PageContext, frames: Frames) -> None:
    """Everything step 5 holds, read-only, one section at a time (:func:`board_view`);
    drawn inside the live fragment. Only the section shown is built and sent: the four
    tables one under the other cost the browser more to draw on every open than the
    rest of the page (docs/ARCHITECTURE.md, "Budgets")."""
    sections: dict[str, Callable[[], None]] = {
        "feedback": lambda: feedback_section(frames),
        "flaw": lambda: flaws_section(frames),
        "kpi_reading": lambda: kpi_section(ctx, frames),
        "decision": lambda: decisions_section(ctx, frames),
    }
    sections[board_view()]()


def board_view() -> str:
    """Which section the board shows, chosen above it (a segmented control: lazy
    ``st.tabs`` cost the browser more than the tables they spared). It follows what the
    editor edits, so what is saved is seen; a section picked by hand stays until the
    editor turns to another kind."""
    editing_kind = step_page.edit_kind(5)
    follows = editing_kind if editing_kind in BOARD_VIEWS else KINDS[0]
    turned = st.session_state.get(_BOARD_FOLLOWS) != follows
    if turned or st.session_state.get(BOARD_VIEW_KEY) not in BOARD_VIEWS:
        st.session_state[_BOARD_FOLLOWS] = follows
        st.session_state[BOARD_VIEW_KEY] = follows
    return str(
        st.segmented_control(
            "Show on the board",
            list(BOARD_VIEWS),
            key=BOARD_VIEW_KEY,
            required=True,
            format_func=BOARD_VIEWS.__getitem__,
            label_visibility="collapsed",
            width="stretch",
        )
    )


def _names(table: pa.Table | pd.DataFrame) -> list[str]:
    """A table's column names (Arrow or pandas)."""
    return [str(c) for c in (table.column_names if isinstance(table, pa.Table) else table.columns)]


def _arrow(table: pd.DataFrame) -> pa.Table:
    """A board table as Arrow, converted once per state of the canvas, not per rerun."""
    return pa.Table.from_pandas(table, preserve_index=False)


def _feedback_view(frames: Frames) -> tuple[int, str, pa.Table]:
    """(count, summary badges, table) of the feedback, latest first."""
    frame = loop.feedback_latest_first(frames["feedback"])
    counts = {s: int((frame["sentiment"] == s).sum()) for s in SENTIMENT_ICONS}
    untied = int(frame["feature_id"].isna().sum())
    summary = _badges(counts, SENTIMENT_COLORS, {s: s for s in counts})
    if untied:
        summary += " " + _badge(f"{untied} not tied to a feature", "orange")
    features = board.titles(frames, "feature")
    table = pd.DataFrame(
        {
            "Date": frame["received_on"].map(_day),
            "Mood": frame["sentiment"].map(SENTIMENT_ICONS),
            "Feedback": frame["text"],
            "Feature": frame["feature_id"].map(features),
            "Source": frame["source"].map(choice),
            "Kind": frame["kind"].map(choice),
            "From": frame["author"],
        }
    )
    return len(frame), summary, _arrow(table)


def feedback_section(frames: Frames) -> None:
    if frames["feedback"].empty:
        board.heading(
            "Feedback",
            0,
            note="No feedback yet — add what users said in tests, interviews, surveys, "
            "support tickets or analytics, in the editor (What to edit → Feedback).",
        )
        return
    count, summary, table = chart_view.cached(
        frames, "feedback.table", lambda: _feedback_view(frames)
    )
    board.heading("Feedback", count, extra=summary)
    st.dataframe(
        table,
        hide_index=True,
        width="stretch",
        height=min(38 + 35 * count, 400),
        column_order=layout.columns(FEEDBACK_COMPACT, _names(table)),
        column_config={
            "Date": st.column_config.DateColumn(format="YYYY-MM-DD", width=85),
            "Mood": st.column_config.TextColumn(
                width=45, help="Sentiment: 🙂 positive, 😐 neutral, 🙁 negative"
            ),
            "Feedback": st.column_config.TextColumn(width="large" if layout.is_wide() else 140),
            "Feature": st.column_config.TextColumn(width=100),
            "Source": st.column_config.TextColumn(width=80),
        },
        placeholder="—",
    )
    chart_view.show(
        frames,
        "feedback",
        lambda width: charts.feedback_chart(frames["feedback"], width=width),
        width=BOARD_WIDTH,
        folded="Feedback over time",
    )


def flaws_section(frames: Frames) -> None:
    if frames["flaw"].empty:
        board.heading(
            "Flaws & fixes",
            0,
            note="No flaws recorded — when feedback shows something broken or confusing, "
            "add it as a flaw with its severity and the fix, who owns it and where it stands.",
        )
        return
    count, summary, table = chart_view.cached(frames, "flaws.table", lambda: _flaws_view(frames))
    board.heading("Flaws & fixes", count, extra=summary)
    st.dataframe(
        table,
        hide_index=True,
        width="stretch",
        column_order=layout.columns(FLAWS_COMPACT, _names(table)),
        column_config={
            "Severity": st.column_config.TextColumn(width=85),
            "Flaw": st.column_config.TextColumn(width=120),
            "Fix status": st.column_config.TextColumn(width=80),
            "Fix owner": st.column_config.TextColumn(width=75),
            "Fix": st.column_config.TextColumn(width="large" if layout.is_wide() else 100),
        },
        placeholder="—",
    )
    chart_view.show(
        frames,
        "flaws",
        lambda width: charts.flaws_chart(frames["flaw"], width=width),
        folded="Flaws by severity",
    )


def _flaws_view(frames: Frames) -> tuple[int, str, pa.Table]:
    """(count, summary badges, table) of the flaws, most urgent first."""
    frame = frames.flaws
    open_flaws = frame[frame["is_open"]]
    counts = {s: int((open_flaws["severity"] == s).sum()) for s in flaw_urgency.SEVERITY_RANK}
    colors = {"critical": "red", "high": "orange", "medium": "yellow", "low": "gray"}
    summary = _badges(counts, colors, {s: f"{s} open" for s in counts}) or _badge(
        "every fix done", "green"
    )
    closed = len(frame) - len(open_flaws)
    if closed and len(open_flaws):
        summary += " " + _badge(f"{closed} fixed or closed", "gray")
    features = board.titles(frames, "feature")
    table = pd.DataFrame(
        {
            "Severity": frame["severity"].map(lambda s: f"{SEVERITY_ICONS.get(s, '')} {s}"),
            "Flaw": frame["title"],
            "Fix status": frame["fix_status"].map(choice),
            "Fix owner": frame["fix_owner"],
            "Fix": frame["fix"],
            "Feature": frame["feature_id"].map(features),
        }
    )
    return len(frame), summary, _arrow(table)


def kpi_table(kpis: pd.DataFrame) -> pd.DataFrame:
    """The KPIs against target, for reading (one row per key result)."""
    trend = []
    for latest, previous in zip(kpis["latest"], kpis["previous"], strict=True):
        if math.isnan(latest) or math.isnan(previous) or latest == previous:
            trend.append("")
        else:
            trend.append(" ↑" if latest > previous else " ↓")
    return pd.DataFrame(
        {
            "KPI": kpis["metric"],
            "Progress": kpis["percent"],
            "Latest": [
                number(v, u) + t
                for v, u, t in zip(kpis["latest"], kpis["unit"], trend, strict=True)
            ],
            "Target": [number(v, u) for v, u in zip(kpis["target"], kpis["unit"], strict=True)],
            "Baseline": [number(v, u) for v, u in zip(kpis["baseline"], kpis["unit"], strict=True)],
            "As of": kpis["latest_on"].map(_day),
            "By": kpis["target_date"].map(_day),
        }
    )


KPI_COLUMNS = {
    "Progress": st.column_config.ProgressColumn(
        help="How far the latest reading has come from the baseline toward the target: "
        "(latest − baseline) ÷ (target − baseline).",
        format="%.0f%%",
        min_value=0.0,
        max_value=100.0,
        width=100,
    ),
    "KPI": st.column_config.TextColumn(width=120),
    "As of": st.column_config.DateColumn(
        format="YYYY-MM-DD", help="Date of the latest reading", width=85
    ),
    "By": st.column_config.DateColumn(format="YYYY-MM-DD", help="Target date"),
}


def kpi_section(ctx: PageContext, frames: Frames) -> None:
    readings = frames["kpi_reading"]
    extra = "— each KPI's latest reading against its target"
    if frames["key_result"].empty:
        board.heading(
            "KPI readings",
            len(readings),
            extra=extra,
            note="No KPIs yet — KPIs are the key results of step 2 (Vision). Give one a "
            "baseline and a target there; then record its readings here.",
        )
        links.page_link(
            steps.STEPS[2].page,
            label="Set key results in step 2",
            icon=":material/flag:",
            query_params=ctx.link_params,
        )
        return
    board.heading("KPI readings", len(readings), extra=extra)
    kpis = frames.kpis
    table = chart_view.cached(frames, "kpi.table", lambda: _arrow(kpi_table(kpis)))
    st.dataframe(
        table,
        hide_index=True,
        width="stretch",
        column_config=KPI_COLUMNS,
        column_order=layout.columns(KPIS_COMPACT, _names(table)),
        placeholder="—",
    )
    chart_view.show(
        frames,
        "kpis",
        lambda width: charts.kpi_chart(readings, frames["key_result"], columns=1, width=width),
        width=BOARD_WIDTH,
        folded="KPIs against their targets",
    )
    unread = kpis[kpis["readings"] == 0]
    if len(unread):
        names = ", ".join(f"“{md(str(n))}”" for n in unread["metric"].head(3))
        more = f" and {len(unread) - 3} more" if len(unread) > 3 else ""
        st.caption(f"No reading yet for {names}{more} — record one in the editor (KPI readings).")
    every = None
    if not readings.empty:
        every = layout.fold(
            f"Every reading ({len(readings)})", key=EVERY_READING_KEY, icon=":material/history:"
        )
    if every is not None:
        with every:
            st.dataframe(
                chart_view.cached(frames, "kpi.readings", lambda: _readings_table(frames)),
                hide_index=True,
                width="stretch",
                column_config={"Date": st.column_config.DateColumn(format="YYYY-MM-DD")},
                placeholder="—",
            )


def _readings_table(frames: Frames) -> pa.Table:
    """Every KPI reading, latest first."""
    readings = frames["kpi_reading"]
    kpi_names = board.titles(frames, "key_result")
    units = dict(zip(frames["key_result"]["id"], frames["key_result"]["unit"], strict=True))
    ordered = readings.assign(_on=pd.to_datetime(readings["measured_on"])).sort_values(
        ["_on", "id"], ascending=False
    )
    return _arrow(
        pd.DataFrame(
            {
                "Date": ordered["measured_on"].map(_day),
                "KPI": ordered["key_result_id"].map(kpi_names),
                "Value": [
                    number(v, units.get(k, ""))
                    for v, k in zip(ordered["value"], ordered["key_result_id"], strict=True)
                ],
                "Note": ordered["note"],
            }
        )
    )


def decision_label(decision: Any, status: Any) -> str:
    if isinstance(decision, str) and decision:
        return f"{DECISION_ICONS.get(decision, '')} {loop.DECISION_LABELS.get(decision, decision)}"
    return "⚠️ needs a decision" if status == "shipped" else "— not yet"


class _Decisions(NamedTuple):
    summary: str
    features: int  # building or shipped, so up for a decision
    waiting: list[str]  # shipped, waiting for a decision
    table: pa.Table


def _decisions_view(frames: Frames) -> _Decisions:
    log = frames.decision_log
    decided = log[log["decision"].notna()]
    counts = {d: int((decided["decision"] == d).sum()) for d in loop.DECISION_LABELS}
    summary = _badges(
        counts, DECISION_COLORS, {k: v.lower() for k, v in loop.DECISION_LABELS.items()}
    )
    if log.empty:  # nothing building or shipped: nothing to decide
        return _Decisions(summary, 0, [], pa.table({}))
    table = pd.DataFrame(
        {
            "Feature": log["feature"],
            "Status": log["status"].map(choice),
            "Decision": [
                decision_label(d, s) for d, s in zip(log["decision"], log["status"], strict=True)
            ],
            "Why": log["rationale"],
            "Decided": log["decided_on"].map(_day),
        }
    )
    waiting = [str(t) for t in log[log["needs_decision"]]["feature"]]
    return _Decisions(summary, len(log), waiting, _arrow(table))


def _waiting(titles: list[str]) -> str:
    """The line under the decisions' heading naming the shipped features that wait for
    a decision (HTML; the titles escaped)."""
    names = ", ".join(f"“{text.h(t)}”" for t in titles[:3])
    more = f" and {len(titles) - 3} more" if len(titles) > 3 else ""
    noun = "feature waits" if len(titles) == 1 else "features wait"
    flagged = (
        f'<span class="sc-fg-orange">{text.icon("priority_high")} <span class="sc-strong">'
        f"{len(titles)} shipped {noun} for a decision:</span> {names}{more}.</span>"
    )
    return text.line(f"{flagged} Declare victory, iterate or roll back in the editor (Decisions).")


def decisions_section(ctx: PageContext, frames: Frames) -> None:
    view: _Decisions = chart_view.cached(frames, "decisions", lambda: _decisions_view(frames))
    heading = partial(board.heading, "Decisions", len(frames["decision"]), extra=view.summary)
    if not view.features:
        heading(
            note="No feature is building or shipped yet — once one is (its status in step "
            "3), decide here whether to declare victory, iterate or roll back, and why."
        )
        links.page_link(
            steps.STEPS[3].page,
            label="See the features in step 3",
            icon=":material/design_services:",
            query_params=ctx.link_params,
        )
        return
    heading(lines=[_waiting(view.waiting)] if view.waiting else ())
    st.dataframe(
        view.table,
        hide_index=True,
        width="stretch",
        column_order=layout.columns(DECISIONS_COMPACT, _names(view.table)),
        column_config={
            "Feature": st.column_config.TextColumn(width=120),
            "Decision": st.column_config.TextColumn(width=120),
            "Why": st.column_config.TextColumn(width="large" if layout.is_wide() else 120),
            "Decided": st.column_config.DateColumn(format="YYYY-MM-DD", width=85),
        },
        placeholder="—",
    )


# ------------------------------------------------------------------------ editors


def _edit(
    ctx: PageContext,
    kind: str,
    *,
    preset: dict[str, Any] | None = None,
    names: dict[int, str] | None = None,
    extra: Any = None,
    describe: Callable[[dict[str, Any]], str] | None = None,
) -> int | None:
    """The picker and the editor of ``kind``; returns the open item's id (None: new).
    ``describe(values)`` names an item whose title field does not (a KPI reading)."""
    editor.notice(kind, describe)
    chosen = editor.picker(ctx, kind, names=names)
    item_id = chosen if isinstance(chosen, int) else None
    editor.editor(ctx, kind, item_id, preset=preset, extra=extra, describe=describe)
    return item_id


def feedback_editor(ctx: PageContext) -> None:
    """The feedback editor, and for an open item the way back to step 1."""
    item_id = _edit(ctx, "feedback", preset={"received_on": date.today()})
    if item_id is not None and editing.opened("feedback") == str(item_id):
        send_back_panel(ctx, item_id)


def _unsaved(kind: str, item_id: int) -> bool:
    edit = editing.Edit.get(kind, item_id)
    return edit is not None and bool(edit.changes())


def send_back_panel(ctx: PageContext, feedback_id: int) -> None:
    """One click sends the open feedback to step 1 as a problem, persona or assumption."""
    assert ctx.token is not None
    with ctx.read() as session:
        made = loop.sent_from(session=session, canvas_token=ctx.token, feedback_id=feedback_id)
    with st.container(border=True):
        st.markdown("**:material/undo: Send back to step 1**")
        st.caption(
            "Does this feedback reveal a new problem, persona or assumption? One click adds "
            "it to Problem & audience, noting where it came from. The feedback stays here."
        )
        sent = st.session_state.pop(SENT_KEY, None)
        if sent is not None:
            label, title = sent
            st.success(f"Sent to step 1 as {label} “{md(title)}”.", icon=":material/check_circle:")
        error = st.session_state.pop(SEND_ERROR_KEY, None)
        if isinstance(error, ServiceError):
            messages.show_error(error)
        elif error:
            st.info(error, icon=":material/sync_problem:")
        for kind, row in made:
            if sent is None:
                label = items.ITEM_TYPES[kind].noun
                st.caption(f"Already sent as {label} “{md(items.item_title(row))}”.")
        if made or sent is not None:
            links.page_link(
                steps.STEPS[1].page,
                label="Open it in Problem & audience",
                icon=":material/arrow_forward:",
                query_params=ctx.link_params,
            )
        unsaved = _unsaved("feedback", feedback_id)
        with st.container(horizontal=True, gap="small"):
            for kind in loop.SEND_KINDS:
                label = items.ITEM_TYPES[kind].noun
                st.button(
                    f"As {'an' if label[0] in 'aeiou' else 'a'} {label}",
                    key=f"step5.send.{kind}",
                    icon=SEND_ICONS[kind],
                    on_click=_send_back,
                    args=(ctx, feedback_id, kind),
                    disabled=unsaved,
                )
        if unsaved:
            st.caption("Save or discard your changes first: the saved feedback is what is sent.")


def _send_back(ctx: PageContext, feedback_id: int, kind: str) -> None:
    assert ctx.token is not None
    edit = editing.Edit.get("feedback", feedback_id)
    base = edit.base_version if edit is not None else None
    try:
        with ctx.write() as session:
            row = loop.send_to_step_one(
                session=session,
                canvas_token=ctx.token,
                feedback_id=feedback_id,
                as_kind=kind,  # type: ignore[arg-type]
                expected_version=base,
                actor=identity.actor(ctx),
            )
            title, new_id = items.item_title(row), row.id
    except ConflictError:
        # Nothing unsaved here (the buttons need a saved editor): reload the feedback as
        # it is now, so what is sent next is what the user sees.
        if edit is not None:
            edit.close(ctx)
        st.session_state[SEND_ERROR_KEY] = (
            "Someone else changed this feedback after you opened it, so nothing was sent. "
            "It now shows their version: check it and send it again."
        )
        return
    except ServiceError as error:
        st.session_state[SEND_ERROR_KEY] = error
        return
    st.session_state[SENT_KEY] = (items.ITEM_TYPES[kind].noun, title)
    # Step 1 opens on the new item, ready to complete.
    step_page.choose_kind(1, kind)
    editing.open_item(kind, new_id)


def kpi_reading_editor(ctx: PageContext) -> None:
    """Readings of the KPIs of step 2; without a KPI, where to make one."""
    kpis, readings = ctx.snapshot().rows["key_result"], ctx.snapshot().rows["kpi_reading"]
    if not kpis:
        st.info(
            "There is no KPI to read yet. KPIs are the key results of step 2: add one there "
            "with its baseline and target, then record its readings here.",
            icon=":material/monitoring:",
        )
        links.page_link(
            steps.STEPS[2].page,
            label="Add a key result in step 2",
            icon=":material/arrow_forward:",
            query_params=ctx.link_params,
        )
        return
    metric = {kr.id: kr for kr in kpis}

    def describe(values: dict[str, Any]) -> str:
        kr = metric.get(values.get("key_result_id") or 0)
        value = number(values.get("value"), kr.unit if kr else "")
        on = values.get("measured_on")
        when = f" on {on:%Y-%m-%d}" if isinstance(on, date) else ""
        return f"“{kr.metric if kr else 'a KPI'}” at {value}{when}"

    names = {}
    for r in readings:
        kr = metric.get(r.key_result_id)
        value = number(r.value, kr.unit if kr else "")
        names[r.id] = f"{kr.metric if kr else 'KPI'} · {r.measured_on:%Y-%m-%d} · {value}"
    _edit(
        ctx,
        "kpi_reading",
        preset={"key_result_id": kpis[0].id, "measured_on": date.today()},
        names=names,
        describe=describe,
    )


def decision_editor(ctx: PageContext) -> None:
    """One decision per feature; starts on the first shipped feature still waiting."""
    features, log = ctx.snapshot().titles("feature"), ctx.snapshot().decision_log
    if not features:
        st.info(
            "There is no feature to decide on yet. Features come from step 3 (Designs); "
            "once one is building or shipped, decide here whether it worked.",
            icon=":material/design_services:",
        )
        links.page_link(
            steps.STEPS[3].page,
            label="Add features in step 3",
            icon=":material/arrow_forward:",
            query_params=ctx.link_params,
        )
        return
    decided = log[log["decision_id"].notna()]
    by_feature = {
        int(f): (int(d), str(c))
        for f, d, c in zip(
            decided["feature_id"], decided["decision_id"], decided["decision"], strict=True
        )
    }
    names = {
        d: f"{features.get(f, 'Feature')} — {loop.DECISION_LABELS.get(c, c).lower()}"
        for f, (d, c) in by_feature.items()
    }
    candidates = [int(f) for f in log.loc[~log["decision_id"].notna(), "feature_id"]]
    candidates += [f for f in features if f not in by_feature]
    preset = {
        "feature_id": candidates[0] if candidates else next(iter(features)),
        "decided_on": date.today(),
    }

    def already_decided(edit: editing.Edit) -> None:
        if not edit.is_new:
            return None
        chosen = edit.value("feature_id")
        if chosen in by_feature:
            decision_id, current = by_feature[chosen]
            st.info(
                f"“{md(features.get(chosen, 'This feature'))}” already has a decision "
                f"({loop.DECISION_LABELS.get(current, current).lower()}). A feature has one "
                "decision: open it to change it.",
                icon=":material/info:",
            )
            st.button(
                "Open its decision",
                key="step5.open_decision",
                icon=":material/edit:",
                on_click=editing.open_item,
                args=("decision", decision_id),
            )
        return None

    def describe(values: dict[str, Any]) -> str:
        feature = features.get(values.get("feature_id") or 0, "a feature")
        choice = loop.DECISION_LABELS.get(str(values.get("decision")), "no decision")
        return f"“{feature}”: {choice.lower()}"

    _edit(
        ctx,
        "decision",
        preset=preset,
        names=names,
        extra=already_decided,
        describe=describe,
    )


EDITORS: Editors = {
    "feedback": feedback_editor,
    "kpi_reading": kpi_reading_editor,
    "decision": decision_editor,
}
