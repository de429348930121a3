"""Overview — the whole canvas on one screen: the next action, the problem, personas and
vision, the top features and roadmap, the KPIs and open flaws, and each step's progress."""

import streamlit as st

from strategy_canvas import ui
from strategy_canvas.ui import overview, step_views

ctx = ui.page_setup("Overview", step=0)
if ctx.canvas is None:
    step_views.no_canvas_open(ctx)
    st.stop()

overview.show(ctx)
