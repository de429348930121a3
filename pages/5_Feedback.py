"""Step 5 — Feedback, flaws & fixes: feedback, flaws with their fixes, KPI readings
against target and a decision per feature; feedback can go back to step 1."""

from functools import partial

import streamlit as st

from strategy_canvas import ui
from strategy_canvas.ui import feedback, step_page, step_views

ctx = ui.page_setup("Feedback, flaws & fixes", step=5)
if ctx.canvas is None:
    step_views.no_canvas_open(ctx)
    st.stop()

step_page.header(ctx)
step_page.workspace(
    ctx, feedback.KINDS, partial(feedback.render_board, ctx), editors=feedback.EDITORS
)
