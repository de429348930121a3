"""Named versions of a canvas: "Sent to the board, 12 Dec", and the automatic ones.

A version is the canvas as its JSON export (:mod:`services.documents`), compressed,
with the id of the newest history entry it includes: the history from there replays
to any later version (:mod:`services.replay`). People save versions by name; one is also
saved when a workshop ends and whenever a PDF is exported for stakeholders, so "what
changed since the board saw it" always has an answer. A version is never changed or
written over; restoring one makes a new canvas (``export.json_io.restore_version``).
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import defer
from sqlmodel import Session, col, select

from strategy_canvas import models as m
from strategy_canvas.services import activity, documents, items
from strategy_canvas.services.activity import Actor
from strategy_canvas.services.errors import NotFound, ValidationFailed
from strategy_canvas.services.validation import validate

KIND_LABELS = {"manual": "saved", "workshop": "workshop ended", "pdf": "PDF exported"}


@dataclass(frozen=True)
class VersionInfo:
    """A version without its document."""

    id: int
    name: str
    kind: str
    created_at: datetime
    actor_name: str
    activity_id: int


def _info(row: Any) -> VersionInfo:
    return VersionInfo(
        id=row.id,
        name=row.name,
        kind=row.kind,
        created_at=row.created_at,
        actor_name=row.actor_name,
        activity_id=row.activity_id,
    )


def _versions() -> Any:
    """The canvas_version rows, without loading their documents."""
    return select(m.CanvasVersion).options(defer(m.CanvasVersion.document))  # type: ignore[arg-type]


def _content_position(session: Session, canvas_id: int) -> int:
    """The newest history entry that may have changed the canvas's content (saving a
    version does not)."""
    found = session.exec(
        select(sa.func.max(m.Activity.id)).where(
            m.Activity.canvas_id == canvas_id, m.Activity.action != "version"
        )
    ).one()
    return int(found or 0)


def _taken(session: Session, canvas_id: int, name: str) -> bool:
    return (
        session.exec(
            select(m.CanvasVersion.id).where(
                m.CanvasVersion.canvas_id == canvas_id, m.CanvasVersion.name == name
            )
        ).first()
        is not None
    )


def save_version(
    *,
    session: Session,
    canvas_token: str,
    name: str,
    actor: Actor | None = None,
    kind: m.VersionKind = "manual",
) -> VersionInfo:
    """Save the canvas as it is now under ``name`` (unique in the canvas)."""
    valid = validate(m.VersionCreate, {"name": name}, what="Version")
    canvas_id = items.begin_write(session, canvas_token)
    try:
        if _taken(session, canvas_id, valid.name):
            raise ValidationFailed.single(
                "name",
                "Version name",
                f"“{valid.name}” names a version of this canvas already; choose another",
                what="Version",
            )
        info = _write(session, canvas_token, canvas_id, valid.name, kind, actor)
    except Exception:
        session.rollback()
        raise
    session.commit()
    return info


def _write(
    session: Session,
    canvas_token: str,
    canvas_id: int,
    name: str,
    kind: m.VersionKind,
    actor: Actor | None,
) -> VersionInfo:
    document = documents.canvas_document(session=session, canvas_token=canvas_token)
    text = json.dumps(document, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    row = m.CanvasVersion(
        canvas_id=canvas_id,
        name=name,
        kind=kind,
        actor_name=(actor or activity.UNKNOWN).name,
        activity_id=_content_position(session, canvas_id),
        document=zlib.compress(text.encode("utf-8"), 6),
    )
    session.add(row)
    session.flush()
    activity.record(
        session,
        canvas_id=canvas_id,
        actor=actor,
        action="version",
        title=name,
        data={"version_id": row.id, "kind": kind},
        always=True,
    )
    return _info(row)


def save_automatic(
    *, session: Session, canvas_token: str, name: str, kind: m.VersionKind, actor: Actor | None
) -> VersionInfo:
    """A version made by the app (a workshop ended, a PDF exported): named ``name``, or
    "name (2)" and so on when that is taken. When nothing changed since the newest
    version, that version stands and none is added."""
    canvas_id = items.begin_write(session, canvas_token)
    try:
        newest = session.exec(
            _versions()
            .where(m.CanvasVersion.canvas_id == canvas_id)
            .order_by(col(m.CanvasVersion.id).desc())
        ).first()
        if newest is not None and newest.activity_id == _content_position(session, canvas_id):
            session.rollback()
            return _info(newest)
        base = validate(m.VersionCreate, {"name": name[:110]}, what="Version").name
        unique, n = base, 1
        while _taken(session, canvas_id, unique):
            n += 1
            unique = f"{base} ({n})"
        info = _write(session, canvas_token, canvas_id, unique, kind, actor)
    except Exception:
        session.rollback()
        raise
    session.commit()
    return info


def list_versions(*, session: Session, canvas_token: str) -> list[VersionInfo]:
    """The canvas's versions, newest first."""
    canvas_id = items.canvas_id_for(session, canvas_token)
    return [
        _info(row)
        for row in session.exec(
            _versions()
            .where(m.CanvasVersion.canvas_id == canvas_id)
            .order_by(col(m.CanvasVersion.id).desc())
        )
    ]


def latest_version(*, session: Session, canvas_token: str) -> VersionInfo | None:
    found = list_versions(session=session, canvas_token=canvas_token)
    return found[0] if found else None


def get_version(*, session: Session, canvas_token: str, name: str) -> VersionInfo:
    """The version named ``name`` (NotFound naming the versions there are)."""
    canvas_id = items.canvas_id_for(session, canvas_token)
    row = session.exec(
        _versions().where(
            m.CanvasVersion.canvas_id == canvas_id, m.CanvasVersion.name == name.strip()
        )
    ).first()
    if row is None:
        names = [v.name for v in list_versions(session=session, canvas_token=canvas_token)]
        known = "; ".join(f"“{n}”" for n in names[:8]) if names else "none yet"
        raise NotFound(
            f"This canvas has no version named “{name.strip()}” (its versions: {known})."
        )
    return _info(row)


def version_document(*, session: Session, canvas_token: str, version_id: int) -> dict[str, Any]:
    """The canvas as it was at the version (its JSON export)."""
    canvas_id = items.canvas_id_for(session, canvas_token)
    blob = session.exec(
        select(m.CanvasVersion.document).where(
            m.CanvasVersion.id == version_id, m.CanvasVersion.canvas_id == canvas_id
        )
    ).first()
    if blob is None:
        raise NotFound("This version no longer exists.")
    document: dict[str, Any] = json.loads(zlib.decompress(blob).decode("utf-8"))
    return document


def entries_between(
    *, session: Session, canvas_token: str, after: int, until: int | None = None
) -> list[tuple[str, str, int | None, str]]:
    """(action, kind, item id, data) of the history entries after entry ``after`` up to
    ``until`` (inclusive; None: the newest), oldest first: what :func:`replay.replay`
    applies to the version at ``after`` to reach the canvas at ``until``."""
    canvas_id = items.canvas_id_for(session, canvas_token)
    query = select(m.Activity.action, m.Activity.kind, m.Activity.item_id, m.Activity.data).where(
        m.Activity.canvas_id == canvas_id, col(m.Activity.id) > after
    )
    if until is not None:
        query = query.where(col(m.Activity.id) <= until)
    return [tuple(row) for row in session.exec(query.order_by(col(m.Activity.id)))]  # type: ignore[misc]


# ----------------------------------------------------------- carried in by an import

IMPORTED = activity.IMPORTED


@dataclass(frozen=True)
class Past:
    """The named versions and the history a JSON export carried, checked: versions as
    ``{name, kind, created_at, actor, history_id, document}`` (the document a canvas
    document of its own), entries as the export writes them, oldest first."""

    versions: list[dict[str, Any]]
    entries: list[dict[str, Any]]


def remap_document(
    document: Mapping[str, Any],
    ids: Mapping[str, Mapping[int, int]],
    gone: dict[str, dict[int, int]],
) -> dict[str, Any]:
    """``document`` with every ref and link changed to the id its item has now (``ids``:
    kind -> ref -> id). An item that does not exist any more (deleted before the export)
    gets a negative ref of its own, the same in every version (``gone`` keeps them), so a
    version compares with another, and with now, item by item."""

    def new(kind: str, ref: int) -> int:
        if ref in ids.get(kind, {}):
            return ids[kind][ref]
        taken = gone.setdefault(kind, {})
        return taken.setdefault(ref, -(len(taken) + 1))

    out = {key: value for key, value in document.items() if key != "items"}
    out["items"] = {}
    for kind, entries in document.get("items", {}).items():
        spec = items.ITEM_TYPES[kind]
        out["items"][kind] = [
            {
                **entry,
                "ref": new(kind, entry["ref"]),
                **{
                    link: new(target, entry[link])
                    for link, target in spec.links.items()
                    if entry.get(link) is not None
                },
            }
            for entry in entries
        ]
    return out


def keep_imported(
    *, session: Session, canvas_id: int, ids: Mapping[str, Mapping[int, int]], past: Past
) -> None:
    """Write an import's versions and history into the new canvas (in the caller's
    transaction), before the canvas's own creation entry: the feed reads as it did, then
    "created the canvas from an import"."""
    created = session.exec(
        select(m.Activity).where(m.Activity.canvas_id == canvas_id).order_by(col(m.Activity.id))
    ).all()
    for own in created:  # written again after the past, with the same content
        session.expunge(own)
        session.exec(sa.delete(m.Activity).where(col(m.Activity.id) == own.id))
    new_ids: dict[int, int] = {}
    for entry in past.entries:
        kind, item_id = str(entry.get("kind") or ""), entry.get("item_id")
        data = dict(entry.get("data") or {})
        data["imported"] = True
        row = m.Activity(
            canvas_id=canvas_id,
            at=_moment(entry.get("at")),
            actor_name=str(entry.get("actor") or activity.UNKNOWN_NAME)[: m.ACTOR_NAME_MAX],
            actor_key="",
            via=str(entry.get("via") or "import")[:16],
            batch=IMPORTED,
            action=str(entry.get("action") or "")[:16],
            kind=kind[:24],
            item_id=ids.get(kind, {}).get(item_id) if isinstance(item_id, int) else None,
            step=entry.get("step") if isinstance(entry.get("step"), int) else None,
            title=str(entry.get("title") or "")[:200],
            data=activity.dumps(data),
        )
        session.add(row)
        session.flush()
        if isinstance(entry.get("id"), int):
            new_ids[entry["id"]] = int(row.id or 0)
    gone: dict[str, dict[int, int]] = {}
    for version in past.versions:
        document = remap_document(version["document"], ids, gone)
        text = json.dumps(document, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
        session.add(
            m.CanvasVersion(
                canvas_id=canvas_id,
                name=version["name"],
                kind=version.get("kind") or "manual",
                created_at=_moment(version.get("created_at")),
                actor_name=str(version.get("actor") or "")[: m.ACTOR_NAME_MAX],
                activity_id=new_ids.get(version.get("history_id"), 0),  # type: ignore[arg-type]
                document=zlib.compress(text.encode("utf-8"), 6),
            )
        )
    for own in created:
        activity.record(
            session,
            canvas_id=canvas_id,
            actor=activity.Actor(own.actor_name, own.actor_key, own.via, own.batch),
            action=own.action,
            kind=own.kind,
            title=own.title,
            data=json.loads(own.data),
            always=True,
        )
    session.flush()


def _moment(value: Any) -> datetime:
    try:
        moment = datetime.fromisoformat(str(value))
    except ValueError:
        return m.utcnow()
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
