"""Keyboard entry in the editor: Enter in a one-line field saves (or adds) the item, and
the cursor goes back to the editor's first field, ready for the next one; Ctrl+Enter
(⌘+Enter) does the same from a multi-line field.

A Streamlit component (components v2) whose script listens on the page: it only clicks
the editor's own Add or Save button (or the paste box's Add), which runs the same
callback as a mouse click, after Streamlit has taken the field's value. The button is
looked up when it is clicked, not when the key is pressed: a rerun ending in between
(the previous field handing its value over) replaces it, and a click on the old one
silently did nothing. The editor is found by its container's key (:data:`PANEL_KEY`).
Nothing is sent to the server by the component itself.
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
  // The button is found again when it is clicked: a run that ends between the key and
  // the click replaces the editor's elements, and a click on the button found at the
  // key, no longer in the page, would do nothing (the item silently not added). While
  // the page has no Add/Save (mid-redraw), it is looked for again on the next frame.
  //
  // After the click, the cursor goes to the editor's first field. Runs end in any order
  // and redraw the fields (a quick run may not even show as running), so for a few
  // seconds the cursor is put back whenever the page is settled and the cursor is
  // nowhere or still in the field where Enter was pressed — until the person moves on
  // (a click, a Tab): the field they went to keeps it.
  let origin = null;
  let guard = null;
  const stopGuard = () => { clearInterval(guard); guard = null; };
  const settled = (panel) => {
    const root = document.querySelector('[data-testid="stApp"]');
    return root && root.getAttribute('data-test-script-state') === 'notRunning' &&
      !panel.querySelector('[data-stale="true"]');
  };
  const refocus = () => {
    const panel = document.querySelector('.st-key-__PANEL__');
    if (!panel || !settled(panel)) return;
    const active = document.activeElement;
    if (active && active !== document.body &&
        active.getAttribute('aria-label') !== origin) return;
    const field = firstField(panel);
    if (field && field !== active) field.focus();
  };
  const clickSave = (until) => {
    const panel = document.querySelector('.st-key-__PANEL__');
    const button = panel && saveButton(panel);
    if (!button) {
      if (Date.now() < until) requestAnimationFrame(() => clickSave(until));
      return;
    }
    button.click();
    stopGuard();
    const ends = Date.now() + 10000;
    guard = setInterval(() => (Date.now() > ends ? stopGuard() : refocus()), 100);
  };
  document.addEventListener('mousedown', stopGuard, true);
  document.addEventListener('keydown', (event) => {
    if (event.key === 'Tab') stopGuard();
    if (event.key !== 'Enter' || event.isComposing) return;
    const field = event.target;
    const panel = panelOf(field);
    if (!panel) return;
    const multiline = field instanceof HTMLTextAreaElement;
    if (multiline && !(event.ctrlKey || event.metaKey)) return;
    if (!multiline && !(field instanceof HTMLInputElement)) return;
    if (field.getAttribute('role') === 'combobox') return;  // a selectbox picks on Enter
    if (!saveButton(panel)) return;
    origin = field.getAttribute('aria-label');
    setTimeout(() => clickSave(Date.now() + 5000), 0);  // after Streamlit has taken the value
  }, true);  // capture: before the field's own handler, which may stop the event
}
""".replace("__PANEL__", PANEL_KEY)

_COMPONENT = st.components.v2.component("strategy_canvas.enter_saves", js=_JS)


def enter_saves() -> None:
    """Turn on Enter-to-save for the editors of this page (draw once per page run)."""
    _COMPONENT(key="enter_saves", height=0)
