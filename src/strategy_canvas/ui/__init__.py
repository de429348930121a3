"""Reusable Streamlit pieces. The only part of the package that imports streamlit.

Pages call :func:`page_setup` first (the composition root, ``setup.py``), then the views
they need; views share only :mod:`.context`.
"""

from strategy_canvas.ui.context import Frames, PageContext
from strategy_canvas.ui.setup import page_setup, warm_up

__all__ = ["Frames", "PageContext", "page_setup", "warm_up"]
