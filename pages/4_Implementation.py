"""Step 4 — Implementation: the roadmap in now / next / later, dependencies and risks."""

import streamlit as st

from strategy_canvas import ui
from strategy_canvas.ui import implementation, step_page, step_views

ctx = ui.page_setup("Implementation", step=4)
if ctx.canvas is None:
    step_views.no_canvas_open(ctx)
    st.stop()

step_page.header(ctx)
step_page.workspace(
    ctx, implementation.KINDS, implementation.render_board, editors=implementation.EDITORS
)
implementation.timeline_section(ctx)
