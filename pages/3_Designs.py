"""Step 3 — Designs: features, stories and epics scored for priority, criteria, sketches."""

import streamlit as st

from strategy_canvas import ui
from strategy_canvas.ui import designs, step_page, step_views

ctx = ui.page_setup("Designs", step=3)
if ctx.canvas is None:
    step_views.no_canvas_open(ctx)
    st.stop()

step_page.header(ctx)
step_page.workspace(ctx, designs.KINDS, designs.render_board, editors=designs.EDITORS)
