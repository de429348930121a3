"""Overview — the canvas at a glance: its name, product, and how far each step has come."""

import streamlit as st

from strategy_canvas import ui
from strategy_canvas.ui import step_views

ctx = ui.page_setup("Overview", step=0)
if ctx.canvas is None:
    step_views.no_canvas_open(ctx)
    st.stop()

step_views.show_overview(ctx)
