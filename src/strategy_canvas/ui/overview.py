"""The Overview: the whole canvas on one screen, in the spirit of a one-page strategy canvas.

From the top: the next suggested action and how complete the canvas is; the problem,
who has it and the vision; the top features by RICE and the roadmap's lanes; the KPIs
against target and the open flaws; then each step's completeness with a link to it.

It is read-only and drawn inside the live fragment (:func:`board.live_board`), so it
follows every change by itself, on a laptop as on the projector. The completeness is
computed once per change of the canvas for every session (cached by its change counter).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
from typing import TYPE_CHECKING, Any

import pandas as pd
import streamlit as st

from strategy_canvas import charts, vision_statement
from strategy_canvas.rules import kpi_progress, top_features
from strategy_canvas.rules.percent import percent_text
from strategy_canvas.services import progress
from strategy_canvas.ui import board, chart_view, layout, links, since, steps, text
from strategy_canvas.ui.context import Frames
from strategy_canvas.ui.formats import SEVERITY_ICONS, choice, number
from strategy_canvas.ui.text import md

if TYPE_CHECKING:
    from strategy_canvas.ui.context import PageContext

KINDS = [
    "problem",
    "persona",
    "vision",
    "feature",
    "roadmap_item",
    "key_result",
    "kpi_reading",
    "flaw",
]
TOP_FEATURES = 5
LIST_LIMIT = 6
STATEMENT_LIMIT = 420
STATUS_COLORS = {
    "idea": "gray",
    "planned": "blue",
    "building": "orange",
    "shipped": "green",
    "dropped": "gray",
}
LANES = {"now": "Now", "next": "Next", "later": "Later"}


def _text(value: Any) -> str:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return ""
    return str(value).strip()


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rsplit(" ", 1)[0] + " …"


def _more(count: int, noun: str) -> None:
    if count > 0:
        st.caption(f"and {count} more {noun}".rstrip())


@contextmanager
def card(title: str, icon: str) -> Iterator[None]:
    slug = re.sub(r"[^a-z0-9]+", "-", title.lower().split(" · ")[0]).strip("-")
    with st.container(border=True, height="stretch", key=f"{layout.CARD_KEY}{slug}"):
        st.subheader(f"{icon} {title}", anchor=False)
        yield


def _go(ctx: PageContext, step: int, label: str) -> None:
    info = steps.STEPS[step]
    links.page_link(info.page, label=label, icon=info.icon, query_params=ctx.link_params)


# ---------------------------------------------------------------------------- page


def show(ctx: PageContext) -> None:
    """The Overview of the open canvas."""
    canvas = ctx.canvas
    assert canvas is not None
    st.caption("Overview · the whole canvas on one screen")
    st.title(md(canvas.name))
    byline = " · ".join(md(t) for t in (canvas.product, canvas.authors) if t)
    if byline:
        st.markdown(f":gray[{byline}]")
    with st.container(key=layout.OVERVIEW_KEY):
        board.live_board(ctx, partial(render, ctx))


def render(ctx: PageContext, frames: Frames) -> None:
    step_rows = list(frames.steps)
    next_action(ctx, step_rows)
    since.overview_line(ctx)
    left, middle, right = st.columns([4, 3, 4])
    with left:
        problem_card(ctx, frames)
    with middle:
        personas_card(ctx, frames)
    with right:
        vision_card(ctx, frames)
    left, right = st.columns(2)
    with left:
        features_card(ctx, frames)
    with right:
        roadmap_card(ctx, frames)
    left, right = st.columns(2)
    with left:
        kpis_card(ctx, frames)
    with right:
        flaws_card(ctx, frames)
    progress_strip(ctx, frames, step_rows)


# -------------------------------------------------------------------------- parts


def next_action(ctx: PageContext, step_rows: list[progress.StepProgress]) -> None:
    """The next suggested action, prominently, with the canvas's completeness beside it."""
    overall = sum(s.score for s in step_rows) / len(step_rows) if step_rows else 0.0
    action = progress.next_action(step_rows)
    left, right = st.columns([4, 1], vertical_alignment="center")
    with left:
        if action is None:
            st.success(
                "**Every step passes its checks — the canvas is complete.** Keep it current "
                "as feedback comes in.",
                icon=":material/verified:",
            )
        else:
            step = next(s for s in step_rows if s.missing)
            with st.container(border=True):
                st.markdown(f"#### :material/lightbulb: Next: {md(action)}")
                _go(ctx, step.step, f"Go to step {step.step}: {step.title}")
    with right:
        st.metric("Canvas complete", percent_text(overall))
        st.progress(overall)


def problem_card(ctx: PageContext, frames: Frames) -> None:
    problems = frames["problem"]
    with card("The problem", ":material/report:"):
        if problems.empty:
            st.caption("No problem written yet — every strategy starts from one worth solving.")
            _go(ctx, 1, "Write the problem in step 1")
            return
        first = problems.iloc[0]
        st.markdown(f"**{md(_text(first['title']))}**")
        statement = _text(first["statement"])
        if statement:
            st.markdown(md(_cut(statement, STATEMENT_LIMIT)))
        else:
            st.caption("No statement yet: say who has the problem, when, and what it costs them.")
        others = [f"“{md(_text(t))}”" for t in problems["title"].iloc[1:4]]
        if others:
            more = f" and {len(problems) - 4} more" if len(problems) > 4 else ""
            st.caption(f"Also: {', '.join(others)}{more}")


def personas_card(ctx: PageContext, frames: Frames) -> None:
    personas = frames["persona"]
    with card("For whom", ":material/groups:"):
        if personas.empty:
            st.caption("No personas or segments yet — name who has the problem.")
            _go(ctx, 1, "Add personas in step 1")
            return
        lines = []
        for row in personas.head(LIST_LIMIT).to_dict("records"):
            tag = " :gray-badge[segment]" if row["kind"] == "segment" else ""
            lines.append(f"- **{md(_text(row['name']))}**{tag}")
        st.markdown("\n".join(lines))
        _more(len(personas) - LIST_LIMIT, "personas")


def vision_card(ctx: PageContext, frames: Frames) -> None:
    vision = frames["vision"]
    parts: dict[str, Any] = vision.iloc[0].to_dict() if len(vision) else {}
    statement = _text(parts.get("statement"))
    if not statement and _text(parts.get("target")) and _text(parts.get("benefit")):
        statement = vision_statement.compose(
            {k: _text(parts.get(k)) for k in vision_statement.PARTS}
        )
    with card("Vision", ":material/flag:"):
        if not statement:
            st.caption("No vision statement yet — say where the product is going, and for whom.")
            _go(ctx, 2, "Write the vision in step 2")
        else:
            st.markdown(f"*{md(_cut(statement, STATEMENT_LIMIT))}*")
        north_star = _text(parts.get("north_star_metric"))
        if north_star:
            target = _text(parts.get("north_star_target"))
            st.markdown(
                f":material/star: **North star:** {md(north_star)}"
                + (f" — {md(target)}" if target else "")
            )


def features_card(ctx: PageContext, frames: Frames) -> None:
    features = frames["feature"]
    with card("Top features by RICE", ":material/star:"):
        if features.empty:
            st.caption("No features yet — design what reaches the goals, then score it.")
            _go(ctx, 3, "Design features in step 3")
            return
        text, caption = chart_view.cached(frames, "overview.top", lambda: _top_features(frames))
        if not text:
            st.caption(
                "No feature is scored yet — give reach, impact, confidence and effort to "
                "rank them by RICE."
            )
            _go(ctx, 3, "Score features in step 3")
            return
        st.markdown(text)
        if caption:
            st.caption(caption)


def _top_features(frames: Frames) -> tuple[str, str]:
    """(the top features as markdown, what the caption says), once per canvas state."""
    top = frames.top_features.head(TOP_FEATURES)
    lines = []
    for row in top.to_dict("records"):
        status = row["status"]
        badge = f":{STATUS_COLORS.get(status, 'gray')}-badge[{choice(status)}]"
        lines.append(
            f"{int(row['rice_rank'])}\\. **{md(_text(row['title']))}** {badge} "
            f":gray[· RICE {row['rice_score']:,.0f}]"
        )
    notes = [top_features.left_out_note(top, frames["feature"], frames.ranks)]
    unscored = int(frames.ranks["rice_score"].isna().sum())
    if unscored:
        notes.append(f"{unscored} more not scored yet.")
    return "  \n".join(lines), " ".join(n for n in notes if n)


def roadmap_card(ctx: PageContext, frames: Frames) -> None:
    roadmap = frames["roadmap_item"]
    with card("Roadmap", ":material/route:"):
        if roadmap.empty:
            st.caption("Nothing on the roadmap yet — place features on now, next and later.")
            _go(ctx, 4, "Plan the roadmap in step 4")
            return
        st.html(chart_view.cached(frames, "overview.lanes", lambda: lanes_html(roadmap)))


def lanes_html(roadmap: pd.DataFrame) -> str:
    """The roadmap's lanes side by side, each its count and first items (done ones
    struck through, blocked ones badged), as one HTML element; user text escaped."""
    columns = []
    for lane, label in LANES.items():
        in_lane = roadmap[roadmap["lane"] == lane]
        entries = []
        for row in in_lane.head(LIST_LIMIT).to_dict("records"):
            title = text.h(_text(row["title"]))
            if row["status"] == "done":
                entries.append(f'<li><s class="sc-fg-gray">{title}</s> ✓</li>')
            elif row["status"] == "blocked":
                entries.append(f"<li>{title} {text.badge('blocked', 'red')}</li>")
            else:
                entries.append(f"<li>{title}</li>")
        lines = [text.line(f'<span class="sc-strong">{label}</span> · {len(in_lane)}')]
        if entries:
            lines.append('<ul class="sc-list">' + "".join(entries) + "</ul>")
        else:
            lines.append(text.line("Empty", "gray"))
        if len(in_lane) > LIST_LIMIT:
            lines.append(text.line(f"and {len(in_lane) - LIST_LIMIT} more", "gray"))
        columns.append("<div>" + "".join(lines) + "</div>")
    return '<div class="sc-lanes">' + "".join(columns) + "</div>"


def kpis_card(ctx: PageContext, frames: Frames) -> None:
    with card("KPIs against target", ":material/monitoring:"):
        if frames["key_result"].empty:
            st.caption("No KPIs yet — give each goal a key result with a baseline and a target.")
            _go(ctx, 2, "Set key results in step 2")
            return
        for metric, bar, text in chart_view.cached(frames, "overview.kpis", lambda: _kpis(frames)):
            st.markdown(metric)
            if bar is None:
                st.caption(text)
            else:
                st.progress(bar, text=text)
        _more(len(frames.kpis) - LIST_LIMIT, "KPIs")


def _kpis(frames: Frames) -> list[tuple[str, float | None, str]]:
    """Per KPI shown: its name, how full its bar is (None: no bar) and its line, once per
    canvas state."""
    shown: list[tuple[str, float | None, str]] = []
    for row in frames.kpis.head(LIST_LIMIT).to_dict("records"):
        unit = _text(row["unit"])
        target = md(number(row["target"], unit))
        metric = f"**{md(_text(row['metric']))}**"
        if row["readings"] == 0:
            shown.append((metric, None, f"No reading yet · target {target}"))
        elif pd.isna(row["percent"]):
            latest = md(number(row["latest"], unit))
            shown.append((metric, None, f"Latest {latest} · no target to compare"))
        else:
            reached = " · target reached" if row["reached"] else ""
            shown.append(
                (
                    metric,
                    kpi_progress.bar_fill(row["progress"]),
                    f"{md(number(row['latest'], unit))} → target {target} · "
                    f"**{percent_text(row['progress'])}**{reached}",
                )
            )
    return shown


def flaws_card(ctx: PageContext, frames: Frames) -> None:
    flaws = frames.flaws
    open_flaws = flaws[flaws["is_open"]] if not flaws.empty else flaws
    with card(f"Open flaws · {len(open_flaws)}", ":material/bug_report:"):
        if flaws.empty:
            st.caption("No flaws recorded yet — step 5 collects them from feedback, with fixes.")
            _go(ctx, 5, "Record feedback and flaws in step 5")
            return
        if open_flaws.empty:
            st.markdown(":green[:material/task_alt: No open flaws — every fix is done.]")
            return
        lines = []
        for row in open_flaws.head(LIST_LIMIT).to_dict("records"):
            owner = _text(row["fix_owner"])
            who = md(owner) if owner else ":orange[no owner]"
            lines.append(
                f"- {SEVERITY_ICONS.get(row['severity'], '')} **{md(_text(row['title']))}**  \n"
                f"  :gray[{row['severity']} · {choice(row['fix_status'])} ·] {who}"
            )
        st.markdown("\n".join(lines))
        _more(len(open_flaws) - LIST_LIMIT, "open flaws")
        closed = len(flaws) - len(open_flaws)
        if closed:
            st.caption(f":material/task_alt: {closed} more fixed or closed.")


def progress_frame(step_rows: list[progress.StepProgress]) -> pd.DataFrame:
    """The steps' completeness as the progress chart takes it."""
    return pd.DataFrame(
        {
            "step": [row.step for row in step_rows],
            "title": [steps.STEPS[row.step].title for row in step_rows],
            "score": [row.score for row in step_rows],
        }
    )


def progress_strip(
    ctx: PageContext, frames: Frames, step_rows: list[progress.StepProgress]
) -> None:
    st.subheader(":material/checklist: How complete each step is", anchor=False)
    chart_view.show(
        frames,
        "progress",
        lambda: charts.progress_chart(progress_frame(step_rows), title="Checks passed per step"),
        folded="Checks passed per step",  # the cards below say the same, step by step
    )
    for column, row in zip(st.columns(len(step_rows)), step_rows, strict=True):
        info = steps.STEPS[row.step]
        with column, st.container(border=True, height="stretch"):
            st.markdown(f"**{row.step}. {info.title}**")
            st.progress(row.score, text=percent_text(row.score))
            if row.missing:
                st.caption(f"Next: {md(row.missing[0])}")
            else:
                st.caption(":green[:material/task_alt: Every check passes]")
            links.page_link(
                info.page,
                label=f"Open step {row.step}",
                icon=":material/arrow_forward:",
                query_params=ctx.link_params,
            )
