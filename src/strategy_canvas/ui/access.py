"""Who may see the list of every canvas (docs/ARCHITECTURE.md, "Access and deep links").

Local mode: the machine the app runs on (one person, or a trusted machine): a visitor
from another address (a participant who opens the app's bare address from their laptop)
is treated as in shared mode. Shared mode: only after the admin passcode
(STRATEGY_CANVAS_ADMIN_PASSCODE) or a login through Streamlit's own ``st.login`` (OIDC,
configured in secrets.toml's [auth]). Everyone else reaches a canvas through its link
alone, which always works; the list hands out every canvas's token, and with it the
facilitator's seat of any workshop (see docs/ARCHITECTURE.md, "The facilitator's seat").
"""

from __future__ import annotations

import hmac
import ipaddress
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


def client_address() -> str | None:
    """The visitor's IP address as the server saw it, None for this machine or when
    there is no browser behind the run (a test). Behind a proxy on this machine
    uvicorn takes the address from X-Forwarded-For, which it trusts only from
    127.0.0.1, so the proxy cannot be used to pass for a local visitor."""
    try:
        address = st.context.ip_address
    except Exception:  # no script-run context
        return None
    # AppTest has no browser behind it (its client is a stand-in object)
    return address if isinstance(address, str) else None


def is_local_visitor() -> bool:
    """Whether the visitor sits at the machine the app runs on (a loopback address)."""
    address = client_address()
    if address is None:
        return True
    try:
        return ipaddress.ip_address(address.split("%", 1)[0]).is_loopback
    except ValueError:
        return False


def can_list(settings: Settings) -> bool:
    if settings.access_mode == "local" and is_local_visitor():
        return True
    return bool(st.session_state.get(ADMIN_KEY)) or is_logged_in()
