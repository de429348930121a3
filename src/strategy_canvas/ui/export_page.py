"""The Export page: the stakeholder PDF and the other formats, and imports.

An export is prepared on request (a large PDF takes a few seconds), kept for this
session keyed by the canvas's change counter and the options, previewed, then
downloaded. Imports are checked whole and write nothing until the user confirms; the
backlog import lives in ``ui/backlog_import.py``.
"""

from __future__ import annotations

import re
import time
import unicodedata
from datetime import date
from functools import partial
from typing import TYPE_CHECKING

import streamlit as st

from strategy_canvas.export import backlog, json_io, ready
from strategy_canvas.export.jobs import NO_CHANGES, Options, Request, cover, prepared
from strategy_canvas.services import versions, workshops
from strategy_canvas.services.errors import ServiceError
from strategy_canvas.services.progress import STEP_TITLES
from strategy_canvas.ui import identity, links, messages, steps
from strategy_canvas.ui.text import md

if TYPE_CHECKING:
    from collections.abc import Callable

    from strategy_canvas.ui.context import PageContext

FORMATS = {
    "pdf": "PDF report",
    "md": "Markdown",
    "csv_features": "CSV: features and scores",
    "csv_roadmap": "CSV: roadmap",
    "csv_jira": "CSV for Jira's importer: features and roadmap items",
    "csv_linear": "CSV for Linear's importer: features and roadmap items",
    "json": "JSON (the whole canvas)",
}
MIME = {
    "pdf": "application/pdf",
    "md": "text/markdown",
    "csv_features": "text/csv",
    "csv_roadmap": "text/csv",
    "csv_jira": "text/csv",
    "csv_linear": "text/csv",
    "json": "application/json",
}
SUFFIX = {
    "pdf": "pdf",
    "md": "md",
    "csv_features": "csv",
    "csv_roadmap": "csv",
    "csv_jira": "csv",
    "csv_linear": "csv",
    "json": "json",
}
#: how to bring each tracker file in (the columns are the importer's own)
TRACKER_HINTS = {
    "csv_jira": "One row per feature and roadmap item. In Jira, import it as CSV (a "
    "project's *Import work*, or *External System Import*); Parent, the Blocks links "
    "and the date format (dd/MMM/yy h:mm a) are Jira's own. Keep “Strategy Canvas ID” in "
    "a text field, and a later Jira export updates these same items here.",
    "csv_linear": "One row per feature and roadmap item, in the columns of Linear's own "
    "export: import it with Linear's CSV importer. Importing the file back here changes "
    "nothing; “Strategy Canvas ID” ties each row to its item.",
}
_RESULT = "export.result"
THEMES = {"light": "Colour", "print": "Print (greys)"}
#: the steps as their pills name them (short, so the five fit on one line)
STEP_PILLS = {
    1: "Problem & audience",
    2: "Vision",
    3: "Designs",
    4: "Implementation",
    5: "Feedback",
}


def _file_name(canvas_name: str, fmt: str) -> str:
    """The download's name: the canvas's name in plain letters ("Küchenplaner 2027" ->
    kuchenplaner-2027; ß -> ss), the kind of file and today's date."""
    plain = unicodedata.normalize("NFKD", canvas_name.replace("ß", "ss"))
    plain = plain.encode("ascii", "ignore").decode()
    slug = re.sub(r"[^A-Za-z0-9]+", "-", plain).strip("-").lower()[:60] or "canvas"
    extra = "-" + fmt.removeprefix("csv_") if fmt.startswith("csv_") else ""
    return f"{slug}{extra}-{date.today():%Y-%m-%d}.{SUFFIX[fmt]}"


def _preview(fmt: str, data: bytes, cover: bytes | None) -> None:
    if fmt == "pdf":
        if cover is not None:
            st.image(cover, caption="The first page of the report", width=420)
    elif fmt.startswith("csv_"):
        try:
            table = backlog.read_backlog(data)
        except ServiceError:  # only the header: the canvas has nothing of this kind yet
            st.info("The file holds only its header row: nothing to list yet.")
            return
        st.dataframe(table.frame(limit=20), hide_index=True, width="stretch", placeholder="—")
        st.caption(f"{len(table):,} rows; the first 20 are shown.")
    else:
        text = data.decode("utf-8")
        st.code(
            text[:4000] + ("\n…" if len(text) > 4000 else ""),
            language="markdown" if fmt == "md" else "json",
        )


def export_panel(ctx: PageContext) -> None:
    assert ctx.canvas is not None
    messages.show_flashes()
    # One column: the options (the steps' pills need the page's width to be seen whole
    # at 1024 px), then the export prepared from them (:func:`_prepared`).
    fmt = st.radio("Format", list(FORMATS), format_func=FORMATS.__getitem__, key="export.format")
    chosen: tuple[int, ...] = (1, 2, 3, 4, 5)
    theme = "light"
    if fmt in ("pdf", "md"):
        picked = st.pills(
            "Steps to include",
            list(STEP_TITLES),
            selection_mode="multi",
            default=list(STEP_TITLES),
            format_func=lambda n: f"{n}. {STEP_PILLS[n]}",
            key="export.steps",
            help="The cover, the executive summary, the decision log and the open flaws "
            "and risks are always included.",
            width="stretch",  # wrap within the column, not run under the next one
        )
        chosen = tuple(sorted(picked))
    if fmt == "pdf":
        theme = (
            st.segmented_control(
                "Theme",
                ["light", "print"],
                default="light",
                key="export.theme",
                format_func=THEMES.__getitem__,
                help="Colour: tinted tables and colour charts. Print: no fills, charts in "
                "greys, for a black-and-white printer.",
            )
            or "light"
        )
    if fmt in TRACKER_HINTS:
        st.caption(TRACKER_HINTS[fmt])
    workshop = _workshop_choice(ctx) if fmt in ("pdf", "md") else None
    request = Request(fmt, chosen, theme, workshop, _options(ctx, fmt))
    if fmt in ("pdf", "md") and not chosen:
        st.warning("Choose at least one step to include.", icon=":material/warning:")
        return
    _prepared(ctx, request)


@st.fragment
def _prepared(ctx: PageContext, request: Request) -> None:
    """ "Prepare the export" and what it made: a fragment, so that the click runs this
    part alone, not the page, the sidebar and the options above it (what a user waits
    for after the click is this run and the browser's drawing of it; docs/ARCHITECTURE.md,
    "The PDF pipeline"). The canvas's change counter is read again on every run of it:
    an export is never of an older state than the canvas's when the click came."""
    assert ctx.canvas is not None and ctx.token is not None
    messages.show_flashes()  # after a download, the version it saved
    ctx.changed()
    fmt = request.fmt
    key = (ctx.token, ctx.revision, request)
    # Made ahead, in the background: as soon as the options are shown, and again
    # after every change of the canvas while this page was seen lately; the click
    # waits only for what is left.
    url, token = ctx.settings.database_url, ctx.token

    def jobs_at(revision: int) -> list[ready.Job]:
        at = (url, token, revision, request)
        jobs: list[ready.Job] = [(at, partial(prepared, url, token, request))]
        if fmt == "pdf":  # its cover, for the preview: after it, not in its way
            jobs.append(((*at, "cover"), partial(cover, url, token, request)))
        return jobs

    jobs = jobs_at(ctx.revision)
    parts: list[Callable[[], bytes]] = [work for _, work in jobs]
    if ctx.settings.export_ahead:
        ready.watch(url, token, jobs_at, by=identity.owner_key())
        # someone is here for it: made at full speed now
        futures = ready.prepare_all(jobs, canvas=(url, token), hurried=True)
        parts = [partial(ready.wait, future) for future in futures]
    if st.button(
        "Prepare the export",
        type="primary",
        icon=":material/description:",
        key="export.prepare",
    ):
        began = time.perf_counter()
        with st.status(f"Preparing the {FORMATS[fmt]}…", expanded=False) as status:
            try:
                data = parts[0]()
            except (ServiceError, ValueError) as error:
                status.update(label="The export failed", state="error")
                messages.show_error(error) if isinstance(error, ServiceError) else st.error(
                    str(error)
                )
                return
            took = time.perf_counter() - began
            status.update(label=f"Ready: {len(data):,} bytes, in {took:.1f} s", state="complete")
        # the cover is drawn after the download is offered (it is made after it)
        st.session_state[_RESULT] = (key, data, parts[1] if len(parts) > 1 else None)
    result = st.session_state.get(_RESULT)
    if result is None or result[0] != key:
        st.info(
            "Choose the format and options, then prepare the export. The canvas "
            "as it is now goes into it.",
            icon=":material/info:",
        )
        return
    data, first_page = result[1], result[2]
    st.download_button(
        f"Download {_file_name(ctx.canvas.name, fmt)}",
        data=data,
        file_name=_file_name(ctx.canvas.name, fmt),
        mime=MIME[fmt],
        type="primary",
        icon=":material/download:",
        key="export.download",
        on_click=_sent if fmt == "pdf" else "ignore",
        args=(ctx,) if fmt == "pdf" else None,
        help="Downloading the PDF also saves this canvas as a version, so you can "
        "see later what changed since the stakeholders got it."
        if fmt == "pdf"
        else None,
    )
    if callable(first_page):  # not drawn yet: wait for it here, once
        try:
            first_page = first_page()
        except (ServiceError, ValueError):
            first_page = None  # the report itself is made; only its preview is not
        st.session_state[_RESULT] = (key, data, first_page)
    _preview(fmt, data, first_page)


def _workshop_choice(ctx: PageContext) -> str | None:
    """Which workshop's summary goes into the report: the latest ended one unless the
    user chooses another or none (the JSON export holds every summary)."""
    assert ctx.token is not None
    with ctx.read() as session:
        choices = workshops.summary_choices(session=session, canvas_token=ctx.token)
    if not choices:
        st.caption("No workshop has ended on this canvas yet: the report has no workshop summary.")
        return None
    titles: dict[str | None, str] = {None: "No workshop summary"}
    for choice in choices:
        ended = choice["ended_at"]
        when = f" · ended {ended:%Y-%m-%d}" if ended is not None else ""
        titles[choice["key"]] = f"{choice['title']}{when}"
    options = [c["key"] for c in choices] + [None]
    picked: str | None = st.selectbox(
        "Workshop summary",
        options,
        format_func=titles.__getitem__,
        key="export.workshop",
        help="Its decisions and actions, themes, vote results, the spread of the blind "
        "scores and the notes never promoted, in a section of their own.",
    )
    return picked


def _options(ctx: PageContext, fmt: str) -> Options:
    """The PDF's and Markdown's "Changes since" section; the JSON's history."""
    assert ctx.token is not None
    if fmt == "json":
        return Options(
            history=st.checkbox(
                "With the versions and the history",
                key="export.history",
                help="Every named version (the canvas as it was) and who changed what. "
                "Importing the file brings them along.",
            )
        )
    if fmt not in ("pdf", "md"):
        return Options()
    with ctx.read() as session:
        names = [v.name for v in versions.list_versions(session=session, canvas_token=ctx.token)]
    if not names:
        st.caption(
            "Once the canvas has a version (History → Versions, or a PDF downloaded), the "
            "report can say what changed since."
        )
        return Options()
    if st.session_state.get("export.since") not in (NO_CHANGES, *names):
        st.session_state["export.since"] = NO_CHANGES
    since = st.selectbox(
        "Add “Changes since” a version",
        [NO_CHANGES, *names],
        key="export.since",
        format_func=lambda n: n or "No, just the canvas",
        help="A section after the summary: items added, removed and changed, links, "
        "rank moves, KPIs and new decisions since that version.",
    )
    return Options(since=since)


def _sent(ctx: PageContext) -> None:
    """The PDF was downloaded for stakeholders: keep the canvas as it is as a version."""
    assert ctx.token is not None
    name = f"PDF of {date.today():%d %b %Y}".replace(" 0", " ")
    try:
        with ctx.write() as session:
            saved = versions.save_automatic(
                session=session,
                canvas_token=ctx.token,
                name=name,
                kind="pdf",
                actor=identity.actor(ctx),
            )
    except ServiceError as error:
        messages.flash("warning", f"The PDF was downloaded, but no version was saved: {error}")
        return
    ctx.changed()
    messages.flash(
        "success", f"Saved as version “{md(saved.name)}”: History shows what changes since."
    )


# ------------------------------------------------------------------------- imports


def canvas_import(ctx: PageContext) -> None:
    """A JSON export (from this app, anywhere) as a new canvas."""
    st.markdown(
        "Import a canvas exported as JSON from Strategy Canvas. It becomes a **new** "
        "canvas; this one is not changed."
    )
    upload = st.file_uploader("Canvas JSON", type=["json"], key="import.json", max_upload_size=21)
    if upload is None:
        return
    try:
        document = json_io.load_document(upload.getvalue())
    except ServiceError as error:
        messages.show_error(error)
        return
    name = str(document.get("canvas", {}).get("name", "")) if isinstance(document, dict) else ""
    if not st.button(
        f"Import “{name}” as a new canvas" if name else "Import as a new canvas",
        type="primary",
        key="import.json.apply",
    ):
        return
    try:
        with ctx.write() as session:
            canvas = json_io.import_canvas(
                session=session, document=document, actor=identity.actor(ctx).importing()
            )
    except ServiceError as error:
        messages.show_error(error)
        return
    st.success(f"Imported as a new canvas, “{md(canvas.name)}”.", icon=":material/check_circle:")
    links.page_link(
        steps.OVERVIEW.page,
        label="Open it",
        icon=":material/arrow_forward:",
        query_params={"canvas": canvas.token},
    )
