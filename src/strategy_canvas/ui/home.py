"""The home page: the list of canvases and what can be done to each.

Every write goes through :mod:`strategy_canvas.services.canvases`; a successful one
queues a message and reruns, so the list shows the new state at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import streamlit as st

from strategy_canvas.services import canvas_copy, canvases
from strategy_canvas.services.errors import ConflictError, ServiceError
from strategy_canvas.ui import access, context, identity, links, messages, progress, steps
from strategy_canvas.ui.context import PageContext
from strategy_canvas.ui.text import md
from strategy_canvas.ui.timefmt import relative_time

if TYPE_CHECKING:
    from streamlit.delta_generator import DeltaGenerator

INTRO = (
    "Form a product strategy with your team in five guided steps — problem & audience, "
    "vision, designs, implementation, and feedback — and hand stakeholders the result."
)
_CREATE_FIELDS = ("create_name", "create_product", "create_description")


@dataclass(frozen=True)
class Row:
    summary: canvases.CanvasSummary
    score: float | None


def _load(ctx: PageContext) -> list[Row]:
    with ctx.read() as session:
        summaries = canvases.list_canvases(session=session, include_archived=True)
        return [
            Row(
                s,
                progress.canvas_progress(session=session, canvas_token=s.token)
                if not s.archived
                else None,
            )
            for s in summaries
        ]


def _done(kind: str, text: str) -> None:
    messages.flash(kind, text)
    st.rerun()


# ---------------------------------------------------------------------------- create


def create_form(ctx: PageContext) -> None:
    with st.form("create_canvas", border=False, enter_to_submit=False):
        name = st.text_input(
            "Name",
            key="create_name",
            placeholder="e.g. Checkout redesign 2026",
            help="Up to 120 characters.",
        )
        product = st.text_input(
            "Product",
            key="create_product",
            help="Up to 120 characters.",
            placeholder="Which product or service this strategy is for",
        )
        description = st.text_area(
            "Description",
            key="create_description",
            help="Up to 2,000 characters.",
            placeholder="Optional: the context in a sentence or two",
            height=90,
        )
        submitted = st.form_submit_button(
            "Create canvas", type="primary", icon=":material/add:", key="create_submit"
        )
    if not submitted:
        return
    try:
        with ctx.write() as session:
            canvas = canvases.create_canvas(
                session=session,
                canvas_in={"name": name, "product": product, "description": description},
                actor=identity.actor(ctx),
            )
    except ServiceError as error:
        messages.show_error(error)
        return
    for key in _CREATE_FIELDS:
        st.session_state.pop(key, None)
    # straight into the new canvas, where its work starts: step 1
    messages.flash(
        "success",
        f"Created “{md(canvas.name)}”. Start here: the problems worth solving, and who has them.",
    )
    opened = {"canvas": canvas.token, **links.kept_params()}
    st.switch_page(steps.STEPS[1].page, query_params=opened)


# ----------------------------------------------------------------------- one canvas


def _rename_form(ctx: PageContext, row: canvases.CanvasSummary, notices: DeltaGenerator) -> None:
    key_from, key_name = f"rename_from_{row.id}", f"rename_name_{row.id}"
    started = st.session_state.get(key_from)
    # Remember the version the user starts from; follow changes by others while the
    # field still holds the name it was filled with (nothing typed to lose).
    if started is None or (
        started[0] != row.version and st.session_state.get(key_name, started[1]) == started[1]
    ):
        st.session_state[key_from] = (row.version, row.name)
        st.session_state[key_name] = row.name
    with st.form(f"rename_{row.id}", border=False, enter_to_submit=False):
        new_name = st.text_input("New name", key=key_name, help="Up to 120 characters.")
        submitted = st.form_submit_button("Rename", key=f"rename_submit_{row.id}")
    if not submitted:
        return
    expected_version = st.session_state[key_from][0]
    try:
        with ctx.write() as session:
            canvas = canvases.rename_canvas(
                session=session,
                canvas_token=row.token,
                name=new_name,
                expected_version=expected_version,
                actor=identity.actor(ctx),
            )
    except ConflictError as error:
        messages.show_error(error, where=notices, shown_fields={"name": "Name"})
        notices.caption("Rename again to replace it with your name.")
        if error.current is not None:
            st.session_state[key_from] = (error.current.version, new_name)
        return
    except ServiceError as error:
        messages.show_error(error, where=notices)
        return
    st.session_state.pop(key_from, None)
    _done("success", f"Renamed “{md(row.name)}” to “{md(canvas.name)}”.")


def _delete_form(ctx: PageContext, row: canvases.CanvasSummary, notices: DeltaGenerator) -> None:
    with st.form(f"delete_{row.id}", border=False, enter_to_submit=False):
        st.markdown(
            f"Deleting removes **{md(row.name)}** and everything in it, its history and "
            "versions too, for everyone. "
            "Type its name to confirm."
        )
        confirm = st.text_input("Canvas name", key=f"delete_confirm_{row.id}", placeholder=row.name)
        submitted = st.form_submit_button(
            "Delete forever",
            type="primary",
            icon=":material/delete_forever:",
            key=f"delete_submit_{row.id}",
        )
    if not submitted:
        return
    try:
        with ctx.write() as session:
            canvases.delete_canvas(session=session, canvas_token=row.token, confirm_name=confirm)
    except ServiceError as error:
        messages.show_error(error, where=notices)
        return
    context.forget_canvas(row.token)
    _done("success", f"Deleted “{md(row.name)}”.")


def _set_archived(
    ctx: PageContext, row: canvases.CanvasSummary, archived: bool, notices: DeltaGenerator
) -> None:
    try:
        with ctx.write() as session:
            canvases.set_archived(
                session=session,
                canvas_token=row.token,
                archived=archived,
                actor=identity.actor(ctx),
            )
    except ServiceError as error:
        messages.show_error(error, where=notices)
        return
    if archived:
        _done("success", f"Archived “{md(row.name)}”. Restore it from “Archived canvases” below.")
    _done("success", f"Restored “{md(row.name)}”.")


def _duplicate(ctx: PageContext, row: canvases.CanvasSummary, notices: DeltaGenerator) -> None:
    try:
        with ctx.write() as session:
            copy = canvas_copy.duplicate_canvas(
                session=session, canvas_token=row.token, actor=identity.actor(ctx)
            )
    except ServiceError as error:
        messages.show_error(error, where=notices)
        return
    _done("success", f"Duplicated “{md(row.name)}” as “{md(copy.name)}”.")


def _describe(row: Row) -> None:
    s = row.summary
    st.markdown(f"**{md(s.name)}**")
    product = md(s.product) if s.product else "_No product named_"
    st.caption(f"{product} · changed {relative_time(s.changed_at)}")


def canvas_card(ctx: PageContext, row: Row) -> None:
    s = row.summary
    with st.container(border=True, key=f"canvas_{s.id}"):
        about, done, actions = st.columns([5, 3, 3], vertical_alignment="center")
        with about:
            _describe(row)
        with done:
            if row.score is not None:
                st.progress(row.score, text=f"{progress.percent(row.score)} complete")
        notices = st.container()
        with actions, st.container(horizontal=True, horizontal_alignment="right"):
            _open_link(s)
            with st.popover("Manage", icon=":material/more_horiz:"):
                _rename_form(ctx, s, notices)
                st.divider()
                if st.button(
                    "Duplicate",
                    icon=":material/content_copy:",
                    key=f"duplicate_{s.id}",
                    width="stretch",
                ):
                    _duplicate(ctx, s, notices)
                if st.button(
                    "Archive", icon=":material/inventory_2:", key=f"archive_{s.id}", width="stretch"
                ):
                    _set_archived(ctx, s, True, notices)
                st.divider()
                _delete_form(ctx, s, notices)


def _open_link(summary: canvases.CanvasSummary) -> None:
    links.page_link(
        steps.OVERVIEW.page,
        label="Open",
        icon=":material/open_in_new:",
        query_params={"canvas": summary.token},
    )


def archived_card(ctx: PageContext, row: Row) -> None:
    s = row.summary
    with st.container(border=True, key=f"archived_{s.id}"):
        about, actions = st.columns([6, 4], vertical_alignment="center")
        with about:
            _describe(row)
        notices = st.container()
        with actions, st.container(horizontal=True, horizontal_alignment="right"):
            _open_link(s)
            if st.button("Restore", icon=":material/unarchive:", key=f"restore_{s.id}"):
                _set_archived(ctx, s, False, notices)
            with st.popover("Delete", icon=":material/delete:"):
                _delete_form(ctx, s, notices)


# ------------------------------------------------------------------------ the page


def access_gate(ctx: PageContext) -> None:
    """Shared mode, or local mode seen from another machine, not unlocked: a way in for
    admins, and a word for everyone else."""
    if ctx.settings.access_mode == "local":
        st.info(
            "The canvases are listed only on the computer this app runs on. Open yours "
            "through its link, or join a workshop with the code the facilitator shows.",
            icon=":material/lock:",
        )
    else:
        st.info(
            "This app is shared: each canvas opens from its own link. Ask the facilitator "
            "for yours.",
            icon=":material/lock:",
        )
    links.page_link(
        steps.WORKSHOP_PAGE, label="Join a workshop with its code", icon=":material/login:"
    )
    if access.auth_configured():
        st.button(
            "Log in to see every canvas", icon=":material/login:", on_click=st.login, key="login"
        )
    if ctx.settings.admin_passcode:
        with st.columns([2, 3])[0], st.form("unlock", border=False):
            passcode = st.text_input("Admin passcode", type="password", key="admin_passcode")
            submitted = st.form_submit_button("Show every canvas", key="unlock_submit")
        if submitted:
            if access.unlock_with_passcode(ctx.settings, passcode):
                st.rerun()
            st.error("That passcode is not right.", icon=":material/error:")
    elif not access.auth_configured() and ctx.settings.access_mode == "shared":
        st.caption(
            "The canvas list is locked. An administrator opens it by setting "
            "STRATEGY_CANVAS_ADMIN_PASSCODE or configuring login."
        )


def show_home(ctx: PageContext) -> None:
    st.title("Your strategy canvases" if ctx.can_list else "Strategy Canvas")
    st.markdown(INTRO)
    messages.show_flashes()
    if not ctx.can_list:
        access_gate(ctx)
        return
    rows = _load(ctx)
    active = [r for r in rows if not r.summary.archived]
    archived = [r for r in rows if r.summary.archived]
    if not active:
        st.info("No canvases yet — create the first one.", icon=":material/lightbulb:")
    with st.expander("New canvas", icon=":material/add:", expanded=not active):
        create_form(ctx)
    for row in active:
        canvas_card(ctx, row)
    if archived:
        with st.expander(f"Archived canvases ({len(archived)})", icon=":material/inventory_2:"):
            for row in archived:
                archived_card(ctx, row)
