"""Step 5 — Feedback, flaws & fixes: the step's items, read-only for now."""

import streamlit as st

from strategy_canvas import ui
from strategy_canvas.ui import step_views

ctx = ui.page_setup("Feedback, flaws & fixes", step=5)
if ctx.canvas is None:
    step_views.no_canvas_open(ctx)
    st.stop()

step_views.step_header(ctx)
step_views.show_step_items(ctx)
