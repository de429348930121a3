"""The keys of the session state, read without computing its widgets' values.

Iterating ``st.session_state`` builds every value first (Streamlit's
``SessionState.filtered_state``): each widget's value is deserialised and presented, a
data editor's edits applied, a picker's choice looked up among its options. After a
feature's save on the large canvas's Designs page that was a tenth of the server's time,
to find a handful of keys by their names. :func:`session_keys` names the same keys (the app's
own and its keyed widgets') and reads no value.
"""

from __future__ import annotations

from streamlit.runtime.state.common import is_element_id, is_keyed_element_id
from streamlit.runtime.state.session_state import _is_internal_key
from streamlit.runtime.state.session_state_proxy import get_session_state


def session_keys() -> list[str]:
    """The keys ``list(st.session_state)`` gives, without reading any value."""
    safe = get_session_state()
    with safe._lock:
        state = safe._state
        names = state._key_id_mapper.id_key_mapping
        found = []
        for key in state._keys():
            if _is_internal_key(key):
                continue
            if not is_element_id(key):
                found.append(key)
            elif is_keyed_element_id(key) and key in names:
                found.append(names[key])
        return found
