"""The stakeholder PDF: every section and chart of the demo, the print theme, the chart
cache, and hostile text in every field shown literally, read from no file, and laid out
inside the page margins. Checked through poppler (pdftotext, pdfimages, pdftoppm)."""

from __future__ import annotations

import io
import re
import subprocess
import xml.etree.ElementTree as ET
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from sqlmodel import Session

from strategy_canvas import demo
from strategy_canvas.export import pdf, report_data
from strategy_canvas.services import canvases, items, progress
from strategy_canvas.services.errors import NotFound
from tests.reportkit import pdf_text, squash

#: the checks read the PDF with poppler-utils (tests/conftest.py)
pytestmark = pytest.mark.usefixtures("poppler")


# ------------------------------------------------------------------------- helpers

_RTL = re.compile(r"[\u0590-\u08ff\ufb1d-\ufdff\ufe70-\ufeff]")


def visual_order(value: str) -> str:
    """The value with each run of right-to-left words reversed, as drawn on the page."""
    words, out, run = value.split(), [], []
    for word in words:
        if _RTL.search(word):
            run.append(word)
            continue
        out.extend(reversed(run))
        run = []
        out.append(word)
    out.extend(reversed(run))
    return " ".join(out)


def shown(value: str, layout: str, raw: str, body: str) -> bool:
    """Whether the PDF shows ``value`` literally. Reading order (``layout``) mixes the
    columns of a table; drawing order (``raw``) keeps a cell whole but draws the words
    of a right-to-left run in visual order; and a table row that breaks across pages
    continues on the next page after the other cells' first parts (``body``, drawing
    order without the running header and footer). So the value is found whole, or in
    two pieces, the second after the first."""
    for variant in {value, visual_order(value)}:
        whole = squash(variant)
        if whole in layout or whole in raw:
            return True
        for cut in range(1, len(whole)):
            first = body.find(whole[:cut])
            if first >= 0 and body.find(whole[cut:], first + cut) >= 0:
                return True
    return False


def page_count(document: bytes) -> int:
    return int(re.findall(rb"/Type\s*/Pages\b[^>]*?/Count\s+(\d+)", document)[0])


def pdf_images(document: bytes, tmp_path: Path) -> list[list[str]]:
    path = tmp_path / "images.pdf"
    path.write_bytes(document)
    out = subprocess.run(["pdfimages", "-list", str(path)], capture_output=True, check=True)
    return [line.split() for line in out.stdout.decode().splitlines()[2:] if line.strip()]


def word_boxes(document: bytes, tmp_path: Path) -> list[dict[str, Any]]:
    """Every word of every page with its box and the page's size (pdftotext -bbox)."""
    path = tmp_path / "boxes.pdf"
    path.write_bytes(document)
    html = subprocess.run(
        ["pdftotext", "-bbox-layout", str(path), "-"], capture_output=True, check=True
    ).stdout.decode("utf-8")
    html = re.sub(r"<!DOCTYPE[^>]*>", "", html)
    root = ET.fromstring(html)
    words = []
    for page_no, page in enumerate(root.iter("{http://www.w3.org/1999/xhtml}page"), 1):
        width, height = float(page.get("width", 0)), float(page.get("height", 0))
        for word in page.iter("{http://www.w3.org/1999/xhtml}word"):
            box = {k: float(word.get(k, 0)) for k in ("xMin", "yMin", "xMax", "yMax")}
            words.append(
                {**box, "page": page_no, "width": width, "height": height, "text": word.text or ""}
            )
    return words


STEP_HEADINGS = [f"{n}. {title}" for n, title in progress.STEP_TITLES.items()]


# ------------------------------------------------------------------------ the demo


@pytest.fixture
def demo_token(session: Session) -> str:
    return demo.create_demo_canvas(session=session).token


def test_demo_pdf_has_every_section_chart_and_name(
    session: Session, demo_token: str, tmp_path: Path
) -> None:
    document = pdf.render_pdf(session=session, canvas_token=demo_token)
    assert document.startswith(b"%PDF-")
    assert b"/StructTreeRoot" in document, "the PDF should be tagged (accessible)"
    assert 6 <= page_count(document) <= 30

    text = pdf_text(document, tmp_path)
    flat = squash(text)
    for heading in [
        *STEP_HEADINGS,
        "Contents",
        "Executive summary",
        "Decision log",
        "Open flaws and risks",
    ]:
        assert squash(heading) in flat, heading
    canvas = canvases.get_canvas(session=session, canvas_token=demo_token)
    assert squash(canvas.name) in flat and squash(canvas.authors) in flat
    vision = canvases.get_vision(session=session, canvas_token=demo_token)
    assert squash(vision.statement) in flat
    for kind in ("persona", "goal", "feature"):
        for row in items.list_items(session=session, canvas_token=demo_token, kind=kind):
            assert squash(items.item_title(row)) in flat, (kind, items.item_title(row))
    # Every chart is there as vector text, by a label only that chart draws.
    for chart_text in [
        "Importance against evidence",
        "Value vs effort",
        "Features ranked by RICE",
        "How robust is the ranking?",
        "Roadmap: now, next, later",
        "Roadmap timeline",
        "KPIs against their targets",
        "Feedback over time",
        "Flaws by severity",
    ]:
        assert squash(chart_text) in flat, chart_text
    assert "Page 3 of" in text  # page numbers in the running footer


def test_print_theme_is_greyscale_and_steps_can_be_left_out(
    session: Session, demo_token: str, tmp_path: Path
) -> None:
    document = pdf.render_pdf(session=session, canvas_token=demo_token, steps=(3, 5), theme="print")
    flat = squash(pdf_text(document, tmp_path))
    assert squash("3. Designs") in flat and squash("5. Feedback, flaws & fixes") in flat
    # The left-out steps' sections are gone (the summary still lists every step's progress).
    for absent in (
        "Personas and segments",
        "Market evidence",
        "Vision statement",
        "Roadmap timeline",
        "Riskiest assumptions",
    ):
        assert squash(absent) not in flat, absent
    assert squash("Executive summary") in flat  # always leads the report

    path = tmp_path / "print.pdf"
    path.write_bytes(document)
    subprocess.run(["pdftoppm", "-r", "30", "-png", str(path), str(tmp_path / "page")], check=True)
    pages = sorted(tmp_path.glob("page-*.png"))
    assert len(pages) == page_count(document)
    for png in pages:
        with Image.open(png) as image:
            raw = image.convert("RGB").tobytes()
        pixels = zip(raw[0::3], raw[1::3], raw[2::3], strict=True)
        coloured = sum(1 for r, g, b in pixels if max(r, g, b) - min(r, g, b) > 24)
        assert coloured == 0, f"{png.name} has {coloured} coloured pixels in the print theme"


def test_charts_are_cached_by_the_change_counter(
    session: Session,
    demo_token: str,
    monkeypatch: pytest.MonkeyPatch,
    request: pytest.FixtureRequest,
) -> None:
    drawn: list[tuple[str, str]] = []

    def counting(built: Any, theme: str) -> list[str]:  # stands in for vl-convert
        specs = list(built)  # the specs as they are built (a generator)
        drawn.extend((str(spec.get("title", {}).get("text")), theme) for spec in specs)
        return ['<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>'] * len(specs)

    monkeypatch.setattr(pdf, "_to_svgs", counting)
    pdf.clear_cache()  # the same demo drawn by another test would be cached by its spec
    request.addfinalizer(pdf.clear_cache)  # and the stand-in SVGs must not outlive this
    built: list[str] = []
    real_spec = pdf._spec
    monkeypatch.setattr(pdf, "_spec", lambda chart: built.append("x") or real_spec(chart))

    pdf.render_pdf(session=session, canvas_token=demo_token, steps=(5,))
    first = len(drawn)
    assert first == 3, drawn  # the KPI, feedback and flaws charts
    pdf.render_pdf(session=session, canvas_token=demo_token, steps=(5,))
    assert len(drawn) == first and len(built) == first, "an unchanged canvas draws nothing"
    pdf.render_pdf(session=session, canvas_token=demo_token, steps=(5,), theme="print")
    assert [t for _, t in drawn].count("print") == first, "each theme has its own charts"

    flaw = items.list_items(session=session, canvas_token=demo_token, kind="flaw")[0]
    items.update_item(
        session=session,
        canvas_token=demo_token,
        kind="flaw",
        item_id=flaw.id,
        changes={"severity": "low" if flaw.severity != "low" else "high"},
        expected_version=flaw.version,
    )
    before = len(drawn)
    pdf.render_pdf(session=session, canvas_token=demo_token, steps=(5,))
    redrawn = drawn[before:]
    assert [title for title, _ in redrawn] == ["Flaws by severity"], (
        "an edit redraws the charts whose data changed, and only those"
    )


def test_bad_options_and_unknown_canvas_are_refused(session: Session) -> None:
    token = canvases.create_canvas(session=session, canvas_in={"name": "Empty"}).token
    with pytest.raises(ValueError, match="theme"):
        pdf.render_pdf(session=session, canvas_token=token, theme="dark")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="steps"):
        pdf.render_pdf(session=session, canvas_token=token, steps=(0, 6))
    with pytest.raises(NotFound):
        pdf.render_pdf(session=session, canvas_token="no-such-canvas")


def test_an_empty_canvas_renders_with_empty_states(session: Session, tmp_path: Path) -> None:
    token = canvases.create_canvas(session=session, canvas_in={"name": "Blank slate"}).token
    flat = squash(pdf_text(pdf.render_pdf(session=session, canvas_token=token), tmp_path))
    for phrase in (
        "Blank slate",
        "No vision statement yet.",
        "No problems yet.",
        "No features yet.",
        "No roadmap items yet.",
        "No feedback yet.",
        "No decisions yet.",
    ):
        assert squash(phrase) in flat, phrase


def test_a_chart_with_nothing_to_draw_is_left_out_not_printed_as_an_empty_box(
    session: Session, tmp_path: Path
) -> None:
    token = canvases.create_canvas(session=session, canvas_in={"name": "RICE only"}).token
    for n in range(1, 4):  # scored for RICE, never given a value: nothing for value vs effort
        items.create_item(
            session=session,
            canvas_token=token,
            kind="feature",
            data={"title": f"Feature {n}", "reach": 100 * n, "impact": 2, "confidence": 80,
                  "effort": n},
        )  # fmt: skip
    flat = squash(pdf_text(pdf.render_pdf(session=session, canvas_token=token), tmp_path))
    assert squash("Features ranked by RICE") in flat
    assert squash("Value vs effort") not in flat
    assert squash("No data yet") not in flat


# ---------------------------------------------------------------- hostile input

LONG_WORD = ("Pneumonoultramicroscopicsilicovolcanoconiosis" * 7)[:300]
PIECES = [
    '#read("/etc/passwd")',
    '#import "/etc/passwd": *',
    "$x^2$ ] #set page(width: 1pt) [",
    "<script>alert(1)</script>",
    "**bold** [link](http://x) `tick`",
    "مرحبا بالعالم",
    "שלום עולם",
    "你好世界 こんにちは 안녕하세요",
    "नमस्ते दुनिया",
    "🚀 🎉 ✅",
    '#{"a" * 3} \\ #let x = 1 // /* @ref <lbl>',
]


def _max_length(schema: Any, name: str) -> int:
    field = schema.model_fields[name]
    return next((m.max_length for m in field.metadata if hasattr(m, "max_length")), 10_000)


class Hostile:
    """Writes a canvas whose every text field holds hostile text, and remembers it."""

    def __init__(self) -> None:
        self.values: dict[str, str] = {}  # value -> the field that holds it
        self._n = 0

    def text(self, limit: int, field: str = "") -> str:
        self._n += 1
        piece = PIECES[self._n % len(PIECES)]
        tag = f"Q{self._n:02d}"
        if limit >= 400:  # long text fields also carry the 300-character word
            value = f"{tag} {piece} {LONG_WORD}"
        elif self._n % 3 == 0:  # some short fields are one long word cut to fit
            value = f"{tag}{LONG_WORD}"[:limit]
        else:
            value = f"{tag} {piece}"[:limit]
        self.values[value] = field
        return value

    def fill(self, schema: Any, **data: Any) -> dict[str, Any]:
        for name, field in schema.model_fields.items():
            if name in data or field.annotation is not str or name == "media_type":
                continue
            data[name] = self.text(_max_length(schema, name), f"{schema.__name__}.{name}")
        return data


def png_bytes(width: int = 120, height: int = 80) -> bytes:
    image = Image.new("RGB", (width, height), (40, 120, 200))
    for x in range(width // 2):
        for y in range(height):
            image.putpixel((x, y), (230, 140, 30))
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def create_hostile_canvas(session: Session) -> tuple[str, Hostile]:
    from strategy_canvas import models as m

    h = Hostile()
    token = canvases.create_canvas(session=session, canvas_in=h.fill(m.CanvasCreate)).token

    def add(kind: str, **data: Any) -> int:
        spec = items.ITEM_TYPES[kind]
        row = items.create_item(
            session=session, canvas_token=token, kind=kind, data=h.fill(spec.create, **data)
        )
        assert row.id is not None
        return row.id

    vision = canvases.get_vision(session=session, canvas_token=token)
    items.update_item(
        session=session,
        canvas_token=token,
        kind="vision",
        item_id=vision.id,
        changes=h.fill(m.VisionCreate),
        expected_version=vision.version,
    )
    problem = add("problem")
    persona = add("persona", problem_id=problem, size=1200)
    add("alternative")
    add("evidence", problem_id=problem)
    add("assumption", persona_id=persona, importance=5, evidence=1)
    goal = add("goal", persona_id=persona)
    feature = add(
        "feature",
        persona_id=persona,
        goal_id=goal,
        reach=100,
        impact=2,
        confidence=80,
        effort=2,
        ease=5,
        value=7,
        moscow="must",
        status="shipped",
    )
    other = add(
        "feature",
        persona_id=persona,
        goal_id=goal,
        reach=300,
        impact=1,
        confidence=50,
        effort=3,
        ease=4,
        value=4,
        moscow="could",
    )
    criterion = add("criterion", weight=2)
    add("criterion_score", feature_id=feature, criterion_id=criterion, score=7)
    add(
        "sketch",
        feature_id=feature,
        url="https://example.com/sketch",
        image=png_bytes(),
        media_type="image/png",
    )
    add("sketch", feature_id=other, url="https://example.com/other")
    first = add(
        "roadmap_item",
        feature_id=feature,
        lane="now",
        start_date=date(2026, 9, 1),
        end_date=date(2026, 10, 1),
    )
    second = add(
        "roadmap_item",
        feature_id=other,
        lane="next",
        start_date=date(2026, 10, 1),
        end_date=date(2026, 12, 1),
    )
    add("dependency", item_id=second, depends_on_id=first)
    kr = add(
        "key_result",
        goal_id=goal,
        roadmap_item_id=first,
        baseline=10,
        target=20,
        target_date=date(2027, 1, 1),
    )
    add("risk", roadmap_item_id=first)
    feedback = add(
        "feedback",
        feature_id=feature,
        key_result_id=kr,
        persona_id=persona,
        received_on=date(2026, 8, 1),
        sentiment="negative",
    )
    add("flaw", feature_id=feature, feedback_id=feedback, severity="high")
    add("kpi_reading", key_result_id=kr, measured_on=date(2026, 8, 31), value=14)
    add("decision", feature_id=feature, decided_on=date(2026, 8, 20))
    return token, h


def test_hostile_text_shows_literally_reads_no_file_and_stays_on_the_page(
    session: Session, tmp_path: Path
) -> None:
    token, hostile = create_hostile_canvas(session)
    document = pdf.render_pdf(session=session, canvas_token=token)

    text = pdf_text(document, tmp_path)
    layout = squash(text)
    raw = squash(pdf_text(document, tmp_path, raw=True))
    body = squash(pdf_text(document, tmp_path, raw=True, body_only=True))
    missing = {f: v for v, f in hostile.values.items() if not shown(v, layout, raw, body)}
    assert not missing, f"{len(missing)} of {len(hostile.values)} fields not shown: {missing}"
    assert all(any(piece in v for v in hostile.values) for piece in PIECES)
    assert "root:x:0:0" not in text and "/bin/bash" not in text  # no file was read

    words = word_boxes(document, tmp_path)
    assert words
    assert {(round(w["width"]), round(w["height"])) for w in words} == {(595, 842)}  # A4
    margin = 2 * 72 / 2.54 - 1.5  # the template's 2 cm side margins, less a little slack
    outside = [
        w
        for w in words
        if w["xMin"] < margin
        or w["xMax"] > w["width"] - margin
        or w["yMin"] < 0
        or w["yMax"] > w["height"]
    ]
    assert not outside, f"{len(outside)} words outside the margins, e.g. {outside[:3]}"

    images = pdf_images(document, tmp_path)
    assert any(row[2] == "image" and int(row[3]) == 120 and int(row[4]) == 80 for row in images), (
        images
    )


def test_the_report_can_say_what_changed_since_a_version(session: Session, tmp_path: Path) -> None:
    """A "Changes since" section after the summary: user text shown as typed, never as
    Typst markup, in the PDF as in the Markdown."""
    from strategy_canvas.export import markdown
    from strategy_canvas.services import changes, versions

    token = demo.create_demo_canvas(session=session).token
    versions.save_version(session=session, canvas_token=token, name="Board, 12 Dec")
    feature = items.list_items(session=session, canvas_token=token, kind="feature")[3]
    hostile = 'Sync #read("/etc/passwd") $x$ *bold*'
    items.update_item(
        session=session,
        canvas_token=token,
        kind="feature",
        item_id=feature.id,
        changes={"title": hostile, "reach": 999_999},
        expected_version=feature.version,
    )
    diff = changes.since_version(session=session, canvas_token=token, since="Board, 12 Dec")
    text = squash(
        pdf_text(pdf.render_pdf(session=session, canvas_token=token, changes=diff), tmp_path)
    )
    assert squash("Changes since “Board, 12 Dec”") in text
    assert squash(f"Changed feature “{hostile}”") in text
    assert squash("Reach: 11,000 → 999,999") in text
    assert "root:" not in text
    plain = squash(pdf_text(pdf.render_pdf(session=session, canvas_token=token), tmp_path))
    assert squash("Changes since") not in plain

    md_text = markdown.render_markdown(session=session, canvas_token=token, changes=diff)
    assert "## Changes since “Board, 12 Dec”" in md_text
    assert "Reach: 11,000 → 999,999" in md_text
    assert "\\#read" in md_text and "\\*bold\\*" in md_text  # escaped, shown as typed


def test_the_preview_is_the_first_page_drawn_alone(
    session: Session, demo_token: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The Export page's preview lays out the cover alone (it drew every page as PNG and
    kept the first): the same pixels as the whole report's first page, no chart drawn."""
    pdf._svg_cache.clear()
    cover = pdf.render_preview(session=session, canvas_token=demo_token)
    assert len(pdf._svg_cache) == 0, "the preview drew the report's charts"
    whole_report = pdf._compile_first_page_png

    def every_page(inputs: dict[str, str], ppi: float) -> bytes:
        return whole_report({k: v for k, v in inputs.items() if k != "cover-only"}, ppi)

    monkeypatch.setattr(pdf, "_compile_first_page_png", every_page)
    assert cover == pdf.render_preview(session=session, canvas_token=demo_token)
    assert Image.open(io.BytesIO(cover)).size[0] > 300


def test_after_an_edit_only_the_charts_of_the_edited_items_are_built_again(
    session: Session, demo_token: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The SVGs are cached by what the charts read: the same demo, edited the same way on
    # the other database, would otherwise be found built already.
    pdf.clear_cache()
    pdf.render_pdf(session=session, canvas_token=demo_token)
    flaw = items.list_items(session=session, canvas_token=demo_token, kind="flaw")[0]
    items.update_item(
        session=session,
        canvas_token=demo_token,
        kind="flaw",
        item_id=flaw.id,
        changes={"severity": "low" if flaw.severity != "low" else "high"},
        expected_version=flaw.version,
    )
    built: list[str] = []

    def counted(name: str, build: Any) -> Any:
        def builder(frames: Any, width: int) -> Any:
            built.append(name)
            return build(frames, width)

        return builder

    monkeypatch.setattr(
        pdf,
        "CHARTS",
        {name: (step, counted(name, build)) for name, (step, build) in pdf.CHARTS.items()},
    )
    pdf.render_pdf(session=session, canvas_token=demo_token)
    assert built == ["flaws"]
    assert set(pdf.CHART_INPUTS) == set(pdf.CHARTS)


def test_typst_keeps_no_stale_report_between_compiles(
    session: Session, demo_token: str, tmp_path: Path
) -> None:
    """Typst is handed the report as files and keeps a memo of its compiles by their
    content: an edit after a report (and after the cover's preview, which reads the same
    files with ``cover-only``) shows in the next one, and the preview's flag does not
    stay behind."""
    feature = items.list_items(session=session, canvas_token=demo_token, kind="feature")[0]
    title = feature.title
    before = pdf.render_pdf(session=session, canvas_token=demo_token)
    pdf.render_preview(session=session, canvas_token=demo_token)
    items.update_item(
        session=session,
        canvas_token=demo_token,
        kind="feature",
        item_id=feature.id,
        changes={"title": "Zebra crossing for the memo"},
        expected_version=feature.version,
    )
    after = pdf.render_pdf(session=session, canvas_token=demo_token)
    old, new = squash(pdf_text(before, tmp_path)), squash(pdf_text(after, tmp_path))
    assert squash("Zebra crossing for the memo") not in old
    assert squash("Zebra crossing for the memo") in new
    assert squash(title) in old and squash(title) not in new
    assert page_count(after) == page_count(before) > 1, "the cover-only flag stayed behind"


def test_an_edit_undone_hands_typst_the_same_report(
    session: Session, demo_token: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Typst's memo keys on the files' content: what the template does not print and
    every edit changes (the change counter, when the canvas changed) is not in
    ``data.json``, so an edit taken back hands Typst the report it laid out before (and
    after any edit only what the edit reaches is laid out again, not every page's header)."""
    handed: list[dict[str, bytes]] = []
    real = pdf._files

    def seen(inputs: Any) -> dict[str, bytes]:
        files = real(inputs)
        handed.append(files)
        return files

    monkeypatch.setattr(pdf, "_files", seen)
    feature = items.list_items(session=session, canvas_token=demo_token, kind="feature")[0]
    pdf.render_pdf(session=session, canvas_token=demo_token)
    for title in ("Taken back in a moment", feature.title):
        current = items.get_item(
            session=session, canvas_token=demo_token, kind="feature", item_id=feature.id
        )
        items.update_item(
            session=session,
            canvas_token=demo_token,
            kind="feature",
            item_id=feature.id,
            changes={"title": title},
            expected_version=current.version,
        )
        pdf.render_pdf(session=session, canvas_token=demo_token)
    first, edited, undone = handed
    assert edited["data.json"] != first["data.json"]
    assert undone == first, "the same report reached Typst as different files"
    template = pdf.TEMPLATE.read_text(encoding="utf-8")
    for field in pdf.UNPRINTED_META:
        assert not re.search(rf"\bmeta\.{field}\b", template), f"the template prints {field}"


def test_the_preview_after_its_pdf_reads_the_canvas_no_more_and_never_an_older_one(
    session: Session, demo_token: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The cover's preview is made right after its PDF, from the PDF's data: the same
    picture as one read from the canvas, without reading it again; after an edit it is
    read again (the data is kept by the canvas's change counter)."""
    pdf.clear_cache()
    alone = pdf.render_preview(session=session, canvas_token=demo_token)
    gathered: list[int] = []
    real = report_data.gather_with_frames

    def counted(**kwargs: Any) -> Any:
        gathered.append(1)
        return real(**kwargs)

    monkeypatch.setattr(report_data, "gather_with_frames", counted)
    pdf.render_pdf(session=session, canvas_token=demo_token)
    assert pdf.render_preview(session=session, canvas_token=demo_token) == alone
    assert len(gathered) == 1, "the preview read the canvas again after its PDF"
    # Other steps are another report: read for themselves.
    pdf.render_preview(session=session, canvas_token=demo_token, steps=(1, 2))
    assert len(gathered) == 2

    canvas = canvases.get_canvas(session=session, canvas_token=demo_token)
    canvases.update_canvas(
        session=session,
        canvas_token=demo_token,
        changes={"name": "Renamed after the PDF"},
        expected_version=canvas.version,
    )
    after = pdf.render_preview(session=session, canvas_token=demo_token)
    assert len(gathered) == 3 and after != alone, "the preview showed the canvas before the edit"
