"""Step 3 (Designs) driven through its widgets: add, edit and delete features, sketches
(a link and an upload), criteria and criterion scores; invalid input named by field and
rule with nothing written; the board with the demo canvas and the empty states."""

from __future__ import annotations

import io

import pytest
from PIL import Image
from sqlalchemy import Engine
from streamlit.testing.v1 import AppTest

from strategy_canvas import db, models
from strategy_canvas.services import canvases, items
from strategy_canvas.ui import designs
from strategy_canvas.ui.text import md
from tests.pagekit import (
    add_edit_delete,
    choose_kind,
    click,
    field,
    fill,
    html_text,
    open_page,
    rows,
    sections,
    show_part,
    texts,
)

PAGE = "pages/3_Designs.py"


@pytest.fixture
def canvas(app_engine: Engine) -> models.Canvas:
    """A canvas with what step 3 links to: a persona, a goal, a feature and a criterion."""
    with db.session_scope(app_engine) as session:
        canvas = canvases.create_canvas(session=session, canvas_in={"name": "Designs"})

        def add(kind: str, **data: object) -> int:
            return items.create_item(
                session=session, canvas_token=canvas.token, kind=kind, data=data
            ).id

        add("persona", name="Busy parent")
        add("goal", title="Save time")
        add("feature", title="Weekly plan", reach=500, impact=1, confidence=50, effort=1)
        add("criterion", name="Strategic fit", weight=40)
        return canvas


def _id(engine: Engine, token: str, kind: str) -> int:
    return rows(engine, token, kind)[0].id


def _png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 6), "#4F46E5").save(buffer, "PNG")
    return buffer.getvalue()


def _page(canvas: models.Canvas) -> AppTest:
    at = open_page(PAGE, canvas=canvas.token)
    assert not at.exception, [e.message for e in at.exception]
    return at


# ------------------------------------------------------------- add, edit, delete


def test_feature_tied_to_a_persona_and_a_goal(app_engine: Engine, canvas: models.Canvas) -> None:
    persona = _id(app_engine, canvas.token, "persona")
    goal = _id(app_engine, canvas.token, "goal")
    at = _page(canvas)
    # the links are chosen from the earlier steps' items
    assert "Busy parent" in field(at, "feature", "new", "persona_id").options
    assert "Save time" in field(at, "feature", "new", "goal_id").options
    create = {
        "title": "Fridge-first planning",
        "kind": "epic",
        "persona_id": persona,
        "goal_id": goal,
        "reach": 8000,
        "impact": 2.0,
        "confidence": 60,
        "effort": 3.0,
        "moscow": "should",
    }
    edited = add_edit_delete(
        at,
        app_engine,
        canvas.token,
        step=3,
        kind="feature",
        create=create,
        edit={"title": "Fridge-first plans", "kano": "delighter"},
        added="“Fridge-first planning”",
        saved="“Fridge-first plans”",
    )
    assert edited.reach == 8000


def test_the_feature_editor_keeps_every_part_while_one_is_shown(
    app_engine: Engine, canvas: models.Canvas
) -> None:
    """One part of a feature is drawn at a time; what was typed in the others stays,
    is restored when their part is opened again, and is saved with the rest."""
    at = _page(canvas)
    assert at.segmented_control(key=designs.PART_KEY).value == "Details"
    with pytest.raises(KeyError):
        at.number_input(key="ed.feature.new.reach")  # not drawn: another part
    at.text_input(key="ed.feature.new.title").input("Pantry scan").run()
    show_part(at, "Scores")
    at.number_input(key="ed.feature.new.reach").set_value(1200).run()
    show_part(at, "More")
    at.text_input(key="ed.feature.new.external_key").input("PB-42").run()
    show_part(at, "Details")
    assert at.text_input(key="ed.feature.new.title").value == "Pantry scan"
    show_part(at, "Scores")
    assert at.number_input(key="ed.feature.new.reach").value == 1200
    click(at, "ed.feature.new.save")
    [added] = [r for r in rows(app_engine, canvas.token, "feature") if r.title == "Pantry scan"]
    assert (added.reach, added.external_key) == (1200, "PB-42")


def test_feature_rice_shows_live_in_the_editor_and_on_the_board(
    app_engine: Engine, canvas: models.Canvas
) -> None:
    at = _page(canvas)
    fill(at, "feature", "new", {"reach": 8000, "impact": 2.0, "confidence": 60, "effort": 3.0})
    assert any("= **3,200.0**" in c for c in texts(at, "caption"))
    fill(at, "feature", "new", {"title": "Fridge-first planning"})
    click(at, "ed.feature.new.save")
    table = at.dataframe[0].value
    assert list(table["Title"]) == ["Fridge-first planning", "Weekly plan"]  # by RICE
    assert list(table["RICE"]) == [3200.0, 250.0]


def test_sketch_as_a_link(app_engine: Engine, canvas: models.Canvas) -> None:
    feature = _id(app_engine, canvas.token, "feature")
    at = _page(canvas)
    add_edit_delete(
        at,
        app_engine,
        canvas.token,
        step=3,
        kind="sketch",
        create={"feature_id": feature, "caption": "Week view", "url": "https://example.com/w"},
        edit={"caption": "Week view v2"},
        added="“Week view”",
        saved="“Week view v2”",
    )


def test_sketch_as_an_uploaded_image(app_engine: Engine, canvas: models.Canvas) -> None:
    feature = _id(app_engine, canvas.token, "feature")
    at = choose_kind(_page(canvas), 3, "sketch")
    fill(at, "sketch", "new", {"feature_id": feature, "caption": "Scan *screen*"})
    at.file_uploader[0].upload("scan.png", _png(), "image/png").run()
    assert any("Chosen: scan\\.png" in c for c in texts(at, "caption"))
    click(at, "ed.sketch.new.save")
    [sketch] = rows(app_engine, canvas.token, "sketch")
    assert (sketch.image, sketch.media_type, sketch.url) == (_png(), "image/png", "")
    assert at.get("image"), "the gallery shows the image"
    board = " ".join(texts(at, "markdown"))
    assert f"**{md('Scan *screen*')}**" in board and "for Weekly plan" in board
    assert not at.file_uploader[0].value  # a fresh uploader for the next sketch

    # Replace the image with a link only: remove it, give a link, save.
    at.selectbox(key="ed.sketch.open").set_value(str(sketch.id)).run()
    at.checkbox(key=f"ed.sketch.{sketch.id}.remove_image").check()
    fill(at, "sketch", sketch.id, {"url": "https://example.com/scan"})
    click(at, f"ed.sketch.{sketch.id}.save")
    [sketch] = rows(app_engine, canvas.token, "sketch")
    assert (sketch.image, sketch.media_type, sketch.url) == (None, "", "https://example.com/scan")
    assert not at.get("image")
    assert [b.proto.url for b in at.get("link_button")] == ["https://example.com/scan"]


def test_a_chosen_image_survives_moving_to_another_page(
    app_engine: Engine, canvas: models.Canvas
) -> None:
    feature = _id(app_engine, canvas.token, "feature")
    at = choose_kind(_page(canvas), 3, "sketch")
    fill(at, "sketch", "new", {"feature_id": feature})
    at.file_uploader[0].upload("scan.png", _png(), "image/png").run()
    at.switch_page("pages/2_Vision.py").run()  # away, mid-edit
    at.switch_page(PAGE).run()  # and back
    choose_kind(at, 3, "sketch")
    assert any("Chosen: scan\\.png" in c for c in texts(at, "caption"))
    click(at, "ed.sketch.new.save")
    assert rows(app_engine, canvas.token, "sketch")[0].image == _png()


def test_an_unwanted_file_can_be_dropped(app_engine: Engine, canvas: models.Canvas) -> None:
    feature = _id(app_engine, canvas.token, "feature")
    at = choose_kind(_page(canvas), 3, "sketch")
    fill(at, "sketch", "new", {"feature_id": feature})
    at.file_uploader[0].upload("scan.png", _png(), "image/png").run()
    click(at, "ed.sketch.new.drop_upload")
    assert not any("Chosen:" in c for c in texts(at, "caption"))
    assert not at.file_uploader[0].value
    click(at, "ed.sketch.new.save")  # no link, no image: refused
    assert "**Link** give a link or upload an image" in " ".join(texts(at, "error"))


def test_saving_without_a_change_says_so(app_engine: Engine, canvas: models.Canvas) -> None:
    criterion = rows(app_engine, canvas.token, "criterion")[0]
    at = choose_kind(_page(canvas), 3, "criterion")
    at.selectbox(key="ed.criterion.open").set_value(str(criterion.id)).run()
    click(at, f"ed.criterion.{criterion.id}.save")
    assert "Nothing changed, nothing to save\\." in texts(at, "success")
    assert rows(app_engine, canvas.token, "criterion")[0].version == criterion.version


def test_criterion(app_engine: Engine, canvas: models.Canvas) -> None:
    add_edit_delete(
        _page(canvas),
        app_engine,
        canvas.token,
        step=3,
        kind="criterion",
        create={"name": "Revenue potential", "weight": 35.0, "description": "Paid tier"},
        edit={"weight": 30.0},
        added="“Revenue potential”",
    )


def test_criterion_score(app_engine: Engine, canvas: models.Canvas) -> None:
    feature = _id(app_engine, canvas.token, "feature")
    criterion = _id(app_engine, canvas.token, "criterion")
    edited = add_edit_delete(
        _page(canvas),
        app_engine,
        canvas.token,
        step=3,
        kind="criterion_score",
        create={"feature_id": feature, "criterion_id": criterion, "score": 7.0},
        edit={"score": 9.0},
        added="“Weekly plan” on “Strategic fit”",  # named by what it scores, not "7.0"
        saved="“Weekly plan” on “Strategic fit”",
    )
    assert edited.score == 9.0


# ------------------------------------------------------------------ invalid input


def _error(at: AppTest) -> str:
    errors = texts(at, "error")
    assert errors, "an error is shown"
    return " ".join(errors)


def test_a_feature_needs_a_title(app_engine: Engine, canvas: models.Canvas) -> None:
    at = _page(canvas)
    fill(at, "feature", "new", {"reach": 10})
    click(at, "ed.feature.new.save")
    assert "**Title** is required and cannot be empty" in _error(at)
    assert len(rows(app_engine, canvas.token, "feature")) == 1
    # the part holding the field named in the message is opened, the rest is kept
    assert at.segmented_control(key=designs.PART_KEY).value == "Details"
    assert at.text_input(key="ed.feature.new.title").value == ""
    show_part(at, "Scores")
    assert at.number_input(key="ed.feature.new.reach").value == 10


def test_a_non_image_upload_is_refused(app_engine: Engine, canvas: models.Canvas) -> None:
    feature = _id(app_engine, canvas.token, "feature")
    at = choose_kind(_page(canvas), 3, "sketch")
    fill(at, "sketch", "new", {"feature_id": feature})
    at.file_uploader[0].upload("notes.png", b"just some text", "image/png").run()
    warning = " ".join(texts(at, "warning"))
    assert "**Image**" in warning and "not a PNG, JPEG, GIF or WebP image" in warning
    click(at, "ed.sketch.new.save")
    assert "**Image** must be a PNG, JPEG, GIF or WebP image by its content" in _error(at)
    assert rows(app_engine, canvas.token, "sketch") == []


@pytest.mark.parametrize(
    ("url", "message"),
    [("", "**Link** give a link or upload an image"), ("ftp://x", "**Link** must start with")],
    ids=["nothing", "not-a-web-link"],
)
def test_a_sketch_needs_a_web_link_or_an_image(
    app_engine: Engine, canvas: models.Canvas, url: str, message: str
) -> None:
    feature = _id(app_engine, canvas.token, "feature")
    at = choose_kind(_page(canvas), 3, "sketch")
    fill(at, "sketch", "new", {"feature_id": feature, "url": url})
    click(at, "ed.sketch.new.save")
    assert message in _error(at)
    assert rows(app_engine, canvas.token, "sketch") == []


def test_a_score_names_what_is_missing(app_engine: Engine, canvas: models.Canvas) -> None:
    at = choose_kind(_page(canvas), 3, "criterion_score")
    click(at, "ed.criterion_score.new.save")  # nothing chosen, nothing typed
    error = _error(at)
    for label in ("Feature", "Criterion", "Score"):
        assert f"**{label}** is required" in error
    assert rows(app_engine, canvas.token, "criterion_score") == []


def test_a_second_score_for_the_same_pair_is_refused(
    app_engine: Engine, canvas: models.Canvas
) -> None:
    feature = _id(app_engine, canvas.token, "feature")
    criterion = _id(app_engine, canvas.token, "criterion")
    at = choose_kind(_page(canvas), 3, "criterion_score")
    pair = {"feature_id": feature, "criterion_id": criterion, "score": 5.0}
    fill(at, "criterion_score", "new", pair)
    click(at, "ed.criterion_score.new.save")
    fill(at, "criterion_score", "new", pair)
    click(at, "ed.criterion_score.new.save")
    assert "**Criterion** this feature has a score for it already" in _error(at)
    assert len(rows(app_engine, canvas.token, "criterion_score")) == 1


# -------------------------------------------------------------------------- board


def test_the_demo_canvas_shows_every_section(app_engine: Engine, seeded: models.Canvas) -> None:
    at = _page(seeded)
    heads = sections(at)
    for kind in designs.KINDS:
        count = len(rows(app_engine, seeded.token, kind))
        assert f"{items.ITEM_TYPES[kind].plural} · {count}" in heads
    features, criteria = (d.value for d in at.dataframe[:2])  # the board's tables
    assert {"Title", "RICE", "MoSCoW", "Kano", "Epic", "Persona", "Goal"} <= set(features)
    rice = features["RICE"].dropna().tolist()
    assert rice == sorted(rice, reverse=True) and len(rice) == len(features)
    assert any(str(k).startswith("epic · ") for k in features["Kind"])
    notes = " ".join(html_text(at, "sc-small"))  # under the table, one html element
    assert "Score them in place" in notes and "under Prioritise (the tab above)" in notes
    assert "without a RICE score" not in notes  # every demo feature has its four
    assert list(criteria["Criterion"]) == ["Strategic fit", "Revenue potential", "Time to value"]
    # the scores themselves are in the Prioritise grid, a column per criterion
    assert any("13 of 13 features scored on every criterion" in c for c in texts(at, "caption"))
    assert len(at.get("link_button")) == 3  # the demo's sketches are links
    for kind in designs.KINDS:  # every item type can be edited
        choose_kind(at, 3, kind)
        assert not at.exception
        assert at.selectbox(key=f"ed.{kind}.open")


def test_a_feature_without_a_rice_score_is_counted_under_the_table(app_engine: Engine) -> None:
    with db.session_scope(app_engine) as session:
        token = canvases.create_canvas(session=session, canvas_in={"name": "Unscored"}).token
        items.create_item(
            session=session, canvas_token=token, kind="feature", data={"title": "Bare idea"}
        )
    at = open_page(PAGE, canvas=token)
    assert not at.exception
    notes = " ".join(html_text(at, "sc-small"))
    assert "1 of 1 without a RICE score (they sort last)" in notes


def test_the_empty_canvas_says_what_to_do(app_engine: Engine) -> None:
    with db.session_scope(app_engine) as session:
        token = canvases.create_canvas(session=session, canvas_in={"name": "Empty"}).token
    at = open_page(PAGE, canvas=token)
    assert not at.exception
    heads = sections(at)
    for kind, empty in [
        ("feature", "No features yet"),
        ("criterion", "No scoring criteria yet"),
        ("criterion_score", "No criterion scores yet"),
        ("sketch", "No sketches yet — link a mock-up"),
    ]:  # under its heading, in the same element
        assert any(h.startswith(f"{items.ITEM_TYPES[kind].plural} · 0{empty}") for h in heads)
    assert not at.dataframe
    choose_kind(at, 3, "sketch")
    assert any("add a feature first" in i for i in texts(at, "info"))
    assert not at.file_uploader


def test_a_story_belongs_to_an_epic_not_to_any_feature(
    app_engine: Engine, seeded: models.Canvas
) -> None:
    features = rows(app_engine, seeded.token, "feature")
    epics = {f.title for f in features if f.kind == "epic"}
    others = {f.title for f in features if f.kind != "epic"}
    assert epics and others
    at = _page(seeded)
    options = set(field(at, "feature", "new", "epic_id").options) - {"— none —"}
    assert options == epics
    # a link made before (to what is not an epic) stays a choice: it is never dropped
    story = next(f for f in features if f.kind != "epic")
    plain = next(f for f in features if f.kind != "epic" and f.id != story.id)
    with db.session_scope(app_engine) as session:
        items.update_item(
            session=session,
            canvas_token=seeded.token,
            kind="feature",
            item_id=story.id,
            changes={"epic_id": plain.id},
            expected_version=story.version,
        )
    at = _page(seeded)
    at.selectbox(key="ed.feature.open").set_value(str(story.id)).run()
    box = field(at, "feature", story.id, "epic_id")
    assert box.value == plain.id and plain.title in box.options


# ------------------------------------------------------------------ a long list


def test_a_long_list_is_picked_from_a_popover(app_engine: Engine, canvas: models.Canvas) -> None:
    """More than LONG_LIST features: the picker is a popover naming the open item, whose
    list is sent only while it is open; picking opens the item and folds the list."""
    from strategy_canvas.ui import editing, editor

    hostile = "<b>x</b> **y** [z](w) :red[no]"
    with db.session_scope(app_engine) as session:
        for n in range(editor.LONG_LIST):
            title = f"Feature {n}" if n else f"Feature {hostile}"
            items.create_item(
                session=session, canvas_token=canvas.token, kind="feature", data={"title": title}
            )
    chosen = next(r for r in rows(app_engine, canvas.token, "feature") if hostile in r.title)
    at = _page(canvas)
    choose_kind(at, 3, "feature")
    assert not [b for b in at.selectbox if b.key == "ed.feature.open"]  # not drawn
    popover_key = editing.long_picker_key("feature")
    assert not at.session_state[popover_key]
    [popover] = [p for p in at.get("popover") if "Edit a feature" in p.proto.popover.label]
    assert popover.proto.popover.label == "Edit a feature: ➕ New feature"

    at.session_state[popover_key] = True  # the person opens it
    at.run()
    box = at.selectbox(key="ed.feature.open")
    assert len(box.options) == editor.LONG_LIST + 2  # a new one, then every feature
    box.set_value(str(chosen.id)).run()
    assert not at.exception
    assert not at.session_state[popover_key]  # picking folded the list
    assert not [b for b in at.selectbox if b.key == "ed.feature.open"]
    [popover] = [p for p in at.get("popover") if "Edit a feature" in p.proto.popover.label]
    assert popover.proto.popover.label == f"Edit a feature: {md(chosen.title)}"
    show_part(at, "Details")
    assert at.text_input(key=f"ed.feature.{chosen.id}.title").value == chosen.title
    at.run()  # another run keeps the choice, the list still folded
    assert at.text_input(key=f"ed.feature.{chosen.id}.title").value == chosen.title
