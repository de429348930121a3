"""Step 1 — Problem & audience: problems, personas, alternatives, evidence, assumptions."""

import streamlit as st

from strategy_canvas import charts, ui
from strategy_canvas.ui import board, chart_view, step_page, step_views

KINDS = ["problem", "persona", "alternative", "evidence", "assumption"]

ctx = ui.page_setup("Problem & audience", step=1)
if ctx.canvas is None:
    step_views.no_canvas_open(ctx)
    st.stop()

step_page.header(ctx)


def render(frames: ui.Frames) -> None:
    st.markdown(f"**Problems** · {len(frames['problem'])}")
    board.cards(
        frames,
        "problem",
        body=["statement", "impact"],
        per_row=1,
        empty="No problem yet — start by writing the problem in the editor.",
    )
    st.markdown(f"**Personas & segments** · {len(frames['persona'])}")
    board.cards(frames, "persona", badges=["kind", "problem_id"], body=["jobs", "pains", "gains"])
    st.markdown(f"**Alternatives & competitors** · {len(frames['alternative'])}")
    board.cards(frames, "alternative", badges=["kind"], body=["strengths", "weaknesses"])
    step_page.section(
        frames,
        "evidence",
        columns=["title", "source", "strength"],
        widths={"title": "medium", "source": 130, "strength": 90},
    )
    step_page.section(
        frames,
        "assumption",
        columns=["statement", "importance", "evidence", "status"],
        widths={"statement": "medium", "importance": 90, "evidence": 75, "status": 85},
    )
    if not frames["assumption"].empty:
        chart_view.show(  # at the foot of the board: drawn only when asked for
            frames,
            "assumption_map",
            lambda width: charts.assumption_map(frames["assumption"], width=width),
            folded="Riskiest assumptions",
        )


step_page.workspace(ctx, KINDS, render)
