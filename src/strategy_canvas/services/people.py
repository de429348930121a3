"""Who a person is, for the canvas's history.

Without accounts, the app knows a person by the secrets they hold: the personal key in
their link (``?me=``, which also names their drafts) or a workshop seat. A person gives
their name once for their key; it is kept with a hash of the key (never the key), and
every later write from that key is recorded under that name. A workshop participant is
known by their display name in the workshop; a login user (shared mode) by their login.
"""

from __future__ import annotations

from sqlmodel import Session, select

from strategy_canvas import models as m
from strategy_canvas.services.activity import Actor, key_of
from strategy_canvas.services.validation import validate


def name_for(*, session: Session, owner_key: str) -> str | None:
    """The name given for this personal key, or None if none was given yet."""
    if not owner_key:
        return None
    return session.exec(
        select(m.Person.display_name).where(m.Person.key_hash == key_of(owner_key))
    ).first()


def set_name(*, session: Session, owner_key: str, display_name: str) -> str:
    """Keep ``display_name`` as the name of this personal key (validated: 1–40
    characters); returns it as stored."""
    valid = validate(m.PersonCreate, {"display_name": display_name}, what="Your name")
    name = " ".join(valid.display_name.split())
    key = key_of(owner_key)
    row = session.get(m.Person, key)
    if row is None:
        session.add(m.Person(key_hash=key, display_name=name))
    else:
        row.display_name = name
        row.updated_at = m.utcnow()
        session.add(row)
    session.commit()
    return name


def pm_actor(name: str | None, owner_key: str) -> Actor:
    """A person using the app with their personal key."""
    return Actor.person(name or "", owner_key, via="page")


def participant_key(participant_id: int) -> str:
    """The history's key of a workshop participant (the facilitator is one too)."""
    return f"p:{participant_id}"


def participant(row: m.Participant) -> Actor:
    """A workshop participant as the history names them."""
    return Actor(row.display_name, participant_key(row.id or 0), via="workshop")


def participant_actor(
    *, session: Session, participant_token: str, canvas_token: str
) -> Actor | None:
    """The participant whose personal token (or facilitator key) this is, if they sit
    in a workshop of this canvas; else None."""
    row = session.exec(
        select(m.Participant)
        .join(m.Workshop, m.Workshop.id == m.Participant.workshop_id)  # type: ignore[arg-type]
        .join(m.Canvas, m.Canvas.id == m.Workshop.canvas_id)  # type: ignore[arg-type]
        .where(m.Participant.token == participant_token, m.Canvas.token == canvas_token)
    ).first()
    return participant(row) if row is not None else None


def login_actor(name: str, login: str) -> Actor:
    """A user logged in through the app's login (shared mode)."""
    return Actor.person(name or login, f"login:{login}", via="page")
