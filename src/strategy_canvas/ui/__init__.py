"""Reusable Streamlit pieces. The only part of the package that imports streamlit.

Pages call :func:`page_setup` first, then the views they need.
"""

from strategy_canvas.ui.setup import PageContext, page_setup

__all__ = ["PageContext", "page_setup"]
