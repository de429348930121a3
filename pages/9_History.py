"""History — who changed what (live), what changed since a version, the named
versions, and the trash."""

import streamlit as st

from strategy_canvas import ui
from strategy_canvas.ui import history_page, step_views

ctx = ui.page_setup(history_page.TITLE)
if ctx.canvas is None:
    step_views.no_canvas_open(ctx)
    st.stop()

history_page.show(ctx)
