"""The stakeholder PDF: the canvas through a fixed Typst template, with vector charts.

How user data reaches Typst: never as markup. :func:`render_pdf` gathers the canvas into
plain data (:mod:`.report_data`) and hands it to the fixed template
``templates/report.typ`` only as files Typst is given from memory (:func:`_files`):

- ``data.json``: the whole canvas, parsed in Typst with ``json("/data.json")``; the
  template shows its strings as strings, which Typst displays literally, so a note
  saying ``#read("/etc/passwd")`` prints as text;
- ``chart-NAME.svg``: each chart as SVG text (vl-convert), drawn with ``image(...)``;
- ``sketch-ID.svg``: each uploaded sketch as SVG text that wraps the image in a base64
  ``data:`` URI;
- ``report.json``: the theme, the charts supplied (name -> size on the page), the
  sketches supplied and ``cover-only``.

Inside this module they are first a mapping of names to strings (``data``, ``theme``,
``charts``, ``chart:NAME``, ``sketch:ID``, ``cover-only``), which :func:`_files` turns into
those files.

No temporary file is written, and the Typst project root is the template folder, which
holds nothing but the template. Fonts come only from the folder the project ships
(``strategy_canvas/fonts``), never from the system, so every machine lays the report
out the same way.

Charts are the slow part (docs/ARCHITECTURE.md, "The PDF pipeline"): each chart's SVG
is cached in a small in-process LRU keyed by (canvas token, the canvas's change counter,
chart name, width, theme), so a second export of an unchanged canvas converts nothing;
behind it, by a hash of the chart's spec, so after an edit only the charts whose data
changed are drawn again.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import io
import json
import re
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import asdict
from datetime import date
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from strategy_canvas import charts, scoring
from strategy_canvas.charts import svg as chart_svg
from strategy_canvas.charts.common import is_empty
from strategy_canvas.export import report_data
from strategy_canvas.lru import LRUCache
from strategy_canvas.services import canvases
from strategy_canvas.services.changes import Diff

if TYPE_CHECKING:
    import altair as alt
    import pandas as pd
    from sqlmodel import Session

Theme = Literal["light", "print"]
THEMES: tuple[str, ...] = ("light", "print")

FONT_DIR = chart_svg.FONT_DIR
TEMPLATE_DIR = Path(__file__).resolve().parent / "templates"
TEMPLATE = TEMPLATE_DIR / "report.typ"

#: Chart width in CSS pixels. The text column of the A4 page is 483 pt = 644 px, so a
#: chart is drawn at about its natural size (its 11 px labels print at about 8 pt).
CHART_WIDTH = 640
#: Features shown in the score bars and the robustness chart (the check's runs and seed
#: are the page's: scoring.ROBUSTNESS_DRAWS, scoring.ROBUSTNESS_SEED).
ROBUSTNESS_TOP = 25
#: The font every chart uses (shipped in FONT_DIR, registered with vl-convert).
CHART_FONT = chart_svg.FONT
#: Longest side of a sketch image in the PDF, in pixels (about 200 dpi at 5 cm high).
SKETCH_MAX_PIXELS = 1600
CACHE_SIZE = 160


# ------------------------------------------------------------------- chart cache


#: chart and sketch SVGs, by the canvas's state and, behind that, by the chart's spec
_svg_cache: LRUCache[str] = LRUCache(CACHE_SIZE)


#: the last reports' ``data.json``, by (canvas, change counter, steps, workshop, day): the
#: cover's preview, made right after its PDF, does not read the canvas again
_data_cache: LRUCache[str] = LRUCache(16)


def clear_cache() -> None:
    """Forget every cached chart, sketch and report (the benchmark's cold start uses it)."""
    _svg_cache.clear()
    _data_cache.clear()


# ------------------------------------------------------------------ fonts, Typst


@cache
def _typst_fonts() -> Any:
    import typst

    return typst.Fonts(
        include_system_fonts=False, include_embedded_fonts=True, font_paths=[str(FONT_DIR)]
    )


_compile_lock = threading.Lock()


@cache
def _compiler() -> Any:
    """One compiler per process: it keeps Typst's caches (fonts, parsed template) warm."""
    import typst

    return typst.Compiler(
        input=str(TEMPLATE),
        root=str(TEMPLATE_DIR),
        font_paths=_typst_fonts(),
        ignore_system_fonts=True,
    )


@cache
def _template() -> bytes:
    return TEMPLATE.read_bytes()


def _files(inputs: Mapping[str, str]) -> dict[str, bytes]:
    """The report's inputs as the files the template reads, handed to Typst from memory.

    Files, not ``sys_inputs``: the Typst binding hands ``sys_inputs`` over in a hash
    map's random order, and Typst's memo of a compile keys on them in that order, so
    every compile started from nothing (0.3 s for the demo). A file is keyed by its
    content: the same report compiles again from Typst's memo, and after an edit only
    what the changed data reaches is laid out again (docs/ARCHITECTURE.md, "The PDF
    pipeline")."""
    report = {
        "theme": inputs.get("theme", "light"),
        "charts": json.loads(inputs.get("charts", "{}")),
        "sketches": [key.removeprefix("sketch:") for key in inputs if key.startswith("sketch:")],
        "cover-only": inputs.get("cover-only", ""),
    }
    files = {
        "main.typ": _template(),
        "report.json": json.dumps(report).encode(),
        "data.json": inputs["data"].encode(),
    }
    for key, svg in inputs.items():
        kind, _, name = key.partition(":")
        if kind in ("chart", "sketch") and name:
            files[f"{kind}-{name}.svg"] = svg.encode()
    return files


#: the report's ``meta`` fields the template never prints, which change with every edit
#: (the change counter, when the canvas last changed): left out of ``data.json``. Every
#: page's header and footer reads ``meta``, so with them in, any edit gave the header of
#: every page a new input and Typst laid the whole report out again (a feature's title
#: on the demo: 0.27-0.31 s of CPU in Typst with them, 0.09 s without)
UNPRINTED_META = ("revision", "created", "updated")


def _typst_data(data: Mapping[str, Any]) -> str:
    """The report's data as the template reads it (``data.json``): without
    :data:`UNPRINTED_META`, so that what is the same as in the last compile is the same
    input to Typst's memo."""
    meta = {k: v for k, v in data["meta"].items() if k not in UNPRINTED_META}
    return json.dumps({**data, "meta": meta}, ensure_ascii=False, allow_nan=False)


def _compile(inputs: Mapping[str, str]) -> bytes:
    with _compile_lock:  # a compiler serves one compilation at a time
        pdf = _compiler().compile(input=_files(inputs), format="pdf", sys_inputs={})
    assert isinstance(pdf, bytes)
    return pdf


def _compile_first_page_png(inputs: Mapping[str, str], ppi: float) -> bytes:
    with _compile_lock:
        pages = _compiler().compile(input=_files(inputs), format="png", ppi=ppi, sys_inputs={})
    first = pages[0] if isinstance(pages, list) else pages
    assert isinstance(first, bytes)
    return first


# ------------------------------------------------------------------------- charts


#: The print theme's greys for the charts' category colours, in the palette's order:
#: steps of lightness far enough apart to tell the categories apart on paper (plain
#: lightness would print Okabe–Ito's blue, green and vermillion alike).
PRINT_GREYS = (0x2B, 0xA6, 0x6E, 0x0A, 0xCF, 0x8A, 0x50, 0xBE, 0x00)


@cache
def _print_greys() -> dict[str, int]:
    return {
        colour.lower(): grey for colour, grey in zip(charts.CATEGORY, PRINT_GREYS, strict=False)
    }


def _greyscale(svg: str) -> str:
    """Every colour of the SVG as a grey (the print theme): the palette's category
    colours as :data:`PRINT_GREYS`, every other colour as the grey of its lightness."""
    from PIL import ImageColor

    greys = _print_greys()

    def grey(match: re.Match[str]) -> str:
        attribute, value = match.group(1), match.group(2)
        level = greys.get(value.strip().lower())
        if level is None:
            try:
                r, g, b = ImageColor.getrgb(value)[:3]
            except ValueError:
                return match.group(0)  # none, transparent, url(#gradient), currentColor
            level = round(0.299 * r + 0.587 * g + 0.114 * b)
        return f'{attribute}="#{level:02x}{level:02x}{level:02x}"'

    return re.sub(r'\b(fill|stroke|stop-color|color)="([^"]*)"', grey, svg)


#: The room a chart may take on the page, in points: the text column's width, and a
#: little less than its height (so a chart keeps its heading on the same page).
MAX_CHART_POINTS = (481.0, 640.0)
_SVG_SIZE = re.compile(r'<svg\b[^>]*?\bwidth="([\d.]+)"[^>]*?\bheight="([\d.]+)"')


def _chart_size(svg: str) -> dict[str, float]:
    """The chart's size on the page in points: its own size (1 px = 0.75 pt), scaled down
    to fit :data:`MAX_CHART_POINTS`, never up, so chart text keeps one size throughout."""
    found = _SVG_SIZE.search(svg)
    if found is None:
        return {"width": MAX_CHART_POINTS[0], "height": 0}
    width, height = float(found[1]) * 0.75, float(found[2]) * 0.75
    scale = min(1.0, MAX_CHART_POINTS[0] / width, MAX_CHART_POINTS[1] / max(height, 1))
    return {"width": round(width * scale, 2), "height": round(height * scale, 2)}


def _spec(chart: alt.TopLevelMixin) -> dict[str, Any]:
    """The chart's Vega-Lite spec, drawn in the shipped font Typst draws the PDF in."""
    return chart_svg.svg_spec(chart, font=CHART_FONT)


def _to_svgs(specs: Iterable[dict[str, Any]], theme: str) -> list[str]:
    """The specs drawn as SVG by vl-convert (the slow step: a tenth of a second or more
    each), as the pages draw them (charts/svg.py), two at a time where the process has a
    drawing helper (the export worker's: :func:`strategy_canvas.charts.svg.render_all`),
    which starts on each spec as soon as ``specs`` has built it."""
    svgs = chart_svg.render_all(specs)
    return [_greyscale(svg) for svg in svgs] if theme == "print" else svgs


def _frame(frames: Mapping[str, pd.DataFrame], kind: str) -> pd.DataFrame | None:
    """The items of ``kind``, or None when there are none (the chart is then left out:
    the section's table already says "No … yet")."""
    frame = frames[kind]
    return None if frame.empty else frame


def _value_effort(frames: Mapping[str, pd.DataFrame], width: int) -> Any:
    features = _frame(frames, "feature")
    return None if features is None else charts.value_effort_chart(features, width=width)


def _score_bars(frames: Mapping[str, pd.DataFrame], width: int) -> Any:
    features = _frame(frames, "feature")
    if features is None:
        return None
    return charts.score_bars(
        features,
        "rice",
        criteria_df=frames["criterion"],
        scores_df=frames["criterion_score"],
        top=ROBUSTNESS_TOP,
        width=width,
    )


def _robustness(frames: Mapping[str, pd.DataFrame], width: int) -> Any:
    features = _frame(frames, "feature")
    if features is None or scoring.rice_score(features).notna().sum() < 2:
        return None
    if isinstance(frames, report_data.ReportFrames):  # the page's runs, read once
        runs = frames.snapshot.robustness("rice", scoring.DEFAULT_TOP_K)
    else:
        runs = scoring.monte_carlo(
            features,
            framework="rice",
            k=scoring.DEFAULT_TOP_K,
            draws=scoring.ROBUSTNESS_DRAWS,
            seed=scoring.ROBUSTNESS_SEED,
        )
    return charts.robustness_chart(runs, top=ROBUSTNESS_TOP, width=width)


def _simple(kind: str, build: Callable[..., Any], **options: Any) -> ChartBuilder:
    def builder(frames: Mapping[str, pd.DataFrame], width: int) -> Any:
        frame = _frame(frames, kind)
        return None if frame is None else build(frame, width=width, **options)

    return builder


def _timeline(frames: Mapping[str, pd.DataFrame], width: int) -> Any:
    roadmap = _frame(frames, "roadmap_item")
    if roadmap is None:
        return None
    chart = charts.roadmap_timeline(roadmap, width=width)
    if roadmap["milestone"].fillna("").astype(str).str.strip().any():
        # Milestone names are written right of the last bar's end; on paper nothing
        # may run off the chart's edge (the page clips it), so keep room for them.
        chart = chart.properties(padding={"left": 8, "top": 8, "bottom": 8, "right": 150})
    return chart


def _kpis(frames: Mapping[str, pd.DataFrame], width: int) -> Any:
    key_results = _frame(frames, "key_result")
    if key_results is None:
        return None
    return charts.kpi_chart(frames["kpi_reading"], key_results, columns=2, width=width)


ChartBuilder = Callable[[Mapping[str, "pd.DataFrame"], int], Any]

#: chart name -> the item types its builder reads: a chart whose items did not change
#: is neither built nor drawn again after an edit elsewhere
CHART_INPUTS: dict[str, tuple[str, ...]] = {
    "assumption_map": ("assumption",),
    "value_effort": ("feature",),
    "score_bars": ("feature", "criterion", "criterion_score"),
    "robustness": ("feature",),
    "roadmap_lanes": ("roadmap_item",),
    "roadmap_timeline": ("roadmap_item",),
    "kpi": ("key_result", "kpi_reading"),
    "feedback": ("feedback",),
    "flaws": ("flaw",),
}

#: name -> (the step whose section shows it, builder(frames, width) -> chart or None).
CHARTS: dict[str, tuple[int, ChartBuilder]] = {
    "assumption_map": (
        1,
        _simple("assumption", charts.assumption_map, title="Importance against evidence"),
    ),
    "value_effort": (3, _value_effort),
    "score_bars": (3, _score_bars),
    "robustness": (3, _robustness),
    "roadmap_lanes": (4, _simple("roadmap_item", charts.roadmap_lanes)),
    "roadmap_timeline": (4, _timeline),
    "kpi": (5, _kpis),
    "feedback": (5, _simple("feedback", charts.feedback_chart)),
    "flaws": (5, _simple("flaw", charts.flaws_chart)),
}


def _inputs_digest(frames: Mapping[str, pd.DataFrame], kinds: Iterable[str]) -> str:
    """A digest of the items a chart is built from, and of today (a chart may mark
    it): the same digest, the same chart."""
    digest = hashlib.sha256(date.today().isoformat().encode())
    for kind in kinds:
        frame = frames[kind]
        digest.update(f"\0{kind}\0".encode())
        digest.update(
            frame.to_json(orient="split", date_format="iso", default_handler=str).encode()
        )
    return digest.hexdigest()


def _chart_svgs(
    frames: Mapping[str, pd.DataFrame],
    data: Mapping[str, Any],
    *,
    cache_key: tuple[str, int],
    theme: str,
    width: int = CHART_WIDTH,
    timings: dict[str, float] | None = None,
) -> dict[str, str]:
    """name -> SVG of every chart of the chosen steps that has something to show.

    Three cache levels: by the canvas's change counter (an unchanged canvas builds no
    chart at all), by the items the chart reads (:data:`CHART_INPUTS`: after an edit,
    only the charts of the edited item types are built again: editing a flaw leaves the
    roadmap charts as they were), then by the chart's spec (a chart built again with
    the same spec is not drawn again).
    """
    out: dict[str, str] = {}
    began = time.perf_counter()
    #: the charts to draw: (name, its keys by state and by input, its spec, its digest)
    to_draw: list[tuple[str, tuple[Any, ...], tuple[Any, ...], dict[str, Any], str]] = []

    def built() -> Iterator[dict[str, Any]]:
        """The specs of the charts to draw, each yielded as soon as it is built (the
        drawing helper starts on it while the next is built); the rest from the caches."""
        for name, (step, build) in CHARTS.items():
            if step not in data["steps"]:
                continue
            key = (*cache_key, name, width, theme)
            svg = _svg_cache.get(key)
            by_input: tuple[Any, ...] = ()
            if svg is None:
                kinds = CHART_INPUTS[name]
                by_input = ("input", name, _inputs_digest(frames, kinds), width, theme)
                svg = _svg_cache.get(by_input)
            if svg is None:
                chart = build(frames, width)
                if chart is None or is_empty(chart):  # nothing to draw (no readings yet)
                    continue
                spec = _spec(chart)
                digest = chart_svg.digest(spec)
                svg = _svg_cache.get(("spec", digest, theme))
                if svg is None:
                    to_draw.append((name, key, by_input, spec, digest))
                    out[name] = ""  # drawn with the others: keeps the charts' order
                    yield spec
                    continue
                _svg_cache.put(by_input, svg)
            _svg_cache.put(key, svg)
            out[name] = svg

    drawn = _to_svgs(built(), theme)
    for (name, key, by_input, _, digest), svg in zip(to_draw, drawn, strict=True):
        for cached in (("spec", digest, theme), by_input, key):
            _svg_cache.put(cached, svg)
        out[name] = svg
    if timings is not None:
        timings["charts"] = time.perf_counter() - began
    return out


# ----------------------------------------------------------------------- sketches


def _sketch_svg(image: bytes) -> str | None:
    """The image wrapped in an SVG (data: URI), scaled down and as PNG or JPEG; None
    if it is not an image PIL can read."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(image)) as img:
            img.load()
            picture = img.convert("RGBA") if img.mode in ("P", "LA", "PA") else img
            if picture.mode not in ("RGB", "RGBA", "L"):
                picture = picture.convert("RGB")
            if max(picture.size) > SKETCH_MAX_PIXELS:
                picture = picture.copy()
                picture.thumbnail((SKETCH_MAX_PIXELS, SKETCH_MAX_PIXELS))
            width, height = picture.size
            buffer = io.BytesIO()
            if img.format == "JPEG" and picture.mode in ("RGB", "L"):
                picture.save(buffer, "JPEG", quality=88)
                media_type = "image/jpeg"
            else:
                picture.save(buffer, "PNG", optimize=False)
                media_type = "image/png"
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError):
        return None
    encoded = base64.b64encode(buffer.getvalue()).decode("ascii")
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}"><image width="{width}" height="{height}" '
        f'href="data:{media_type};base64,{encoded}"/></svg>'
    )


def _sketch_svgs(data: dict[str, Any], *, cache_key: tuple[str, int]) -> dict[str, str]:
    """sketch id -> SVG for every uploaded image; takes the base64 out of ``data``."""
    out: dict[str, str] = {}
    for sketch in data.get("step3", {}).get("sketches", []):
        encoded = sketch.pop("image_base64", None)
        if not encoded:
            continue
        key = (*cache_key, f"sketch:{sketch['id']}", 0, "")
        svg = _svg_cache.get(key)
        if svg is None:
            try:
                svg = _sketch_svg(base64.b64decode(encoded, validate=True))
            except (binascii.Error, ValueError):
                svg = None
            if svg is None:
                continue
            _svg_cache.put(key, svg)
        out[str(sketch["id"])] = svg
    return out


# ------------------------------------------------------------------------- render


def render_pdf_with_timings(
    *,
    session: Session,
    canvas_token: str,
    steps: Iterable[int] = report_data.ALL_STEPS,
    theme: Theme = "light",
    preview_ppi: float | None = None,
    workshop: str | None = None,
    changes: Diff | None = None,
) -> tuple[bytes, dict[str, float]]:
    """:func:`render_pdf`, and the seconds spent gathering, on charts and in Typst.

    With ``preview_ppi`` it renders only the first page (the cover, laid out alone), as
    PNG at that resolution."""
    if theme not in THEMES:
        raise ValueError(f"theme must be one of {', '.join(THEMES)}, not {theme!r}")
    timings: dict[str, float] = {}
    began = time.perf_counter()
    steps = tuple(steps)
    cover_only = preview_ppi is not None  # the cover holds no chart and no sketch
    if preview_ppi is not None and changes is None:  # made right after its PDF: its data
        revision = canvases.get_revision(session=session, canvas_token=canvas_token)
        made = _data_cache.get(_data_key(canvas_token, revision, steps, workshop))
        if made is not None:
            timings["gather"] = time.perf_counter() - began
            inputs = {"data": made, "theme": theme, "charts": "{}", "cover-only": "yes"}
            began = time.perf_counter()
            png = _compile_first_page_png(inputs, preview_ppi)
            timings["typst"] = time.perf_counter() - began
            return png, timings
    data, frames = report_data.gather_with_frames(
        session=session,
        canvas_token=canvas_token,
        steps=steps,
        include_images=True,
        workshop=workshop,
    )
    timings["gather"] = time.perf_counter() - began
    revision = int(data["meta"]["revision"])
    if changes is not None:  # a "Changes since …" section after the summary (plain text)
        data["changes"] = {
            "title": changes.title,
            "headline": changes.summary(),
            "sections": [asdict(section) for section in changes.sections()],
        }
    cache_key = (canvas_token, revision)
    charts = (
        {}
        if cover_only
        else _chart_svgs(frames, data, cache_key=cache_key, theme=theme, timings=timings)
    )
    sketches = {} if cover_only else _sketch_svgs(data, cache_key=cache_key)
    typst_data = _typst_data(data)
    if changes is None:
        _data_cache.put(_data_key(canvas_token, revision, steps, workshop), typst_data)
    inputs = {
        "data": typst_data,
        "theme": theme,
        "charts": json.dumps({name: _chart_size(svg) for name, svg in charts.items()}),
        **{f"chart:{name}": svg for name, svg in charts.items()},
        **{f"sketch:{sketch_id}": svg for sketch_id, svg in sketches.items()},
        **({"cover-only": "yes"} if cover_only else {}),
    }
    began = time.perf_counter()
    pdf = _compile_first_page_png(inputs, preview_ppi) if preview_ppi else _compile(inputs)
    timings["typst"] = time.perf_counter() - began
    return pdf, timings


def _data_key(
    canvas_token: str, revision: int, steps: tuple[int, ...], workshop: str | None
) -> tuple[Any, ...]:
    return (canvas_token, revision, tuple(sorted(set(steps))), workshop, date.today())


def render_preview(
    *,
    session: Session,
    canvas_token: str,
    steps: Iterable[int] = report_data.ALL_STEPS,
    theme: Theme = "light",
    ppi: float = 60,
    workshop: str | None = None,
) -> bytes:
    """The PDF's first page (the cover) as a PNG image, for a preview before download."""
    png, _ = render_pdf_with_timings(
        session=session,
        canvas_token=canvas_token,
        steps=steps,
        theme=theme,
        preview_ppi=ppi,
        workshop=workshop,
    )
    return png


def render_pdf(
    *,
    session: Session,
    canvas_token: str,
    steps: Iterable[int] = report_data.ALL_STEPS,
    theme: Theme = "light",
    workshop: str | None = None,
    changes: Diff | None = None,
) -> bytes:
    """The canvas as a PDF report for stakeholders.

    Parameters
    ----------
    steps: the steps to include (1–5); the cover, contents, executive summary, decision
        log and open flaws and risks are always there.
    theme: "light" (colour accents, tinted tables) or "print" (no background colours,
        greyscale charts).
    workshop: a key of ``services.workshops.summary_choices``: that workshop's summary
        (decisions and actions, themes, votes, blind scores, notes never promoted) gets
        a section before the decision log.
    changes: what changed since a version (services/changes.py), as a section of its own
        after the executive summary.

    Raises NotFound for an unknown canvas, ValueError for a bad step or theme.
    """
    pdf, _ = render_pdf_with_timings(
        session=session,
        canvas_token=canvas_token,
        steps=steps,
        theme=theme,
        workshop=workshop,
        changes=changes,
    )
    return pdf
