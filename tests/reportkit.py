"""Reading the reports back as a user reads them — the PDF's text through poppler's
pdftotext, the Markdown's tables — and a canvas with an ended workshop for a report to
summarise. Tests that read a PDF ask for the ``poppler`` fixture (tests/conftest.py)."""

from __future__ import annotations

import html
import re
import subprocess
import unicodedata
from pathlib import Path

from sqlmodel import Session

from strategy_canvas.services import items
from strategy_canvas.services import workshops as ws

#: text a user typed that means something to Markdown, HTML and Typst: shown literally
HOSTILE = 'Parents decide at 5 pm — *bold* <b>x</b> #import "x" | pipe'

#: Characters a PDF's text layer may add or drop around what was written: whitespace,
#: the zero-width breaks the template adds to long words, soft hyphens, bidi marks.
_INVISIBLE = re.compile(r"[\s\u200b\u200c\u200d\u00ad\u200e\u200f\u202a-\u202e\u2066-\u2069]+")


def squash(text: str) -> str:
    """Text compared without the spacing and line breaks the layout chose."""
    return _INVISIBLE.sub("", unicodedata.normalize("NFC", text))


def pdf_text(document: bytes, tmp_path: Path, *, raw: bool = False, body_only: bool = False) -> str:
    """The PDF's text in reading order (``raw``: in the order it was drawn, which keeps
    table cells whole but puts the words of a right-to-left run in visual order;
    ``body_only``: without the running header and footer, so a table row that breaks
    across pages reads on)."""
    path = tmp_path / "report.pdf"
    path.write_bytes(document)
    crop = ["-x", "0", "-y", "62", "-W", "600", "-H", "718"] if body_only else []
    result = subprocess.run(
        ["pdftotext", *(["-raw"] if raw else []), *crop, "-enc", "UTF-8", str(path), "-"],
        capture_output=True,
        check=True,
    )
    return result.stdout.decode("utf-8")


def pdf_layout_text(document: bytes, tmp_path: Path) -> str:
    path = tmp_path / "report.pdf"
    path.write_bytes(document)
    result = subprocess.run(
        ["pdftotext", "-layout", "-enc", "UTF-8", str(path), "-"],
        capture_output=True,
        check=True,
    )
    return result.stdout.decode("utf-8")


def unescape_md(text: str) -> str:
    return html.unescape(re.sub(r"\\(.)", r"\1", text))


def md_tables(text: str, heading: str) -> list[list[dict[str, str]]]:
    """Every table right under a heading named ``heading``, as rows of cells."""
    found = []
    for section in re.split(r"^#{2,4} ", text, flags=re.M)[1:]:
        title, _, body = section.partition("\n")
        if title.strip() != heading:
            continue
        lines = [line for line in body.splitlines() if line.startswith("|")]
        if len(lines) < 2:
            continue
        cells = [re.split(r"(?<!\\)\|", line)[1:-1] for line in lines]
        head = [c.strip() for c in cells[0]]
        found.append(
            [
                {h: unescape_md(c.strip()).split("<br>")[0] for h, c in zip(head, r, strict=True)}
                for r in cells[2:]
            ]
        )
    return found


def ended_workshop(session: Session, token: str) -> str:
    """A workshop with notes, a theme, votes, blind scores and promotions, ended."""
    started = ws.start_workshop(
        session=session, canvas_token=token, title="Spring strategy day", anonymous_notes=False
    )
    key = started.facilitator_key
    ann = ws.join(session=session, display_name="Ann", link_token=started.link_token).token
    bo = ws.join(session=session, display_name="Bo Ø", link_token=started.link_token).token
    kept = ws.add_note(session=session, participant_token=ann, step=1, text=HOSTILE)
    fridge = ws.add_note(session=session, participant_token=bo, step=1, text="冷蔵庫 first")
    risk = ws.add_note(session=session, participant_token=bo, step=4, text="Scanner may slip")
    ws.reveal(session=session, facilitator_key=key, step=1, what="notes")
    for voter in (ann, bo):
        ws.vote(session=session, participant_token=voter, note_id=fridge.id)
    ws.vote(session=session, participant_token=bo, note_id=kept.id)
    theme = ws.create_theme(session=session, facilitator_key=key, step=1, name="Timing")
    ws.assign_note_to_theme(
        session=session, facilitator_key=key, note_id=kept.id, theme_id=theme.id
    )
    feature = items.create_item(
        session=session, canvas_token=token, kind="feature", data={"title": "Offline mode"}
    )
    ws.blind_score(session=session, participant_token=ann, feature_id=feature.id, value=9, effort=2)
    ws.blind_score(session=session, participant_token=bo, feature_id=feature.id, value=3, effort=8)
    ws.promote_note(session=session, facilitator_key=key, note_id=fridge.id, kind="problem")
    ws.promote_note(
        session=session,
        facilitator_key=key,
        note_id=risk.id,
        kind="risk",
        fields={"mitigation": "Pilot with 20 families"},
    )
    ws.end_workshop(session=session, facilitator_key=key)
    [choice] = ws.summary_choices(session=session, canvas_token=token)
    assert choice["title"] == "Spring strategy day" and choice["ended_at"] is not None
    return str(choice["key"])
