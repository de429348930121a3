"""The History screen, the sidebar's name and undo, an item's own history and the
Overview's line, under AppTest on the demo canvas."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine
from sqlmodel import select
from streamlit.testing.v1 import AppTest

from strategy_canvas import db, models
from strategy_canvas.services import activity, history, items, versions
from strategy_canvas.ui import history_page, identity, item_history, push, steps
from strategy_canvas.ui.text import md
from tests.pagekit import all_text, click, no_exception, open_page, rows, texts

HISTORY = steps.HISTORY_PAGE


def _entries(engine: Engine, token: str) -> list[models.Activity]:
    with db.session_scope(engine, readonly=True) as session:
        canvas_id = items.canvas_id_for(session, token)
        return list(
            session.exec(
                select(models.Activity)
                .where(models.Activity.canvas_id == canvas_id)
                .order_by(models.Activity.id)  # type: ignore[arg-type]
            )
        )


def _delete(engine: Engine, token: str, kind: str, index: int = 0, **actor: Any) -> Any:
    with db.session_scope(engine) as session:
        row = items.list_items(session=session, canvas_token=token, kind=kind)[index]
        items.delete_item(
            session=session,
            canvas_token=token,
            kind=kind,
            item_id=row.id,
            expected_version=row.version,
            actor=activity.Actor.person(actor.get("name", "Ben"), "ben-key"),
        )
    return row


def _name_myself(at: AppTest, name: str) -> AppTest:
    at.sidebar.text_input(key=identity.NAME_INPUT).set_value(name).run()
    no_exception(at)
    return at


def test_a_page_write_is_recorded_under_the_name_given_once(
    seeded: models.Canvas, app_engine: Engine
) -> None:
    at = open_page(steps.STEPS[1].page, canvas=seeded.token)
    assert at.sidebar.text_input(key=identity.NAME_INPUT)  # asked, since nothing names us
    _name_myself(at, "Ana")
    assert not at.sidebar.get("text_input"), "asked once"
    at.selectbox(key="step1.edit_kind").set_value("persona").run()
    at.text_input(key="ed.persona.new.name").set_value("Night-shift nurse").run()
    click(at, "ed.persona.new.save")
    last = _entries(app_engine, seeded.token)[-1]
    assert (last.actor_name, last.action, last.kind, last.title) == (
        "Ana",
        "create",
        "persona",
        "Night-shift nurse",
    )
    # the item's editor shows its own history
    at.selectbox(key="ed.persona.open").set_value(str(last.item_id)).run()
    expander = next(e for e in at.expander if "History of this item" in e.label)
    assert not texts(expander, "markdown"), "folded, it is neither read nor sent"
    at.session_state[f"{item_history.OPEN_KEY}.persona.{last.item_id}"] = True  # unfolded
    at.run()
    expander = next(e for e in at.expander if "History of this item" in e.label)
    shown = "\n".join(texts(expander, "markdown"))
    assert f"**Ana** {md('added persona “Night-shift nurse”')}" in shown


def test_undo_in_the_sidebar_takes_back_my_last_change(
    seeded: models.Canvas, app_engine: Engine
) -> None:
    at = open_page(steps.STEPS[1].page, canvas=seeded.token)
    _name_myself(at, "Ana")
    assert not at.sidebar.button, "nothing of mine to undo yet"
    at.selectbox(key="step1.edit_kind").set_value("persona").run()
    persona = rows(app_engine, seeded.token, "persona")[0]
    at.selectbox(key="ed.persona.open").set_value(str(persona.id)).run()
    click(at, f"ed.persona.{persona.id}.delete")
    assert persona.id not in [p.id for p in rows(app_engine, seeded.token, "persona")]
    button = at.sidebar.button(key="undo.button")
    assert button.label.startswith("Undo: deleted persona")
    click(at, "undo.button")
    back = [p for p in rows(app_engine, seeded.token, "persona") if p.id == persona.id]
    assert back and back[0].name == persona.name
    assert _entries(app_engine, seeded.token)[-1].action == "restore"


def test_the_feed_shows_who_did_what_and_restores_from_it(
    seeded: models.Canvas, app_engine: Engine
) -> None:
    persona = _delete(app_engine, seeded.token, "persona", name="Ben")
    at = open_page(HISTORY, canvas=seeded.token)
    no_exception(at)
    text = all_text(at)
    assert f"**Ben** {md(f'deleted persona “{persona.name}”')}" in text
    assert "Strategy Canvas" in text  # the demo's creation
    [entry] = [e for e in _entries(app_engine, seeded.token) if e.action == "delete"]
    click(at, f"hist.restore.{entry.id}")
    assert "Restored persona" in "\n".join(texts(at, "success"))
    # the restore's own change, pushed back, reruns the screen: the message stays ...
    at.session_state[push._PUSHED_KEY] = True
    at.run()
    assert ["Restored persona" in t for t in texts(at, "success")] == [True]
    # ... until the person does something else
    at.run()
    assert not texts(at, "success")
    assert persona.id in [p.id for p in rows(app_engine, seeded.token, "persona")]
    assert f"hist.restore.{entry.id}" not in [b.key for b in at.button]


def test_the_feed_shows_a_paste_as_one_line_that_opens_to_its_items(
    seeded: models.Canvas, app_engine: Engine
) -> None:
    from strategy_canvas.services import bulk

    with db.session_scope(app_engine) as session:
        bulk.add_many(
            session=session,
            canvas_token=seeded.token,
            kind="persona",
            text="Night nurse\nWard manager **boss**",
            actor=activity.Actor.person("Ben", "ben-key"),
        )
    at = open_page(HISTORY, canvas=seeded.token)
    no_exception(at)
    heads = [t for t in texts(at, "markdown") if t.startswith("**Ben**")]
    assert heads[0].startswith("**Ben** added 2 personas")
    [group] = [e for e in at.expander if e.label == "The 2 changes one by one"]
    inside = "\n".join(m.value for m in group.markdown)
    assert md("added persona “Ward manager **boss**”") in inside
    assert md("added persona “Night nurse”") in inside


def test_the_feed_filters_by_step_and_person(seeded: models.Canvas, app_engine: Engine) -> None:
    _delete(app_engine, seeded.token, "persona", name="Ben")
    _delete(app_engine, seeded.token, "risk", name="Cleo")
    at = open_page(HISTORY, canvas=seeded.token)
    at.selectbox(key=history_page.STEP_KEY).set_value(4).run()
    text = all_text(at)
    assert "**Cleo** deleted risk" in text and "**Ben**" not in text
    at.selectbox(key=history_page.STEP_KEY).set_value(history_page.EVERY_STEP).run()
    # back to "Every step", the box shows it (a None option showed "Choose an option")
    assert at.selectbox(key=history_page.STEP_KEY).index == 0
    assert at.selectbox(key=history_page.STEP_KEY).options[0] == "Every step"
    at.selectbox(key=history_page.PERSON_KEY).set_value("Ben").run()
    text = all_text(at)
    assert "**Ben** deleted persona" in text and "Cleo" not in text
    assert "Changes 1–1 of 1" in "\n".join(texts(at, "caption"))


def test_save_a_version_see_what_changed_and_restore_it_as_a_new_canvas(
    seeded: models.Canvas, app_engine: Engine
) -> None:
    at = open_page(HISTORY, canvas=seeded.token)
    at.segmented_control(key=history_page.VIEW_KEY).set_value("versions").run()
    at.text_input(key="hist.version_name").set_value("Sent to the board")
    at.button(key="hist.save_version_submit").click().run()
    no_exception(at)
    assert "Saved version “Sent to the board”." in texts(at, "success")
    # the same name again is refused, naming the field and the rule
    at.text_input(key="hist.version_name").set_value("Sent to the board")
    at.button(key="hist.save_version_submit").click().run()
    assert any("names a version of this canvas already" in t for t in texts(at, "error"))

    persona = _delete(app_engine, seeded.token, "persona", name="Ben")
    with db.session_scope(app_engine, readonly=True) as session:
        [version] = versions.list_versions(session=session, canvas_token=seeded.token)
    click(at, f"hist.compare.{version.id}")
    text = all_text(at)
    assert "Changes since “Sent to the board”: 1 removed." in text.replace("**", "")
    assert md(f"Removed persona “{persona.name}”") in text

    at.segmented_control(key=history_page.VIEW_KEY).set_value("versions").run()
    click(at, f"hist.restore_version.{version.id}")
    assert any("Restored as a new canvas" in t for t in texts(at, "success"))
    with db.session_scope(app_engine, readonly=True) as session:
        from strategy_canvas.services import canvases

        names = [c.name for c in canvases.list_canvases(session=session)]
    assert f"{seeded.name} (Sent to the board)" in names


def test_the_trash_lists_and_restores(seeded: models.Canvas, app_engine: Engine) -> None:
    feature = _delete(app_engine, seeded.token, "feature", name="Ben")
    at = open_page(HISTORY, canvas=seeded.token)
    at.segmented_control(key=history_page.VIEW_KEY).set_value("trash").run()
    text = all_text(at)
    assert md(feature.title) in text and "deleted by Ben" in text
    [entry] = [e for e in _entries(app_engine, seeded.token) if e.action == "delete"]
    click(at, f"hist.trash.{entry.id}")
    assert feature.id in [f.id for f in rows(app_engine, seeded.token, "feature")]
    assert "The trash is empty" in "\n".join(texts(at, "caption"))


def test_the_overview_says_what_changed_since_the_last_version(
    seeded: models.Canvas, app_engine: Engine
) -> None:
    at = open_page(steps.OVERVIEW.page, canvas=seeded.token)
    assert any("No version saved yet" in t for t in texts(at, "markdown"))
    with db.session_scope(app_engine) as session:
        versions.save_version(session=session, canvas_token=seeded.token, name="Board")
    _delete(app_engine, seeded.token, "persona", name="Ben")
    at = open_page(steps.OVERVIEW.page, canvas=seeded.token)
    no_exception(at)
    line = next(t for t in texts(at, "markdown") if "Since “Board”" in t)
    assert "1 removed" in line
    link = next(link for link in at.get("page_link") if "See what changed" in link.proto.label)
    assert "view=changes" in link.proto.query_string and "since=Board" in link.proto.query_string


def test_a_deep_link_opens_the_changes_since_a_version(
    seeded: models.Canvas, app_engine: Engine
) -> None:
    with db.session_scope(app_engine) as session:
        versions.save_version(session=session, canvas_token=seeded.token, name="Board")
    _delete(app_engine, seeded.token, "goal", name="Ben")
    at = AppTest.from_file(str(history_page_path()), default_timeout=30)
    at.query_params.update({"canvas": seeded.token, "view": "changes", "since": "Board"})
    at.run()
    no_exception(at)
    assert "Removed goal" in all_text(at)


def history_page_path() -> Any:
    from tests.pagekit import ROOT

    return ROOT / HISTORY


def test_history_reads_what_it_shows_from_the_services(
    seeded: models.Canvas, app_engine: Engine
) -> None:
    """The page's feed is the services' feed: same entries, same order."""
    _delete(app_engine, seeded.token, "persona", name="Ben")
    with db.session_scope(app_engine, readonly=True) as session:
        page = history.feed(session=session, canvas_token=seeded.token)
    at = open_page(HISTORY, canvas=seeded.token)
    shown = [t for t in texts(at, "markdown") if t.startswith("**")]
    assert len(shown) == len(page.entries)
    assert shown[0].startswith(f"**{page.entries[0].actor_name}**")


def test_an_undo_over_a_later_save_asks_first(seeded: models.Canvas, app_engine: Engine) -> None:
    at = open_page(steps.STEPS[1].page, canvas=seeded.token)
    _name_myself(at, "Ana")
    at.selectbox(key="step1.edit_kind").set_value("persona").run()
    persona = rows(app_engine, seeded.token, "persona")[0]
    at.selectbox(key="ed.persona.open").set_value(str(persona.id)).run()
    at.text_area(key=f"ed.persona.{persona.id}.pains").set_value("No time on Sundays").run()
    click(at, f"ed.persona.{persona.id}.save")
    with db.session_scope(app_engine) as session:  # Ben saves it after Ana
        row = items.get_item(
            session=session, canvas_token=seeded.token, kind="persona", item_id=persona.id
        )
        items.update_item(
            session=session,
            canvas_token=seeded.token,
            kind="persona",
            item_id=persona.id,
            changes={"pains": "Ben's words"},
            expected_version=row.version,
            actor=activity.Actor.person("Ben", "ben-key"),
        )
    click(at, "undo.button")
    shown = all_text(at)
    assert "Since then someone else saved it" in shown  # the dialog, nothing undone yet
    [table] = [d.value for d in at.dataframe if "Your change" in d.value.columns]
    assert list(table.iloc[0][["Your change", "Theirs (saved since)", "After the undo"]]) == [
        "No time on Sundays",
        "Ben's words",
        history.show_value("persona", "pains", persona.pains, {}),
    ]
    assert rows(app_engine, seeded.token, "persona")[0].pains == "Ben's words"
    click(at, "undo.anyway")
    assert rows(app_engine, seeded.token, "persona")[0].pains == persona.pains
    # the editor, with nothing typed since, shows the item as it is now
    assert at.text_area(key=f"ed.persona.{persona.id}.pains").value == persona.pains
