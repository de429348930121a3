"""Step 3 — Designs: features, stories and epics with their sketches and criteria, and
the prioritisation that helps the team decide between them."""

import streamlit as st

from strategy_canvas import ui
from strategy_canvas.ui import designs, prioritisation, step_page, step_views

ctx = ui.page_setup("Designs", step=3)
if ctx.canvas is None:
    step_views.no_canvas_open(ctx)
    st.stop()

prioritisation.apply_grid_edits(ctx)  # first, so everything below shows the saved scores
step_page.header(ctx)
# Only the open tab runs: the board and editor, or the prioritisation.
features_tab, prioritise_tab = st.tabs(designs.TABS, key=designs.TAB_KEY, on_change="rerun")
if features_tab.open:
    with features_tab:
        step_page.workspace(ctx, designs.KINDS, designs.render_board, editors=designs.EDITORS)
if prioritise_tab.open:
    with prioritise_tab:
        prioritisation.section(ctx)
