"""ui/state.py: the session state's keys, read without computing any widget's value."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest


def _script() -> None:
    import pandas as pd
    import streamlit as st

    from strategy_canvas.ui import state

    st.session_state.setdefault("plain.value", [1, 2])
    st.text_input("Keyed", key="keyed.text")
    st.text_input("Not keyed")
    st.selectbox("Picker", [f"Option {i}" for i in range(300)], key="keyed.picker")
    st.data_editor(pd.DataFrame({"a": [1, 2]}), key="keyed.grid")
    seen, expected = sorted(state.session_keys()), sorted(st.session_state)
    st.session_state["seen"], st.session_state["expected"] = seen, expected


def test_it_names_the_keys_iterating_the_state_names() -> None:
    at = AppTest.from_function(_script).run()
    assert not at.exception
    at.text_input(key="keyed.text").input("typed").run()
    assert not at.exception
    seen, expected = at.session_state["seen"], at.session_state["expected"]
    assert seen == expected
    assert {"plain.value", "keyed.text", "keyed.picker", "keyed.grid", "seen"} <= set(seen)
    assert all(not k.startswith("$$") for k in seen), "a widget without a key was named"
