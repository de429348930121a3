"""A whole canvas written at once: a new canvas and every item, in one transaction.

Two things write a canvas this way: :func:`duplicate_canvas` (a copy of a canvas on this
server) and the JSON import (:mod:`strategy_canvas.export.json_io`, which validates a
document first). Items are given per item type as ``(ref, values)``: ``ref`` names the
item within its type and a link field holds the ``ref`` of the item it points to, so
links may point anywhere in the document, forwards included. Every item is written
through :func:`strategy_canvas.services.items.create_item`, validated like any other.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlmodel import Session

from strategy_canvas import models as m
from strategy_canvas.services import canvases, items, snapshot, versions, workshops
from strategy_canvas.services.activity import Actor

#: kind -> [(ref, values)]; a link field's value is the ref of the item it points to
Entries = Mapping[str, Sequence[tuple[int, Mapping[str, Any]]]]


def create_canvas_with_items(
    *,
    session: Session,
    canvas_in: Mapping[str, Any],
    entries: Entries,
    actor: Actor | None = None,
    origin: str = "",
    summaries: Sequence[dict[str, Any]] = (),
    past: versions.Past | None = None,
) -> m.Canvas:
    """A NEW canvas holding ``entries`` (see the module docstring), and the workshop
    ``summaries`` an import brought (checked already), committed at the end: nothing is
    written unless everything is. Its history starts with one entry, "created" by
    ``actor`` from ``origin`` (e.g. "a copy of Tidewater"); an import's ``past`` (the
    versions and history it carries, checked already) comes before that entry."""
    try:
        canvas = canvases.create_canvas(
            session=session, canvas_in=canvas_in, commit=False, actor=actor, origin=origin
        )
        token = canvas.token
        ids = _write_items(session, token, entries)
        if past is not None:
            versions.keep_imported(session=session, canvas_id=canvas.id or 0, ids=ids, past=past)
        if summaries:
            workshops.keep_imported_summaries(
                session=session, canvas_id=canvas.id or 0, summaries=list(summaries)
            )
        session.commit()
    except BaseException:
        session.rollback()
        raise
    return canvases.get_canvas(session=session, canvas_token=token)


def duplicate_canvas(
    *,
    session: Session,
    canvas_token: str,
    name: str | None = None,
    actor: Actor | None = None,
) -> m.Canvas:
    """A full copy of the canvas, with a new token, named "<name> (copy)" by default:
    every item of its snapshot (one consistent state of it)."""
    snap = snapshot.snapshot(session=session, canvas_token=canvas_token)
    canvas = snap.canvas
    canvas_in = {field: getattr(canvas, field) for field in m.CanvasCreate.model_fields}
    original = canvas.name
    canvas_in["name"] = name if name is not None else f"{original} (copy)"[:120]
    entries = {
        kind: [
            (int(row.id), {field: getattr(row, field) for field in spec.fields})
            for row in snap.rows[kind]
        ]
        for kind, spec in items.ITEM_TYPES.items()
    }
    session.rollback()  # end the counter's read before the write begins
    return create_canvas_with_items(
        session=session,
        canvas_in=canvas_in,
        entries=entries,
        actor=actor,
        origin=f"a copy of {original}",
    )


def _write_items(session: Session, token: str, entries: Entries) -> dict[str, dict[int, int]]:
    """Write the items; returns kind -> ref -> the id each was written under."""
    ids: dict[str, dict[int, int]] = {kind: {} for kind in items.ITEM_TYPES}
    for kind in items.CREATION_ORDER:
        spec = items.ITEM_TYPES[kind]
        listed = entries.get(kind, [])
        if kind == "vision":
            if listed:
                vision = items.list_items(session=session, canvas_token=token, kind="vision")[0]
                items.update_item(
                    session=session,
                    canvas_token=token,
                    kind="vision",
                    item_id=vision.id,
                    changes=dict(listed[0][1]),
                    expected_version=vision.version,
                    commit=False,
                )
                ids["vision"][listed[0][0]] = int(vision.id or 0)
            continue
        # Links to the same item type (a feature's epic) may point forwards: set them
        # once every item of the type exists.
        later: list[tuple[int, str, int]] = []
        for ref, values in listed:
            data = dict(values)
            for link, target in spec.links.items():
                if data.get(link) is None:
                    continue
                if target == kind:
                    later.append((ref, link, data[link]))
                    data[link] = None
                else:
                    data[link] = ids[target][data[link]]
            row = items.create_item(
                session=session, canvas_token=token, kind=kind, data=data, commit=False
            )
            assert row.id is not None
            ids[kind][ref] = row.id
        for ref, link, target_ref in later:
            row = items.get_item(
                session=session, canvas_token=token, kind=kind, item_id=ids[kind][ref]
            )
            items.update_item(
                session=session,
                canvas_token=token,
                kind=kind,
                item_id=ids[kind][ref],
                changes={link: ids[kind][target_ref]},
                expected_version=row.version,
                commit=False,
            )
    return ids
