"""Who may see the list of every canvas (docs/ARCHITECTURE.md, "Access and deep links").

Local mode: everyone (one person, or a trusted machine). Shared mode: only after the
admin passcode (STRATEGY_CANVAS_ADMIN_PASSCODE) or a login through Streamlit's own
``st.login`` (OIDC, configured in secrets.toml's [auth]); everyone else reaches a canvas
through its link alone, which always works.
"""

from __future__ import annotations

import hmac
from typing import TYPE_CHECKING

import streamlit as st

if TYPE_CHECKING:
    from strategy_canvas.config import Settings

#: session-state key owned by this module
ADMIN_KEY = "admin_unlocked"


def auth_configured() -> bool:
    """Whether ``st.login`` is set up: st.user has ``is_logged_in`` only when [auth] exists."""
    try:
        return "is_logged_in" in st.user
    except Exception:  # no script-run context or unreadable secrets
        return False


def is_logged_in() -> bool:
    return auth_configured() and bool(st.user.get("is_logged_in"))


def unlock_with_passcode(settings: Settings, passcode: str) -> bool:
    """Unlock the canvas list for this session if ``passcode`` is the admin passcode."""
    expected = settings.admin_passcode
    if expected and hmac.compare_digest(passcode.encode(), expected.encode()):
        st.session_state[ADMIN_KEY] = True
        return True
    return False


def can_list(settings: Settings) -> bool:
    if settings.access_mode == "local":
        return True
    return bool(st.session_state.get(ADMIN_KEY)) or is_logged_in()
