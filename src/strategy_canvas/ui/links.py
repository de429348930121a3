"""Links between the app's pages that keep the open canvas (``?canvas=``).

``st.page_link`` resolves a page file against the main script's folder and only knows
the pages Streamlit registered. When a page file is itself run as the main script (a
benchmark or a test doing ``AppTest.from_file("pages/2_Vision.py")``) the other pages
are unknown to it, so the link falls back to a plain relative URL.
"""

from __future__ import annotations

import re
from pathlib import PurePosixPath
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

import streamlit as st
from streamlit.errors import StreamlitPageNotFoundError

from strategy_canvas.ui.steps import HOME_PAGE

if TYPE_CHECKING:
    from streamlit.delta_generator import DeltaGenerator


def url_path(page: str) -> str:
    """The URL path Streamlit serves ``page`` at: ``pages/2_Vision.py`` -> ``Vision``."""
    if page == HOME_PAGE:
        return ""
    return re.sub(r"^\d+[_ -]*", "", PurePosixPath(page).stem)


def page_link(
    page: str,
    *,
    label: str,
    icon: str | None = None,
    query_params: dict[str, str] | None = None,
    where: DeltaGenerator | None = None,
    **kwargs: Any,
) -> None:
    """``st.page_link`` to one of the app's pages, passing ``query_params`` on."""
    target: Any = where if where is not None else st
    try:
        target.page_link(page, label=label, icon=icon, query_params=query_params or None, **kwargs)
    except StreamlitPageNotFoundError:
        if kwargs.get("disabled"):
            target.caption(label)
            return
        query = f"?{urlencode(query_params)}" if query_params else ""
        target.markdown(f"[{label}](./{url_path(page)}{query})")
