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
from dataclasses import dataclass
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


def _more(count: int, noun: str) -> str:
    return text.line(f"and {count} more {noun}".rstrip(), "gray", small=True) if count > 0 else ""


def _caption(html_text: str) -> str:
    return text.line(html_text, "gray", small=True)


@dataclass(frozen=True)
class Card:
    """One card of the Overview: its title, icon (a Material Symbols name), its body as
    HTML (user text escaped) and, in an empty state, the step to go to (step, label)."""

    title: str
    icon: str
    body: str
    go: tuple[int, str] | None = None

    @property
    def html(self) -> str:
        heading = f'<div class="sc-title">{text.icon(self.icon)} {text.h(self.title)}</div>'
        return heading + self.body


def cards_row(ctx: PageContext, row: list[Card], weights: list[int]) -> None:
    """A row of cards of equal height, wrapping under each other where there is no room:
    one st.html for the whole row (docs/ARCHITECTURE.md, "Budgets"); a row with an empty
    state's link to its step draws its cards in columns, the link under the card's text
    (a link to another page must be a page link to keep the session)."""
    if all(card.go is None for card in row):
        st.html(
            '<div class="sc-row">'
            + "".join(
                f'<div class="sc-card sc-w{weight}">{card.html}</div>'
                for card, weight in zip(row, weights, strict=True)
            )
            + "</div>"
        )
        return
    for column, card in zip(st.columns(weights), row, strict=True):
        slug = re.sub(r"[^a-z0-9]+", "-", card.title.lower().split(" · ")[0]).strip("-")
        with column, st.container(border=True, height="stretch", key=f"{layout.CARD_KEY}{slug}"):
            st.html(card.html)
            if card.go is not None:
                _go(ctx, *card.go)


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
    cards_row(ctx, [problem_card(frames), personas_card(frames), vision_card(frames)], [4, 3, 4])
    cards_row(ctx, [features_card(frames), roadmap_card(frames)], [1, 1])
    cards_row(ctx, [kpis_card(frames), flaws_card(frames)], [1, 1])
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
        st.html(
            '<div class="sc-metric"><div class="sc-metric-label">Canvas complete</div>'
            f'<div class="sc-metric-value">{percent_text(overall)}</div></div>' + text.bar(overall)
        )


def problem_card(frames: Frames) -> Card:
    problems = frames["problem"]
    if problems.empty:
        return Card(
            "The problem",
            "report",
            _caption("No problem written yet — every strategy starts from one worth solving."),
            (1, "Write the problem in step 1"),
        )
    first = problems.iloc[0]
    lines = [text.line(text.h(_text(first["title"])), strong=True)]
    statement = _text(first["statement"])
    if statement:
        lines.append(text.line(text.h(_cut(statement, STATEMENT_LIMIT))))
    else:
        lines.append(
            _caption("No statement yet: say who has the problem, when, and what it costs them.")
        )
    others = [f"“{text.h(_text(t))}”" for t in problems["title"].iloc[1:4]]
    if others:
        more = f" and {len(problems) - 4} more" if len(problems) > 4 else ""
        lines.append(_caption(f"Also: {', '.join(others)}{more}"))
    return Card("The problem", "report", "".join(lines))


def personas_card(frames: Frames) -> Card:
    personas = frames["persona"]
    if personas.empty:
        return Card(
            "For whom",
            "groups",
            _caption("No personas or segments yet — name who has the problem."),
            (1, "Add personas in step 1"),
        )
    entries = []
    for row in personas.head(LIST_LIMIT).to_dict("records"):
        tag = " " + text.badge("segment", "gray") if row["kind"] == "segment" else ""
        entries.append(f'<li><span class="sc-strong">{text.h(_text(row["name"]))}</span>{tag}</li>')
    body = '<ul class="sc-list">' + "".join(entries) + "</ul>"
    return Card("For whom", "groups", body + _more(len(personas) - LIST_LIMIT, "personas"))


def vision_card(frames: Frames) -> Card:
    vision = frames["vision"]
    parts: dict[str, Any] = vision.iloc[0].to_dict() if len(vision) else {}
    statement = _text(parts.get("statement"))
    if not statement and _text(parts.get("target")) and _text(parts.get("benefit")):
        statement = vision_statement.compose(
            {k: _text(parts.get(k)) for k in vision_statement.PARTS}
        )
    lines = []
    go = None
    if not statement:
        lines.append(
            _caption("No vision statement yet — say where the product is going, and for whom.")
        )
        go = (2, "Write the vision in step 2")
    else:
        lines.append(text.line(f"<em>{text.h(_cut(statement, STATEMENT_LIMIT))}</em>"))
    north_star = _text(parts.get("north_star_metric"))
    if north_star:
        target = _text(parts.get("north_star_target"))
        lines.append(
            text.line(
                f'{text.icon("star")} <span class="sc-strong">North star:</span> '
                + text.h(north_star)
                + (f" — {text.h(target)}" if target else "")
            )
        )
    return Card("Vision", "flag", "".join(lines), go)


def features_card(frames: Frames) -> Card:
    title, icon = "Top features by RICE", "star"
    if frames["feature"].empty:
        return Card(
            title,
            icon,
            _caption("No features yet — design what reaches the goals, then score it."),
            (3, "Design features in step 3"),
        )
    body = chart_view.cached(frames, "overview.top.html", lambda: _top_features(frames))
    if not body:
        return Card(
            title,
            icon,
            _caption(
                "No feature is scored yet — give reach, impact, confidence and effort to "
                "rank them by RICE."
            ),
            (3, "Score features in step 3"),
        )
    return Card(title, icon, body)


def _top_features(frames: Frames) -> str:
    """The top features and what is left out, as HTML, once per canvas state ("" when
    none is scored)."""
    top = frames.top_features.head(TOP_FEATURES)
    lines = []
    for row in top.to_dict("records"):
        status = row["status"]
        badge = text.badge(text.h(choice(status)), STATUS_COLORS.get(status, "gray"))
        lines.append(
            text.line(
                f'<span class="sc-rank">{int(row["rice_rank"])}.</span> '
                f'<span class="sc-strong sc-top">{text.h(_text(row["title"]))}</span> {badge} '
                f'<span class="sc-fg-gray">· RICE {row["rice_score"]:,.0f}</span>'
            )
        )
    if not lines:
        return ""
    notes = [top_features.left_out_note(top, frames["feature"], frames.ranks)]
    unscored = int(frames.ranks["rice_score"].isna().sum())
    if unscored:
        notes.append(f"{unscored} more not scored yet.")
    note = " ".join(n for n in notes if n)
    return "".join(lines) + (_caption(text.h(note)) if note else "")


def roadmap_card(frames: Frames) -> Card:
    roadmap = frames["roadmap_item"]
    if roadmap.empty:
        return Card(
            "Roadmap",
            "route",
            _caption("Nothing on the roadmap yet — place features on now, next and later."),
            (4, "Plan the roadmap in step 4"),
        )
    return Card(
        "Roadmap", "route", chart_view.cached(frames, "overview.lanes", lambda: lanes_html(roadmap))
    )


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


def kpis_card(frames: Frames) -> Card:
    title, icon = "KPIs against target", "monitoring"
    if frames["key_result"].empty:
        return Card(
            title,
            icon,
            _caption("No KPIs yet — give each goal a key result with a baseline and a target."),
            (2, "Set key results in step 2"),
        )
    body = chart_view.cached(frames, "overview.kpis.html", lambda: _kpis(frames))
    return Card(title, icon, body + _more(len(frames.kpis) - LIST_LIMIT, "KPIs"))


def _kpis(frames: Frames) -> str:
    """Per KPI shown: its name, and its bar with its line (or only the line when there
    is nothing to compare), as HTML, once per canvas state."""
    shown = []
    for row in frames.kpis.head(LIST_LIMIT).to_dict("records"):
        unit = _text(row["unit"])
        target = text.h(number(row["target"], unit))
        shown.append(text.line(text.h(_text(row["metric"])), strong=True))
        if row["readings"] == 0:
            shown.append(_caption(f"No reading yet · target {target}"))
        elif pd.isna(row["percent"]):
            latest = text.h(number(row["latest"], unit))
            shown.append(_caption(f"Latest {latest} · no target to compare"))
        else:
            reached = " · target reached" if row["reached"] else ""
            shown.append(
                '<div class="sc-kpi">'
                + text.line(
                    f"{text.h(number(row['latest'], unit))} → target {target} · "
                    f'<span class="sc-strong sc-percent">{percent_text(row["progress"])}</span>'
                    f"{reached}",
                    small=True,
                )
                + text.bar(kpi_progress.bar_fill(row["progress"]))
                + "</div>"
            )
    return "".join(shown)


def flaws_card(frames: Frames) -> Card:
    flaws = frames.flaws
    open_flaws = flaws[flaws["is_open"]] if not flaws.empty else flaws
    title, icon = f"Open flaws · {len(open_flaws)}", "bug_report"
    if flaws.empty:
        return Card(
            title,
            icon,
            _caption("No flaws recorded yet — step 5 collects them from feedback, with fixes."),
            (5, "Record feedback and flaws in step 5"),
        )
    if open_flaws.empty:
        done = text.line(f"{text.icon('task_alt')} No open flaws — every fix is done.", "green")
        return Card(title, icon, done)
    entries = []
    for row in open_flaws.head(LIST_LIMIT).to_dict("records"):
        owner = _text(row["fix_owner"])
        who = text.h(owner) if owner else '<span class="sc-fg-orange">no owner</span>'
        entries.append(
            f"<li>{SEVERITY_ICONS.get(row['severity'], '')} "
            f'<span class="sc-strong sc-flaw">{text.h(_text(row["title"]))}</span>'
            f'<div><span class="sc-fg-gray">{text.h(str(row["severity"]))} · '
            f"{text.h(choice(row['fix_status']))} ·</span> {who}</div></li>"
        )
    lines = ['<ul class="sc-list">' + "".join(entries) + "</ul>"]
    lines.append(_more(len(open_flaws) - LIST_LIMIT, "open flaws"))
    closed = len(flaws) - len(open_flaws)
    if closed:
        lines.append(_caption(f"{text.icon('task_alt')} {closed} more fixed or closed."))
    return Card(title, icon, "".join(lines))


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
        lambda width: charts.progress_chart(
            progress_frame(step_rows), title="Checks passed per step", width=width
        ),
        folded="Checks passed per step",  # the cards below say the same, step by step
    )
    for column, row in zip(st.columns(len(step_rows)), step_rows, strict=True):
        info = steps.STEPS[row.step]
        if row.missing:
            next_up = _caption(f"Next: {text.h(row.missing[0])}")
        else:
            next_up = text.line(f"{text.icon('task_alt')} Every check passes", "green", small=True)
        with column, st.container(border=True, height="stretch"):
            st.html(
                text.line(f"{row.step}. {text.h(info.title)}", strong=True)
                + text.line(percent_text(row.score), small=True)
                + text.bar(row.score)
                + next_up
            )
            links.page_link(
                info.page,
                label=f"Open step {row.step}",
                icon=":material/arrow_forward:",
                query_params=ctx.link_params,
            )
