"""Strategy Canvas — the entry point and the home page: every canvas, and what to do with it.

Run with ``streamlit run app.py``. The five steps and the Overview are the files in
pages/; each of them, like this one, starts with ``ui.page_setup``.
"""

from strategy_canvas import ui
from strategy_canvas.ui import home

ctx = ui.page_setup("Canvases", home=True)
home.show_home(ctx)
