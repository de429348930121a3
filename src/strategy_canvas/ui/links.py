"""Links between the app's pages that keep the open canvas (``?canvas=``) and the
person's own key for their drafts (``?me=``, see :func:`strategy_canvas.ui.editing.owner_key`).

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


#: what every link between the app's pages keeps from the address it is on: the person's
#: key for their drafts, so that a reload on any page finds them again
KEPT_PARAMS = ("me",)


def kept_params() -> dict[str, str]:
    """The query parameters of this address that every link passes on (``me``)."""
    return {name: str(st.query_params[name]) for name in KEPT_PARAMS if st.query_params.get(name)}


def page_link(
    page: str,
    *,
    label: str,
    icon: str | None = None,
    query_params: dict[str, str] | None = None,
    where: DeltaGenerator | None = None,
    **kwargs: Any,
) -> None:
    """``st.page_link`` to one of the app's pages, passing ``query_params`` on, and the
    person's own key (:func:`kept_params`)."""
    target: Any = where if where is not None else st
    given = dict(query_params or {})  # the link's own first: ?canvas=…&me=…
    query_params = {**given, **{k: v for k, v in kept_params().items() if k not in given}}
    try:
        target.page_link(page, label=label, icon=icon, query_params=query_params or None, **kwargs)
    except StreamlitPageNotFoundError:
        if kwargs.get("disabled"):
            target.caption(label)
            return
        query = f"?{urlencode(query_params)}" if query_params else ""
        target.markdown(f"[{label}](./{url_path(page)}{query})")
