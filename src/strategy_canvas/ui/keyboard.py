"""Keyboard entry in the editor: Enter in a one-line field saves (or adds) the item, and
the cursor goes back to the editor's first field, ready for the next one; Ctrl+Enter
(⌘+Enter) does the same from a multi-line field.

A Streamlit component (components v2) whose script listens on the page: it only clicks
the editor's own Add or Save button (or the paste box's Add), which runs the same
callback as a mouse click, after Streamlit has taken the field's value.
The editor is found by its container's key (:data:`PANEL_KEY`). Nothing is sent to the
server by the component itself.
"""

from __future__ import annotations

import streamlit as st

#: the key of the container around an editor (Streamlit gives it the CSS class
#: ``st-key-<key>``)
PANEL_KEY = "editpanel"

_JS = r"""
export default function () {
  if (window.__scEnterSaves) return;
  window.__scEnterSaves = true;
  const panelOf = (el) => el && el.closest && el.closest('.st-key-__PANEL__');
  const firstField = (panel) => panel.querySelector(
    'input[type="text"]:not([role="combobox"]):not([disabled]), textarea:not([disabled])'
  );
  // The editor's own Add/Save (ed-…-save) or the paste box's Add (bulk-…-add); never
  // another primary button, such as a conflict's "keep mine".
  const saveButton = (panel) => {
    for (const el of panel.querySelectorAll('[class*="st-key-"]')) {
      if (/(^|\s)st-key-(ed-\S+-save|bulk-\S+-add)(\s|$)/.test(el.className)) {
        const button = el.querySelector('button:not([disabled])');
        if (button) return button;
      }
    }
    return null;
  };
  let refocus = null;
  const app = () => document.querySelector('[data-testid="stApp"]');
  new MutationObserver(() => {
    const root = app();
    if (!refocus || !root || root.getAttribute('data-test-script-state') !== 'notRunning') return;
    const panel = document.querySelector('.st-key-__PANEL__');
    refocus = null;
    const field = panel && firstField(panel);
    if (field) field.focus();
  }).observe(document.documentElement, {
    subtree: true, attributes: true, attributeFilter: ['data-test-script-state'],
  });
  document.addEventListener('keydown', (event) => {
    if (event.key !== 'Enter' || event.isComposing) return;
    const field = event.target;
    const panel = panelOf(field);
    if (!panel) return;
    const multiline = field instanceof HTMLTextAreaElement;
    if (multiline && !(event.ctrlKey || event.metaKey)) return;
    if (!multiline && !(field instanceof HTMLInputElement)) return;
    if (field.getAttribute('role') === 'combobox') return;  // a selectbox picks on Enter
    const button = saveButton(panel);
    if (!button) return;
    refocus = true;
    setTimeout(() => button.click(), 0);  // after Streamlit has taken the value
  }, true);  // capture: before the field's own handler, which may stop the event
}
""".replace("__PANEL__", PANEL_KEY)

_COMPONENT = st.components.v2.component("strategy_canvas.enter_saves", js=_JS)


def enter_saves() -> None:
    """Turn on Enter-to-save for the editors of this page (draw once per page run)."""
    _COMPONENT(key="enter_saves", height=0)
