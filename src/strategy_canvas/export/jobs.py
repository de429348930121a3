"""One export as the Export page's options ask for it, made from the database alone.

A :class:`Request` (format, steps, theme, workshop, options) and the canvas's database
URL and token are all an export needs: :func:`prepared` (and, for a PDF, :func:`cover`)
opens its own read-only session, so the work can run in the page's process or in the
export worker process
(:mod:`strategy_canvas.export.ready`), which receives it pickled. Nothing here is
Streamlit (docs/ARCHITECTURE.md, "The PDF pipeline").
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session

from strategy_canvas import db
from strategy_canvas.export import csv_io, json_io, markdown, pdf, tracker_csv
from strategy_canvas.services import changes

NO_CHANGES = ""


@dataclass(frozen=True)
class Options:
    """What the export holds besides the canvas as it is now."""

    #: the version whose changes since get a section of their own (PDF, Markdown)
    since: str = NO_CHANGES
    #: the JSON carries the named versions and the history
    history: bool = False


@dataclass(frozen=True)
class Request:
    """One export as the options ask for it: the format, the steps, the PDF's theme, the
    workshop whose summary goes in, and the rest (:class:`Options`)."""

    fmt: str
    chosen: tuple[int, ...]
    theme: str
    workshop: str | None
    options: Options


def render(*, session: Session, canvas_token: str, request: Request) -> bytes:
    """The export ``request`` asks for, of the canvas as ``session`` reads it."""
    fmt, chosen, workshop, options = (
        request.fmt,
        request.chosen,
        request.workshop,
        request.options,
    )
    diff = (
        changes.since_version(session=session, canvas_token=canvas_token, since=options.since)
        if options.since and fmt in ("pdf", "md")
        else None
    )
    if fmt == "pdf":
        return pdf.render_pdf(
            session=session,
            canvas_token=canvas_token,
            steps=chosen,
            theme=request.theme,  # type: ignore[arg-type]
            workshop=workshop,
            changes=diff,
        )
    if fmt == "md":
        text = markdown.render_markdown(
            session=session,
            canvas_token=canvas_token,
            steps=chosen,
            workshop=workshop,
            changes=diff,
        )
    elif fmt == "csv_features":
        text = csv_io.features_csv(session=session, canvas_token=canvas_token)
    elif fmt == "csv_roadmap":
        text = csv_io.roadmap_csv(session=session, canvas_token=canvas_token)
    elif fmt in ("csv_jira", "csv_linear"):
        text = tracker_csv.tracker_csv(
            session=session,
            canvas_token=canvas_token,
            tracker="jira" if fmt == "csv_jira" else "linear",
        )
    else:
        document = json_io.export_canvas(
            session=session, canvas_token=canvas_token, history=options.history
        )
        text = json_io.dumps(document)
    return text.encode("utf-8")


def prepared(database_url: str, canvas_token: str, request: Request) -> bytes:
    """The export ``request`` asks for, read from ``database_url`` now (a plain function
    of plain values: it pickles, for the export worker process)."""
    with db.session_scope(db.get_engine(database_url), readonly=True) as session:
        return render(session=session, canvas_token=canvas_token, request=request)


def cover(database_url: str, canvas_token: str, request: Request) -> bytes:
    """The PDF's cover as an image, for the preview beside its download: a job of its
    own, made after the PDF, so that the download is offered without waiting for it."""
    with db.session_scope(db.get_engine(database_url), readonly=True) as session:
        return pdf.render_preview(
            session=session,
            canvas_token=canvas_token,
            steps=request.chosen,
            theme=request.theme,  # type: ignore[arg-type]
            workshop=request.workshop,
        )
