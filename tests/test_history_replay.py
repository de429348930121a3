"""The history is complete: for random sequences of edits (adds, saves, deletes with
links and cascades, restores from the trash, reorders, undos, renames), replaying the
log from any version reproduces the canvas at every later version."""

from __future__ import annotations

import contextlib
import random
from datetime import date, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine
from sqlmodel import Session

from strategy_canvas.services import canvases, documents, items, replay, trash, undo, versions
from strategy_canvas.services.activity import Actor
from strategy_canvas.services.errors import ServiceError

PEOPLE = [Actor.person("Ana", "ana-key"), Actor.person("Ben", "ben-key")]
#: what a random script does, weighted: deletes and versions often, so that links
#: cleared and rows taken by a delete lie between versions that are compared
OPS = (
    "add",
    "add",
    "edit",
    "edit",
    "delete",
    "delete",
    "restore",
    "reorder",
    "undo",
    "rename",
    "version",
    "version",
)
KINDS = (
    "problem",
    "persona",
    "goal",
    "feature",
    "feedback",
    "criterion",
    "criterion_score",
    "decision",
    "roadmap_item",
    "dependency",
    "key_result",
    "kpi_reading",
    "sketch",
)
#: what a delete picks from: the item types others link to, so deletes clear links and
#: take rows with them
LINKED = ("problem", "persona", "goal", "feature", "criterion", "roadmap_item", "key_result")
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(32))


def _ids(session: Session, token: str, kind: str) -> list[int]:
    return [r.id for r in items.list_items(session=session, canvas_token=token, kind=kind)]


def _pick(rnd: random.Random, values: list[int]) -> int | None:
    return rnd.choice(values) if values and rnd.random() < 0.8 else None


def _data(session: Session, token: str, kind: str, rnd: random.Random) -> dict[str, Any] | None:
    """Valid data for a new item of ``kind`` (None when what it needs is missing)."""
    ids = {
        k: _ids(session, token, k)
        for k in (
            "persona",
            "goal",
            "feature",
            "criterion",
            "roadmap_item",
            "key_result",
            "problem",
        )
    }
    text = f"{kind} {rnd.randint(0, 999)} — ünïcode ✓"
    if kind == "problem":
        return {"title": text, "statement": "Long " * rnd.randint(0, 30)}
    if kind == "persona":
        return {
            "name": text,
            "problem_id": _pick(rnd, ids["problem"]),
            "size": rnd.choice([None, 10**10]),
        }
    if kind == "goal":
        return {"title": text, "persona_id": _pick(rnd, ids["persona"])}
    if kind == "feature":
        return {
            "title": text,
            "persona_id": _pick(rnd, ids["persona"]),
            "goal_id": _pick(rnd, ids["goal"]),
            "epic_id": _pick(rnd, ids["feature"]),
            "reach": rnd.randint(0, 10_000),
            "impact": rnd.choice([0.25, 0.5, 1.0, 2.0, 3.0]),
            "confidence": rnd.randint(0, 100),
            "effort": round(rnd.uniform(0.5, 20), 2),
            "moscow": rnd.choice([None, "must", "could"]),
        }
    if kind == "feedback":
        return {
            "text": text,
            "feature_id": _pick(rnd, ids["feature"]),
            "persona_id": _pick(rnd, ids["persona"]),
            "received_on": date(2026, 1, 1) + timedelta(days=rnd.randint(0, 300)),
        }
    if kind == "criterion":
        return {"name": text[:80], "weight": rnd.randint(0, 100)}
    if kind == "criterion_score":
        if not ids["feature"] or not ids["criterion"]:
            return None
        return {
            "feature_id": rnd.choice(ids["feature"]),
            "criterion_id": rnd.choice(ids["criterion"]),
            "score": rnd.randint(0, 10),
        }
    if kind == "decision":
        return (
            {"feature_id": rnd.choice(ids["feature"]), "decision": "iterate"}
            if ids["feature"]
            else None
        )
    if kind == "roadmap_item":
        return {
            "title": text,
            "feature_id": _pick(rnd, ids["feature"]),
            "lane": rnd.choice(["now", "next", "later"]),
        }
    if kind == "dependency":
        if len(ids["roadmap_item"]) < 2:
            return None
        a, b = rnd.sample(ids["roadmap_item"], 2)
        return {"item_id": a, "depends_on_id": b}
    if kind == "key_result":
        return {
            "metric": text,
            "baseline": 10,
            "target": rnd.randint(20, 90),
            "goal_id": _pick(rnd, ids["goal"]),
        }
    if kind == "kpi_reading":
        if not ids["key_result"]:
            return None
        return {
            "key_result_id": rnd.choice(ids["key_result"]),
            "measured_on": date(2026, 2, rnd.randint(1, 28)),
            "value": rnd.uniform(0, 100),
        }
    if kind == "sketch":
        if not ids["feature"]:
            return None
        return {
            "feature_id": rnd.choice(ids["feature"]),
            "caption": text,
            "media_type": "image/png",
            "image": PNG,
        }
    raise AssertionError(kind)


def _edit(session: Session, token: str, kind: str, row: Any, rnd: random.Random) -> dict[str, Any]:
    fresh = _data(session, token, kind, rnd) or {}
    names = [n for n in fresh if n not in ("image",)]
    chosen = rnd.sample(names, k=min(len(names), rnd.randint(1, 3)))
    return {n: fresh[n] for n in chosen if not (n.endswith("_id") and fresh[n] == row.id)}


def _step(session: Session, token: str, op: str, pick: int, seed: int, saved: list[str]) -> None:
    rnd = random.Random(seed)
    actor = PEOPLE[pick % 2]
    kind = LINKED[pick % len(LINKED)] if op == "delete" else KINDS[pick % len(KINDS)]
    if op == "add":
        data = _data(session, token, kind, rnd)
        if data is not None:
            items.create_item(
                session=session, canvas_token=token, kind=kind, data=data, actor=actor
            )
    elif op in ("edit", "delete"):
        rows = items.list_items(session=session, canvas_token=token, kind=kind)
        if not rows:
            return
        row = rnd.choice(rows)
        if op == "delete":
            items.delete_item(
                session=session,
                canvas_token=token,
                kind=kind,
                item_id=row.id,
                expected_version=row.version,
                actor=actor,
            )
        else:
            items.update_item(
                session=session,
                canvas_token=token,
                kind=kind,
                item_id=row.id,
                changes=_edit(session, token, kind, row, rnd),
                expected_version=row.version,
                actor=actor,
            )
    elif op == "restore":
        found = trash.list_trash(session=session, canvas_token=token)
        if found:
            trash.restore(
                session=session,
                canvas_token=token,
                entry_id=rnd.choice(found).entry_id,
                actor=actor,
            )
    elif op == "reorder":
        ids = _ids(session, token, kind)
        rnd.shuffle(ids)
        items.reorder_items(
            session=session, canvas_token=token, kind=kind, ordered_ids=ids, actor=actor
        )
    elif op == "undo":
        change = undo.last_change(session=session, canvas_token=token, actor_key=actor.key)
        if change is not None:
            undo.undo(session=session, canvas_token=token, actor=actor, entry_ids=change.entry_ids)
    elif op == "rename":
        canvas = canvases.get_canvas(session=session, canvas_token=token)
        canvases.update_canvas(
            session=session,
            canvas_token=token,
            changes={"name": f"Canvas {seed}", "product": rnd.choice(["", "Dinner"])},
            expected_version=canvas.version,
            actor=actor,
        )
    elif op == "version":
        name = f"v{len(saved) + 1}"
        versions.save_version(session=session, canvas_token=token, name=name, actor=actor)
        saved.append(name)


def _populate(session: Session, token: str) -> None:
    """A small canvas where everything links to something, so that random deletes
    clear links and take rows with them from the first step on."""
    rnd = random.Random(0)
    for kind in (
        "problem",
        "persona",
        "persona",
        "goal",
        "feature",
        "feature",
        "feature",
        "feedback",
        "criterion",
        "criterion_score",
        "decision",
        "roadmap_item",
        "roadmap_item",
        "dependency",
        "key_result",
        "kpi_reading",
        "sketch",
    ):
        data = _data(session, token, kind, rnd)
        assert data is not None
        for name, value in list(data.items()):
            if name.endswith("_id") and value is None and name != "epic_id":
                target = items.ITEM_TYPES[kind].links[name]
                data[name] = _ids(session, token, target)[0]
        items.create_item(
            session=session, canvas_token=token, kind=kind, data=data, actor=PEOPLE[0]
        )


def _content(document: dict[str, Any]) -> tuple[Any, Any]:
    return document["canvas"], document["items"]


SCRIPTS = st.lists(
    st.tuples(st.sampled_from(OPS), st.integers(0, 90), st.integers(0, 10**6)),
    min_size=8,
    max_size=40,
)
CHEAP = [HealthCheck.function_scoped_fixture, HealthCheck.too_slow]


@settings(max_examples=20, deadline=None, suppress_health_check=CHEAP)
@given(SCRIPTS)
def test_replaying_from_any_version_reproduces_every_later_one(
    sqlite_engine: Engine, script: list[tuple[str, int, int]]
) -> None:
    _check_replay(sqlite_engine, script)


@settings(max_examples=5, deadline=None, suppress_health_check=CHEAP)
@given(SCRIPTS)
def test_replaying_reproduces_every_later_version_on_postgresql(
    pg_engine: Engine, script: list[tuple[str, int, int]]
) -> None:
    _check_replay(pg_engine, script)


def _check_replay(engine: Engine, script: list[tuple[str, int, int]]) -> None:
    with Session(engine, expire_on_commit=False) as session:
        token = canvases.create_canvas(
            session=session, canvas_in={"name": "Replay"}, actor=PEOPLE[0]
        ).token
        saved = ["v0"]
        versions.save_version(session=session, canvas_token=token, name="v0", actor=PEOPLE[0])
        for op, pick, seed in script:
            # a refused write (a clash, a rule) writes nothing, and records nothing
            with contextlib.suppress(ServiceError):
                _step(session, token, op, pick, seed, saved)
        versions.save_version(session=session, canvas_token=token, name="end", actor=PEOPLE[1])
        saved.append("end")
        found = {v.name: v for v in versions.list_versions(session=session, canvas_token=token)}
        docs = {
            name: versions.version_document(
                session=session, canvas_token=token, version_id=found[name].id
            )
            for name in saved
        }
        assert _content(docs["end"]) == _content(
            documents.canvas_document(session=session, canvas_token=token)
        )
        for at, start in enumerate(saved):
            for later in saved[at + 1 :]:
                entries = versions.entries_between(
                    session=session,
                    canvas_token=token,
                    after=found[start].activity_id,
                    until=found[later].activity_id,
                )
                replayed = replay.replay(docs[start], entries)
                assert _content(replayed) == _content(docs[later]), (start, later)


@pytest.mark.parametrize("seed", [3, 11])
def test_an_undone_delete_replays_like_the_restore_it_is(session: Session, seed: int) -> None:
    token = canvases.create_canvas(
        session=session, canvas_in={"name": "Undo"}, actor=PEOPLE[0]
    ).token
    for kind in ("problem", "persona", "goal", "feature", "feedback", "sketch"):
        for _ in range(2):
            data = _data(session, token, kind, random.Random(seed))
            assert data is not None
            items.create_item(
                session=session, canvas_token=token, kind=kind, data=data, actor=PEOPLE[0]
            )
    start = versions.save_version(
        session=session, canvas_token=token, name="start", actor=PEOPLE[0]
    )
    before = versions.version_document(session=session, canvas_token=token, version_id=start.id)
    persona = items.list_items(session=session, canvas_token=token, kind="persona")[0]
    items.delete_item(
        session=session,
        canvas_token=token,
        kind="persona",
        item_id=persona.id,
        expected_version=persona.version,
        actor=PEOPLE[0],
    )
    change = undo.last_change(session=session, canvas_token=token, actor_key=PEOPLE[0].key)
    assert change is not None
    undo.undo(session=session, canvas_token=token, actor=PEOPLE[0], entry_ids=change.entry_ids)
    now = documents.canvas_document(session=session, canvas_token=token)
    assert _content(now) == _content(before)
    entries = versions.entries_between(session=session, canvas_token=token, after=start.activity_id)
    assert _content(replay.replay(before, entries)) == _content(now)
