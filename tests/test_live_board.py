"""The live board's route, ``GET /api/live/board`` (docs/ARCHITECTURE.md, "Live sync"):
what a workshop screen redraws on a pushed change without a Streamlit run.

It answers only the tokens that open a workshop's live screen, each with what that
viewer may see (others' hidden notes stay placeholders; the public link sees the
projector's board), with user text escaped; the controls signature moves only when
what the viewer can do changes; one change read once per viewer."""

from __future__ import annotations

import json
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from html.parser import HTMLParser
from typing import Any

import pytest
from sqlalchemy import Engine

from strategy_canvas import config, db, live
from strategy_canvas import models as m
from strategy_canvas.services import canvases
from strategy_canvas.services import workshops as ws
from strategy_canvas.ui import workshop_live, workshop_state
from tests import asgikit

HOSTILE = "<script>alert(1)</script> **bold** # head $x$ [x](y) <img src=x onerror=alert(2)>"


@pytest.fixture
def app(sqlite_engine: Engine, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """The server's routes on the test's database."""
    from starlette.applications import Starlette

    from strategy_canvas import server

    monkeypatch.setenv("DATABASE_URL", sqlite_engine.url.render_as_string(hide_password=False))
    config.get_settings.cache_clear()
    yield Starlette(routes=server.routes())
    config.get_settings.cache_clear()


@pytest.fixture
def room(sqlite_engine: Engine) -> tuple[m.Canvas, ws.StartedWorkshop, str, str]:
    """A canvas with a running workshop and two participants, Ann and Bob."""
    with db.session_scope(sqlite_engine) as session:
        canvas = canvases.create_canvas(session=session, canvas_in={"name": "Board route"})
        started = ws.start_workshop(
            session=session, canvas_token=canvas.token, title="Room", anonymous_notes=False
        )
        ann, bob = (
            ws.join(session=session, display_name=name, link_token=started.link_token).token
            for name in ("Ann", "Bob")
        )
    return canvas, started, ann, bob


def _get(app: Any, query: str) -> tuple[int, str]:
    """GET the board route through the ASGI app: (status, body)."""
    status, _, body = asgikit.run_apart(asgikit.get(app, live.BOARD_PATH, query=query))
    return status, body.decode()


def _board(app: Any, token: str, view: int | None = None) -> dict[str, Any]:
    status, body = _get(app, f"token={token}" + (f"&view={view}" if view else ""))
    assert status == 200, body
    payload: dict[str, Any] = json.loads(body)
    return payload


class _Shown(HTMLParser):
    """The text the board shows (markup gone, entities read)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.text: list[str] = []
        self.tags: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def _shown(html: str) -> tuple[str, list[str]]:
    parser = _Shown()
    parser.feed(html)
    parser.close()
    return "".join(parser.text), parser.tags


def _feature_room(
    engine: Engine, name: str, people: tuple[str, ...]
) -> tuple[m.Canvas, ws.StartedWorkshop, list[str]]:
    """A canvas ``name`` with one feature and a workshop whose notes carry their
    authors' names, and ``people`` in it: the canvas, the workshop, their tokens."""
    from strategy_canvas.services import items

    with db.session_scope(engine) as session:
        canvas = canvases.create_canvas(session=session, canvas_in={"name": name})
        items.create_item(
            session=session, canvas_token=canvas.token, kind="feature", data={"title": "Sync"}
        )
        started = ws.start_workshop(
            session=session, canvas_token=canvas.token, title="Room", anonymous_notes=False
        )
        tokens = [
            ws.join(session=session, display_name=person, link_token=started.link_token).token
            for person in people
        ]
    return canvas, started, tokens


def test_only_a_workshop_token_opens_the_board(
    app: Any, room: tuple[m.Canvas, ws.StartedWorkshop, str, str]
) -> None:
    canvas, started, ann, _ = room
    for wrong in ("", "not-a-token!", "x" * 24, started.join_code, canvas.token, "%3Cscript%3E"):
        status, body = _get(app, f"token={wrong}")
        assert status == 403, (wrong, body)
        assert canvas.name not in body and "Room" not in body
    for view in ("0", "6", "two", "1.5", "-1"):
        status, body = _get(app, f"token={ann}&view={view}")
        assert status == 400 and "view" in body, view
    for token in (ann, started.facilitator_key, started.link_token):
        assert "Step 1 of 5" in _shown(_board(app, token)["html"])[0]


def test_hidden_notes_stay_hidden_and_user_text_stays_text(
    app: Any, room: tuple[m.Canvas, ws.StartedWorkshop, str, str], sqlite_engine: Engine
) -> None:
    _, started, ann, bob = room
    key = started.facilitator_key
    with db.session_scope(sqlite_engine) as session:
        ws.add_note(session=session, participant_token=ann, step=1, text=HOSTILE)
    # Bob sees a placeholder by Ann, never her text
    bobs = _board(app, bob)
    text, _ = _shown(bobs["html"])
    assert "1 note by others, hidden until the reveal" in text
    assert "alert" not in bobs["html"] and "bold" not in bobs["html"]
    # the projector neither, nor anyone's secret
    wall = _board(app, started.link_token)["html"]
    assert "alert" not in wall and "bold" not in wall
    for secret in (key, ann, bob):
        assert secret not in wall
    # Ann and the facilitator see it, as the text it is: no markup of hers
    for token in (ann, key):
        html = _board(app, token)["html"]
        text, tags = _shown(html)
        assert HOSTILE in text
        assert "script" not in tags and "img" not in tags and "a" not in tags
        assert "<script>" not in html and "&lt;script&gt;" in html
    with db.session_scope(sqlite_engine) as session:
        ws.reveal(session=session, facilitator_key=key, step=1, what="notes")
    text, tags = _shown(_board(app, bob)["html"])
    assert HOSTILE in text and "script" not in tags


def test_the_controls_signature_moves_with_what_the_viewer_can_do(
    app: Any, room: tuple[m.Canvas, ws.StartedWorkshop, str, str], sqlite_engine: Engine
) -> None:
    _, started, ann, bob = room
    key = started.facilitator_key
    first = _board(app, bob)
    first_wall = _board(app, started.link_token)["controls"]
    with db.session_scope(sqlite_engine) as session:
        note = ws.add_note(session=session, participant_token=ann, step=1, text="Cheaper plans")
        ws.reveal(session=session, facilitator_key=key, step=1, what="notes")
    shown = _board(app, bob)
    assert shown["rev"] > first["rev"]
    assert "Cheaper plans" in _shown(shown["html"])[0]
    assert shown["controls"] == first["controls"]  # a note and a reveal: no run needed
    assert "data-vote" not in shown["html"]  # no voting yet
    desk = _board(app, key)

    with db.session_scope(sqlite_engine) as session:
        ws.set_phase(session=session, facilitator_key=key, phase="vote")
    voting = _board(app, bob)
    # the facilitator's controls follow the phase; a participant's inputs read no phase
    # outside step 3's scores (the vote buttons are the board's): no run for them
    assert _board(app, key)["controls"] != desk["controls"]
    assert voting["controls"] == shown["controls"]
    assert f'data-vote="note:{note.id}:1:0"' in voting["html"]  # +1, none given yet
    with db.session_scope(sqlite_engine) as session:
        ws.vote(session=session, participant_token=bob, note_id=note.id, seen=0)
    voted = _board(app, bob)
    assert voted["controls"] == voting["controls"]
    assert f'data-vote="note:{note.id}:1:1"' in voted["html"]  # drawn with the vote seen
    assert "you gave 1" in _shown(voted["html"])[0]

    with db.session_scope(sqlite_engine) as session:
        ws.go_to_step(session=session, facilitator_key=key, step=2)
    moved = _board(app, bob)
    assert "Step 2 of 5 · Vision" in _shown(moved["html"])[0]
    assert moved["controls"] != voted["controls"] and moved["step"] == 2

    # step 3's score phase brings a participant's blind-score inputs: a run
    with db.session_scope(sqlite_engine) as session:
        ws.go_to_step(session=session, facilitator_key=key, step=3)
    three = _board(app, bob)
    with db.session_scope(sqlite_engine) as session:
        ws.set_phase(session=session, facilitator_key=key, phase="score")
    assert _board(app, bob)["controls"] != three["controls"]
    # the projector has no inputs: only the end of the workshop moves its signature
    wall = _board(app, started.link_token)["controls"]
    assert wall == first_wall
    with db.session_scope(sqlite_engine) as session:
        ws.end_workshop(session=session, facilitator_key=key)
    assert _board(app, started.link_token)["controls"] != wall


def test_follow_me_off_shows_the_step_the_participant_chose(
    app: Any, room: tuple[m.Canvas, ws.StartedWorkshop, str, str], sqlite_engine: Engine
) -> None:
    _, started, ann, _ = room
    key = started.facilitator_key
    with db.session_scope(sqlite_engine) as session:
        ws.set_follow_me(session=session, facilitator_key=key, follow_me=False)
    assert "Step 4 of 5" in _shown(_board(app, ann, view=4)["html"])[0]
    # the facilitator and the projector always show the workshop's own step
    assert _board(app, key, view=4)["step"] == 1
    assert _board(app, started.link_token, view=4)["step"] == 1


def test_one_change_is_read_once_per_viewer(
    app: Any,
    room: tuple[m.Canvas, ws.StartedWorkshop, str, str],
    sqlite_engine: Engine,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _, _, ann, bob = room
    reads: list[str] = []
    read = ws.live_read

    def counted(**kwargs: Any) -> ws.LiveRead:
        reads.append(kwargs["viewer_token"])
        return read(**kwargs)

    monkeypatch.setattr(ws, "live_read", counted)
    for _ in range(3):
        for token in (ann, bob):
            _board(app, token)
    assert sorted(reads) == sorted([ann, bob])
    with db.session_scope(sqlite_engine) as session:
        ws.add_note(session=session, participant_token=ann, step=1, text="Another")
    _board(app, bob)
    _board(app, bob)
    assert reads.count(bob) == 2  # read again once the counter moved, once
    assert workshop_live.board_payload(bob, None)["rev"] == _board(app, bob)["rev"]


def test_a_board_read_for_every_screen_is_each_viewers_own(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The live screens' reads share a change's rows (``shared=True``): what each viewer
    gets is what an unshared read gives them, the rows are read once per change."""
    import pandas as pd

    from strategy_canvas.services.workshops import boards

    _, started, (ann, bob) = _feature_room(engine, "Shared", ("Ann", "Bob"))
    key = started.facilitator_key
    viewers = (ann, bob, key, started.link_token)
    with db.session_scope(engine) as session:
        secret = ws.add_note(session=session, participant_token=ann, step=3, text=HOSTILE)
        ws.add_note(session=session, participant_token=bob, step=3, text="Bob's idea")
        theme = ws.create_theme(session=session, facilitator_key=key, step=3, name="Sync")
        ws.assign_note_to_theme(
            session=session, facilitator_key=key, note_id=secret.id, theme_id=theme.id
        )
    reads: list[int] = []
    read_rows = boards._read_rows

    def counted(session: Any, workshop: Any, step: int) -> Any:
        reads.append(step)
        return read_rows(session, workshop, step)

    monkeypatch.setattr(boards, "_read_rows", counted)

    def same_for_everyone() -> dict[str, ws.Board]:
        shared = {}
        with db.session_scope(engine, readonly=True) as session:
            for token in viewers:
                alone = ws.board(session=session, viewer_token=token, step=3)
                mine = ws.board(session=session, viewer_token=token, step=3, shared=True)
                for name in ("notes", "themes", "features", "tally"):
                    pd.testing.assert_frame_equal(getattr(mine, name), getattr(alone, name))
                assert (mine.hidden_notes, mine.my_votes_left) == (
                    alone.hidden_notes,
                    alone.my_votes_left,
                )
                shared[token] = mine
        return shared

    before = len(reads)
    shown = same_for_everyone()
    assert len(reads) - before == len(viewers) + 1  # each unshared read, one shared
    assert HOSTILE not in shown[bob].notes["text"].tolist() and shown[bob].hidden_notes == 1
    assert HOSTILE in shown[key].notes["text"].tolist()
    with db.session_scope(engine) as session:
        ws.reveal(session=session, facilitator_key=key, step=3, what="notes")
        ws.set_phase(session=session, facilitator_key=key, phase="vote")
        ws.vote(session=session, participant_token=bob, note_id=secret.id, seen=0)
    shown = same_for_everyone()  # a new change: read again, never the old rows
    assert HOSTILE in shown[bob].notes["text"].tolist()
    mine = shown[bob].notes.set_index("text")
    assert int(mine.loc[HOSTILE, "my_votes"]) == 1


def test_a_room_asking_at_once_is_answered(
    app: Any, sqlite_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Fifteen screens fetch the board in the same moment (a change pushed to a room),
    each holding its read's connection: each is answered. Reading the shared rows in a
    session of its own made every fetch wait for a second connection of the pool's
    fifteen, held by the others: the screens froze."""
    import threading

    del app  # its settings: the route's database
    screens = 15  # SQLAlchemy's pool: 5 connections and 10 more
    with db.session_scope(sqlite_engine) as session:
        canvas = canvases.create_canvas(session=session, canvas_in={"name": "Busy room"})
        started = ws.start_workshop(session=session, canvas_token=canvas.token, title="Room")
        tokens = [
            ws.join(session=session, display_name=f"P{i}", link_token=started.link_token).token
            for i in range(screens - 1)
        ]
        ws.add_note(session=session, participant_token=tokens[0], step=1, text="First")
    tokens.append(started.facilitator_key)
    together = threading.Barrier(screens, timeout=20)
    view = ws.workshop_view

    def at_once(**kwargs: Any) -> ws.WorkshopView:
        together.wait()  # every fetch has its connection: now they read the board
        return view(**kwargs)

    monkeypatch.setattr(ws, "workshop_view", at_once)
    with ThreadPoolExecutor(max_workers=screens) as pool:
        # (a fetch stuck on the pool fails after SQLAlchemy's 30 s pool timeout)
        answers = list(pool.map(lambda t: workshop_live.board_payload(t, None), tokens))
    assert len({a["rev"] for a in answers}) == 1
    assert sum("First" in a["html"] for a in answers) == 2  # its author's, the facilitator's


def test_the_screens_of_one_change_share_its_reads_each_seeing_only_their_own(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``live_read`` (the board route's and the page's read) reads what every screen of
    the room sees once per change — the room, the step's rows, who is here — and gives
    each viewer what the unshared services give them: their own hidden notes only,
    their votes, their badge."""
    import pandas as pd

    from strategy_canvas.services.errors import PermissionDenied
    from strategy_canvas.services.workshops import boards
    from strategy_canvas.services.workshops import live as shared

    canvas, started, (ann, bob, cid) = _feature_room(engine, "Shared room", ("Ann", "Bob", "Cid"))
    key = started.facilitator_key
    viewers = (ann, bob, cid, key, started.link_token)
    with db.session_scope(engine) as session:
        ws.go_to_step(session=session, facilitator_key=key, step=3)
        ws.add_note(session=session, participant_token=ann, step=3, text=HOSTILE)
        ws.add_note(session=session, participant_token=bob, step=3, text="Bob's idea")
        ws.blind_score(session=session, participant_token=cid, feature_id=1, value=8, effort=2)
    counted: dict[str, int] = {"room": 0, "rows": 0, "presence": 0}

    def counting(name: str, module: Any, attribute: str) -> None:
        original = getattr(module, attribute)

        def wrapper(*args: Any, **kwargs: Any) -> Any:
            counted[name] += 1
            return original(*args, **kwargs)

        monkeypatch.setattr(module, attribute, wrapper)

    counting("room", shared, "_read_room")
    counting("rows", boards, "_read_rows")
    counting("presence", shared, "presence_in")

    def read_all(reads: dict[str, int]) -> dict[str, ws.LiveRead]:
        got = {}
        with db.session_scope(engine, readonly=True) as session:
            for token in viewers:
                got[token] = ws.live_read(
                    session=session, viewer_token=token, step=3, presence_epoch=lambda _: 7
                )
        assert counted == reads  # the room's reads, once for the five screens
        with db.session_scope(engine, readonly=True) as session:
            for token, mine in got.items():
                view = ws.workshop_view(session=session, viewer_token=token)
                assert (mine.view.workshop, mine.view.role, mine.view.me) == (
                    view.workshop,
                    view.role,
                    view.me,
                )
                pd.testing.assert_frame_equal(mine.view.steps, view.steps)
                alone = ws.board(session=session, viewer_token=token, step=3)
                for name in ("notes", "themes", "features", "tally"):
                    pd.testing.assert_frame_equal(getattr(mine.board, name), getattr(alone, name))
                assert (mine.board.hidden_notes, mine.board.my_votes_left) == (
                    alone.hidden_notes,
                    alone.my_votes_left,
                )
                scores = ws.score_summary(session=session, viewer_token=token)
                assert mine.scores is not None
                pd.testing.assert_frame_equal(mine.scores.features, scores.features)
                people = ws.presence(session=session, viewer_token=token).people
                pd.testing.assert_frame_equal(
                    mine.presence.people.drop(columns="here"), people.drop(columns="here")
                )
                assert mine.presence_epoch == 7
        return got

    got = read_all({"room": 1, "rows": 1, "presence": 1})
    assert HOSTILE in got[ann].board.notes["text"].tolist()
    for token in (bob, cid, started.link_token):
        assert HOSTILE not in got[token].board.notes["text"].tolist()
    assert got[cid].board.hidden_notes == 2 and got[bob].board.hidden_notes == 1
    assert got[key].board.hidden_notes == 0
    for token in (ann, bob, cid, key):
        people = got[token].presence.people
        me = got[token].view.me
        assert me is not None
        assert people.loc[people["me"], "display_name"].tolist() == [me.display_name]
    assert not got[started.link_token].presence.people["me"].any()

    with db.session_scope(engine) as session:
        ws.reveal(session=session, facilitator_key=key, step=3, what="notes")
    counted.update(room=0, rows=0, presence=0)
    got = read_all({"room": 1, "rows": 1, "presence": 1})  # a new change: read again
    assert HOSTILE in got[cid].board.notes["text"].tolist()

    with db.session_scope(engine) as session:
        ws.take_over(session=session, canvas_token=canvas.token, workshop_id=started.workshop.id)
    with db.session_scope(engine, readonly=True) as session, pytest.raises(PermissionDenied):
        ws.live_read(session=session, viewer_token=key, step=3, presence_epoch=lambda _: 7)


def test_a_change_costs_each_further_screen_a_few_lookups(
    app: Any, sqlite_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """After the first screen of a room fetched a change's board, each further screen
    asks the database only what is its own: the change (its token's access), its seat
    and the counter naming the shared reads. Each fetched the room for itself before
    (nine statements a screen: the workshop, its steps, the step's state, who is here)."""
    from sqlalchemy import event

    from strategy_canvas.ui import push

    monkeypatch.setattr(push, "available", lambda: True)  # the process serves the stream
    del app  # its settings: the route's database
    with db.session_scope(sqlite_engine) as session:
        canvas = canvases.create_canvas(session=session, canvas_in={"name": "Counted room"})
        started = ws.start_workshop(session=session, canvas_token=canvas.token, title="Room")
        tokens = [
            ws.join(session=session, display_name=f"P{i}", link_token=started.link_token).token
            for i in range(6)
        ]
    statements: list[str] = []

    def note(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    for text in ("First", "Second"):
        with db.session_scope(sqlite_engine) as session:
            ws.add_note(session=session, participant_token=tokens[0], step=1, text=text)
        event.listen(sqlite_engine, "before_cursor_execute", note)
        try:
            per_screen = []
            for token in tokens:
                statements.clear()
                assert (
                    f"Notes · {1 if text == 'First' else 2}"
                    in _shown(workshop_live.board_payload(token, None)["html"])[0]
                )
                per_screen.append(len(statements))
        finally:
            event.remove(sqlite_engine, "before_cursor_execute", note)
        assert max(per_screen[1:]) <= 4, per_screen


def test_a_boards_rows_are_what_pandas_gives(engine: Engine) -> None:
    """The board's HTML reads the frames' rows through ``workshop_state.rows`` (pandas'
    ``to_dict("records")`` cost a third of it): the same values, None where missing."""
    _, started, (ann,) = _feature_room(engine, "Rows", ("Ann",))
    key = started.facilitator_key
    with db.session_scope(engine) as session:
        ws.go_to_step(session=session, facilitator_key=key, step=3, phase="vote")
        first = ws.add_note(session=session, participant_token=ann, step=3, text=HOSTILE)
        ws.add_note(session=session, participant_token=ann, step=3, text="Loose")
        theme = ws.create_theme(session=session, facilitator_key=key, step=3, name="Sync")
        ws.assign_note_to_theme(
            session=session, facilitator_key=key, note_id=first.id, theme_id=theme.id
        )
        ws.reveal(session=session, facilitator_key=key, step=3, what="notes")
        ws.vote(session=session, participant_token=ann, note_id=first.id, seen=0)
    with db.session_scope(engine, readonly=True) as session:
        for token in (ann, key, started.link_token):
            board = ws.board(session=session, viewer_token=token, step=3)
            for frame in (board.notes, board.themes, board.features, board.tally):
                expected = frame.to_dict("records")
                got = workshop_state.rows(frame)
                assert [list(r) for r in got] == [list(r) for r in expected]
                for mine, theirs in zip(got, expected, strict=True):
                    for name, value in theirs.items():
                        assert type(mine[name]) is type(value), name
                        assert mine[name] == value or (value != value and mine[name] != mine[name])
