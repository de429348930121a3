"""Export: the stakeholder PDF, Markdown, CSV and JSON; imports of backlogs and canvases."""

import streamlit as st

from strategy_canvas import ui
from strategy_canvas.ui import backlog_import, export_page, step_views

ctx = ui.page_setup("Export")
if ctx.canvas is None:
    step_views.no_canvas_open(ctx)
    st.stop()

st.caption("Export & import")
st.title("Share the strategy")
st.markdown(
    "Hand stakeholders a polished PDF of the canvas — led by the vision, with every "
    "step's tables and charts — or take it elsewhere as Markdown, CSV or JSON."
)
export_tab, backlog_tab, canvas_tab = st.tabs(
    ["Export", "Import a backlog (CSV)", "Import a canvas (JSON)"]
)
with export_tab:
    export_page.export_panel(ctx)
with backlog_tab:
    backlog_import.backlog_import(ctx)
with canvas_tab:
    export_page.canvas_import(ctx)
