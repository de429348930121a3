"""The Export page under AppTest: prepare, preview and download each format; import a
backlog CSV with a column mapping (bad rows listed, nothing half imported); import a
canvas from JSON as a new canvas."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from strategy_canvas import db, models
from strategy_canvas.services import canvases, items
from tests.pagekit import open_page, texts

PAGE = "pages/8_Export.py"
DATA = Path(__file__).parent / "data"


def _features(engine: Engine, token: str) -> list[models.Feature]:
    with db.session_scope(engine, readonly=True) as session:
        return items.list_items(session=session, canvas_token=token, kind="feature")


@pytest.mark.parametrize(
    "fmt", ["md", "csv_features", "csv_roadmap", "csv_jira", "csv_linear", "json", "pdf"]
)
def test_prepare_preview_and_download(seeded: models.Canvas, fmt: str) -> None:
    at = open_page(PAGE, canvas=seeded.token)
    assert not at.exception
    at.radio(key="export.format").set_value(fmt).run()
    at.button(key="export.prepare").click().run(timeout=120)
    assert not at.exception
    assert at.get("download_button"), "no download button after preparing"
    if fmt == "pdf":
        assert at.get("image"), "no preview image of the first page"
    elif fmt.startswith("csv"):
        assert at.dataframe
    else:
        assert at.code and seeded.name.split(" ")[0] in at.code[0].value


@pytest.mark.parametrize(
    ("name", "start"),
    [
        ("Küchenplaner 2027 — Straße & Café", "kuchenplaner-2027-strasse-cafe-2"),
        ("製品戦略", "canvas-2"),
    ],
)
def test_the_file_is_named_after_the_canvas_in_plain_letters(
    app_engine: Engine, name: str, start: str
) -> None:
    with db.session_scope(app_engine) as session:
        token = canvases.create_canvas(session=session, canvas_in={"name": name}).token
    at = open_page(PAGE, canvas=token)
    at.radio(key="export.format").set_value("md").run()
    at.button(key="export.prepare").click().run(timeout=120)
    assert not at.exception
    (download,) = at.get("download_button")
    assert download.proto.label.startswith(f"Download {start}")  # the date follows


def test_choosing_no_step_says_so(seeded: models.Canvas) -> None:
    at = open_page(PAGE, canvas=seeded.token)
    at.button_group(key="export.steps").set_value([]).run()
    assert any("at least one step" in w for w in texts(at, "warning"))


def _upload(at, key: str, name: str, mime: str):
    at.file_uploader(key=key).set_value((name, (DATA / name).read_bytes(), mime)).run()
    assert not at.exception
    return at


def _table(at, column: str) -> Any:
    """The dataframe shown that has ``column`` (the preview: "Action"; problems: "Problem")."""
    return next(d.value for d in at.dataframe if column in d.value.columns)


def _preview(at) -> Any:
    return _table(at, "Action")


def test_backlog_import_previews_every_row_then_imports_all_or_nothing(
    app_engine: Engine,
) -> None:
    with db.session_scope(app_engine) as session:
        token = canvases.create_canvas(session=session, canvas_in={"name": "Backlog"}).token
    at = open_page(PAGE, canvas=token)

    # A file with bad rows: every row is previewed with what happens to it, each problem
    # is listed, and the import button stays off until the user chooses to skip them.
    _upload(at, "import.csv", "jira_bad_rows.csv", "text/csv")
    preview = _preview(at)
    assert list(preview["Row"]) == [2, 3, 4, 5, 6]
    assert list(preview["Action"]) == ["new", "problem", "problem", "new", "problem"]
    assert preview.loc[3, "Title"].endswith("(cut, 250 characters in the file)")
    problems = _table(at, "Problem")
    assert set(problems["Row"]) == {3, 4, 6}
    assert any("3 rows have problems" in e for e in texts(at, "error"))
    assert at.button(key="import.apply").disabled
    assert _features(app_engine, token) == []  # nothing written by looking
    radio = next(r for r in at.radio if r.key.startswith("import.skip."))
    radio.set_value("skip").run()
    assert not at.button(key="import.apply").disabled
    at.button(key="import.apply").click().run()
    assert any("skipped rows 3, 4, 6" in s for s in texts(at, "success"))
    assert {f.external_key for f in _features(app_engine, token)} == {"TW-201", "TW-204"}

    # A clean Jira export: the columns are matched by name, previewed, then imported.
    _upload(at, "import.csv", "jira_export.csv", "text/csv")
    title_box = next(b for b in at.selectbox if b.key.startswith("import.map.title."))
    assert title_box.value == "Summary"
    assert len(_preview(at)) == 4
    at.button(key="import.apply").click().run()
    assert any("Imported:" in s for s in texts(at, "success"))

    # The updated export updates those features by their key instead of duplicating them.
    _upload(at, "import.csv", "jira_export_updated.csv", "text/csv")
    assert "update" in set(_preview(at)["Action"])
    at.button(key="import.apply").click().run()
    again = _features(app_engine, token)
    assert len({f.external_key for f in again}) == len(again)


def _value_choice(app_engine: Engine, raw: bytes) -> tuple[Any, str, Any]:
    """A new canvas's import tab with ``raw`` uploaded: (the page, the canvas's token, the
    one selectbox of a value the import does not know)."""
    with db.session_scope(app_engine) as session:
        token = canvases.create_canvas(session=session, canvas_in={"name": "Backlog"}).token
    at = open_page(PAGE, canvas=token)
    at.file_uploader(key="import.csv").set_value(("backlog.csv", raw, "text/csv")).run()
    assert not at.exception
    (choice,) = [b for b in at.selectbox if b.key.startswith("import.value.")]
    return at, token, choice


def test_unknown_statuses_are_shown_with_what_they_became_and_can_be_chosen(
    app_engine: Engine,
) -> None:
    raw = (
        "\ufeffResumen,Clave de incidencia,Estado,Fecha de vencimiento\r\n"
        "Despensa,TW-1,UAT,24/jun/24\r\nInforme,TW-2,Tareas por hacer,\r\n"
    ).encode()
    at, token, choice = _value_choice(app_engine, raw)
    assert "Status “UAT” (row 2)" in choice.label and choice.value == "idea"
    choice.set_value("building").run()
    assert list(_preview(at)["Status"]) == ["building", "idea"]
    at.button(key="import.apply").click().run()
    stored = {f.external_key: f for f in _features(app_engine, token)}
    assert (stored["TW-1"].status, stored["TW-2"].status) == ("building", "idea")


def test_an_unknown_status_with_several_outcomes_is_shown_as_its_category_says(
    app_engine: Engine,
) -> None:
    raw = (
        "Zusammenfassung,Vorgangsschlüssel,Status,Statuskategorie\n"
        "Vorrat,VOR-1,Im Test,Zu erledigen\nListe,VOR-2,Im Test,Fertig\n"
    ).encode()
    at, _, choice = _value_choice(app_engine, raw)
    # not "idea" for both: each row became what its status category says
    assert choice.value == "— as its status category says —"
    assert list(_preview(at)["Status"]) == ["idea", "shipped"]
    choice.set_value("building").run()
    assert list(_preview(at)["Status"]) == ["building", "building"]
    choice.set_value("— as its status category says —").run()
    assert list(_preview(at)["Status"]) == ["idea", "shipped"]


def test_a_value_from_the_file_is_text_in_its_label_never_markdown(app_engine: Engine) -> None:
    """A widget's label is Markdown (links, images): a status from the file would load
    an image from anywhere, or show as a link, if it were pasted into one as it is."""
    from strategy_canvas.ui.text import md

    status = "![x](https://tracker.example/p.png) **UAT** :red[late]"
    _, _, choice = _value_choice(app_engine, f'Summary,Status\nA,"{status}"\n'.encode())
    assert md(status) in choice.label and status not in choice.label


def test_a_json_export_becomes_a_new_canvas(
    seeded: models.Canvas,
    app_engine: Engine,
    tmp_path: Path,
) -> None:
    from strategy_canvas.export import json_io

    with db.session_scope(app_engine, readonly=True) as session:
        text = json_io.dumps(json_io.export_canvas(session=session, canvas_token=seeded.token))
    at = open_page(PAGE, canvas=seeded.token)
    at.file_uploader(key="import.json").set_value(("c.json", text.encode(), "application/json"))
    at.run()
    with db.session_scope(app_engine, readonly=True) as session:
        assert len(canvases.list_canvases(session=session)) == 1  # nothing until confirmed
    at.button(key="import.json.apply").click().run()
    assert any("Imported as a new canvas" in s for s in texts(at, "success"))
    with db.session_scope(app_engine, readonly=True) as session:
        assert len(canvases.list_canvases(session=session)) == 2

    at.file_uploader(key="import.json").set_value(
        ("bad.json", b'{"format": "nope"', "application/json")
    )
    at.run()
    assert texts(at, "error")
