"""User text inside Streamlit markdown: shown as typed, never as formatting."""

from __future__ import annotations

import re

# CommonMark escapes any ASCII punctuation with a backslash; these are the ones that
# format in Streamlit markdown (":" starts its :color[...] and :material/...: directives).
_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|~<>$:=])")


def md(text: str) -> str:
    """``text`` escaped for st.markdown, captions and labels."""
    return _SPECIAL.sub(r"\\\1", text).replace("\n", "  \n")
