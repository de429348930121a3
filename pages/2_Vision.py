"""Step 2 — Vision: the vision statement, value proposition, goals and key results."""

import streamlit as st

from strategy_canvas import ui
from strategy_canvas.ui import step_page, step_views, vision

KINDS = ["vision", "goal", "key_result"]

ctx = ui.page_setup("Vision", step=2)
if ctx.canvas is None:
    step_views.no_canvas_open(ctx)
    st.stop()

step_page.header(ctx)
step_page.workspace(ctx, KINDS, vision.render_board, editors={"vision": vision.vision_editor})
