"""The report says what the team decided: the PDF and the Markdown hold the weighted
ranking, every framework's rank side by side and the robustness verdicts, in the same
numbers as the Prioritise tab (the same 2,000 runs with the same seed); the cover names
who prepared it only when someone is named."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from sqlalchemy import Engine
from streamlit.testing.v1 import AppTest

from strategy_canvas import db, models, scoring
from strategy_canvas.export import markdown, pdf
from strategy_canvas.services import canvases, snapshot
from strategy_canvas.ui import designs
from strategy_canvas.ui import prioritisation as prio
from tests.pagekit import APP, TIMEOUT, texts
from tests.reportkit import md_tables, pdf_layout_text

VERDICT_WORDS = {"solid": "✓ solid", "fragile": "⚠ fragile"}


def _prioritise(token: str, view: str, framework: str = "rice") -> AppTest:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.switch_page("pages/3_Designs.py")
    at.query_params["canvas"] = token
    at.session_state[designs.TAB_KEY] = designs.TABS[1]
    at.session_state[prio.VIEW_KEY] = view
    at.session_state[prio.FRAMEWORK_KEY] = framework
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def _unescape(text: str) -> str:
    return re.sub(r"\\(.)", r"\1", text)


def _page_verdicts(at: AppTest) -> dict[str, tuple[str, str]]:
    """Title -> (verdict, sentence) as the robustness view words them."""
    out = {}
    for text in texts(at, "markdown"):
        for mark, title, sentence in re.findall(
            r"^- :\w+\[\*\*(✓ solid|⚠ fragile)\*\*\] \*\*(.+?)\*\* — (.+)$", text, flags=re.M
        ):
            out[_unescape(title)] = (mark, _unescape(sentence))
    return out


def test_the_reports_hold_the_decisions_in_the_pages_numbers(
    seeded: models.Canvas, app_engine: Engine, tmp_path: Path
) -> None:
    if not shutil.which("pdftotext"):
        pytest.skip("poppler-utils (pdftotext) is not installed")
    token = seeded.token
    snapshot.clear_cache()
    with db.session_scope(app_engine, readonly=True) as session:
        snap = snapshot.snapshot(session=session, canvas_token=token)
        md = markdown.render_markdown(session=session, canvas_token=token)
        pdf_text = pdf_layout_text(pdf.render_pdf(session=session, canvas_token=token), tmp_path)
    runs = snap.robustness("rice", scoring.DEFAULT_TOP_K)
    assert runs.attrs["draws"] == 2000 and runs.attrs["seed"] == scoring.ROBUSTNESS_SEED

    # The robustness verdicts: the page, the Markdown and the PDF say the same.
    scored = runs[runs["verdict"].isin(list(VERDICT_WORDS))]
    page = _page_verdicts(_prioritise(token, prio.VIEWS[2]))
    assert page == {
        str(t): (VERDICT_WORDS[str(v)], str(sentence))
        for t, v, sentence in zip(
            scored["title"], scored["verdict"], scored["sentence"], strict=True
        )
    }
    expected = {
        str(t): (VERDICT_WORDS[str(v)], scoring.share_text(float(p)))
        for t, v, p in zip(scored["title"], scored["verdict"], scored["p_top_k"], strict=True)
    }
    [table] = md_tables(md, "How robust the ranking is")
    assert {r["Feature"]: (r["Verdict"], r["Top 5"]) for r in table} == expected
    assert {r["Feature"]: r["In short"] for r in table} == {t: s for t, (_, s) in page.items()}
    assert "2,000 runs of the RICE ranking" in md
    section = pdf_text[pdf_text.rindex("How robust the ranking is") :]
    assert "2,000 runs of the RICE ranking" in " ".join(section.split())
    for title, (verdict, share) in expected.items():
        [line] = [
            line
            for line in section.splitlines()
            if line.strip().startswith(title[:20]) and re.search(r"Solid|Fragile", line)
        ]  # the table's row (the chart names the features too)
        assert verdict.split()[-1].capitalize() in line and f" {share}" in line, (title, line)

    # Every framework's rank, and the weighted ranking: as the ranking view shows them.
    ranking = _prioritise(token, prio.VIEWS[0], framework="weighted")
    [shown] = [d.value for d in ranking.dataframe if "Spread" in d.value.columns]
    labels = {k: fw.label.replace(" score", "") for k, fw in scoring.FRAMEWORKS.items()}
    page_ranks = {
        str(row["Feature"]): {
            k: "—" if row[label] is None or row[label] != row[label] else str(int(row[label]))
            for k, label in labels.items()
        }
        for row in shown.to_dict("records")
    }
    [side_by_side] = md_tables(md, "Every framework's rank")
    assert {
        r["Feature"]: {k: r[label] for k, label in labels.items()} for r in side_by_side
    } == page_ranks
    [weighted] = md_tables(md, "Weighted ranking")
    assert [(r["#"], r["Feature"]) for r in weighted] == [
        (ranks["weighted"], title)
        for title, ranks in page_ranks.items()  # the page lists them best first
        if ranks["weighted"] != "—"
    ]
    weighted_pdf = pdf_text[pdf_text.rindex("Weighted ranking") :]
    for row in weighted[:5]:
        assert re.search(rf"^\s*{row['#']}\s+{re.escape(row['Feature'][:20])}", weighted_pdf, re.M)


def test_the_cover_names_who_prepared_it_only_when_someone_is_named(
    app_engine: Engine, tmp_path: Path
) -> None:
    if not shutil.which("pdftotext"):
        pytest.skip("poppler-utils (pdftotext) is not installed")
    with db.session_scope(app_engine) as session:
        token = canvases.create_canvas(session=session, canvas_in={"name": "Nameless"}).token
    with db.session_scope(app_engine, readonly=True) as session:
        cover = pdf_layout_text(pdf.render_pdf(session=session, canvas_token=token), tmp_path)
    first_page = cover.split("\f")[0]
    assert "PREPARED BY" not in first_page and "DATE" in first_page
    with db.session_scope(app_engine) as session:
        canvas = canvases.get_canvas(session=session, canvas_token=token)
        canvases.update_canvas(
            session=session,
            canvas_token=token,
            changes={"authors": "Ana Ruiz, Stage team"},
            expected_version=canvas.version,
        )
    with db.session_scope(app_engine, readonly=True) as session:
        cover = pdf_layout_text(pdf.render_pdf(session=session, canvas_token=token), tmp_path)
    assert "PREPARED BY" in cover.split("\f")[0] and "Ana Ruiz, Stage team" in cover


def test_the_decision_log_follows_on_a_page_with_room_left(
    seeded: models.Canvas, app_engine: Engine, tmp_path: Path
) -> None:
    """The decision log (like a step) starts a page of its own only when less than half
    of the page is left: the last rows of the flaws table were left alone on a page."""
    if not shutil.which("pdftotext"):
        pytest.skip("poppler-utils (pdftotext) is not installed")
    with db.session_scope(app_engine, readonly=True) as session:
        text = pdf_layout_text(pdf.render_pdf(session=session, canvas_token=seeded.token), tmp_path)
    [page] = [p for p in text.split("\f") if re.search(r"^\s*Decision log\s*$", p, re.M)]
    before = page[: re.search(r"^\s*Decision log\s*$", page, re.M).start()]  # type: ignore[union-attr]
    assert "Fix status" in before, "the decision log began a new page after a short one"
