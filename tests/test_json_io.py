"""JSON export and import: lossless round trips (examples and a property test), and bad
documents of every kind rejected whole, naming the location, with nothing written."""

from __future__ import annotations

import base64
import copy
import json
import types
import typing
from datetime import date
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, func
from sqlmodel import Session, select

from strategy_canvas import db, demo
from strategy_canvas import models as m
from strategy_canvas.export import json_io
from strategy_canvas.export.json_io import _unique_columns
from strategy_canvas.services import canvas_copy, canvases, items
from strategy_canvas.services.errors import ValidationFailed
from strategy_canvas.services.validation import validate
from tests.dbkit import normalise

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4
#: the first bytes of each image type a sketch accepts
IMAGE_HEADERS = (b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff\xe0", b"GIF89a", b"RIFF\0\0\0\0WEBPVP8 ")
COUNTED = [m.Canvas, m.CanvasRevision] + [t.table for t in items.ITEM_TYPES.values()]


# ------------------------------------------------------------------------- helpers


def row_counts(session: Session) -> dict[str, int]:
    session.rollback()
    return {t.__name__: session.exec(select(func.count()).select_from(t)).one() for t in COUNTED}


def export(session: Session, canvas: m.Canvas) -> dict[str, Any]:
    document = json_io.export_canvas(session=session, canvas_token=canvas.token)
    json.dumps(document, allow_nan=False)  # it is JSON as it stands
    return document


@pytest.fixture(scope="module")
def demo_document(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The demo canvas, plus a sketch with an uploaded image, exported (made once, on a
    database of its own; tests import it into theirs)."""
    engine = db.make_engine(f"sqlite:///{tmp_path_factory.mktemp('demo') / 'demo.db'}")
    db.migrate(engine)
    with Session(engine, expire_on_commit=False) as session:
        canvas = demo.create_demo_canvas(session=session)
        feature = items.list_items(session=session, canvas_token=canvas.token, kind="feature")[0]
        items.create_item(
            session=session,
            canvas_token=canvas.token,
            kind="sketch",
            data={
                "feature_id": feature.id,
                "caption": "Whiteboard photo",
                "media_type": "image/png",
                "image": PNG,
            },
        )
        document = export(session, canvas)
    engine.dispose()
    return document


# ------------------------------------------------------------------- round trips


def test_export_is_versioned_json_with_refs_dates_and_base64(demo_document: dict) -> None:
    doc = demo_document
    assert doc["format"] == "strategy-canvas" and doc["version"] == 1
    assert isinstance(doc["exported_at"], str)
    assert doc["canvas"]["product"] == "Tidewater"
    assert set(doc["items"]) == set(items.ITEM_TYPES)
    features = doc["items"]["feature"]
    assert all(isinstance(f["ref"], int) for f in features)
    persona_refs = {p["ref"] for p in doc["items"]["persona"]}
    assert all(f["persona_id"] in persona_refs for f in features)
    assert date.fromisoformat(doc["items"]["feedback"][0]["received_on"])
    (photo,) = [s for s in doc["items"]["sketch"] if s["image_base64"]]
    assert base64.b64decode(photo["image_base64"]) == PNG
    assert "image" not in photo
    # The text form is what the CLI writes: valid JSON, non-ASCII kept readable.
    text = json_io.dumps(doc)
    assert json.loads(text) == doc and "Tomás" in text


def test_export_import_export_is_the_same_document(session: Session, demo_document: dict) -> None:
    before = row_counts(session)
    # through the text the CLI writes and reads, as a user's file would go
    loaded = json_io.load_document(json_io.dumps(demo_document).encode("utf-8"))
    canvas = json_io.import_canvas(session=session, document=loaded)
    again = export(session, canvas)
    assert normalise(again) == normalise(demo_document)
    after = row_counts(session)
    for kind, spec in items.ITEM_TYPES.items():
        added = after[spec.table.__name__] - before[spec.table.__name__]
        assert added == len(demo_document["items"][kind]), kind
    assert after["Canvas"] == before["Canvas"] + 1
    # one vision per canvas: the import filled the one create_canvas made
    assert after["Vision"] == after["Canvas"]

    # duplicate_canvas copies every item: its export is the same but for the name
    dup = canvas_copy.duplicate_canvas(session=session, canvas_token=canvas.token)
    assert dup.name == f"{canvas.name} (copy)" and dup.token != canvas.token
    expected = normalise(demo_document)
    expected["canvas"]["name"] = dup.name
    assert normalise(export(session, dup)) == expected


def test_refs_are_arbitrary_and_links_may_point_forwards(session: Session) -> None:
    doc = {
        "format": "strategy-canvas",
        "version": 1,
        "canvas": {"name": "Refs"},
        "items": {
            # the story comes before its epic, and refs are any unique integers
            "feature": [
                {"ref": -7, "title": "Story", "epic_id": 10**12},
                {"ref": 10**12, "title": "Epic", "kind": "epic"},
            ],
            "roadmap_item": [
                {"ref": 3, "title": "A", "feature_id": -7},
                {"ref": 1, "title": "B", "feature_id": 10**12},
            ],
            "dependency": [{"ref": 0, "item_id": 3, "depends_on_id": 1}],
        },
    }
    canvas = json_io.import_canvas(session=session, document=doc)
    story, epic = items.list_items(session=session, canvas_token=canvas.token, kind="feature")
    assert (story.title, story.epic_id, epic.title) == ("Story", epic.id, "Epic")
    (dep,) = items.list_items(session=session, canvas_token=canvas.token, kind="dependency")
    a, b = items.list_items(session=session, canvas_token=canvas.token, kind="roadmap_item")
    assert (dep.item_id, dep.depends_on_id) == (a.id, b.id)
    assert a.feature_id == story.id
    # fields left out take their defaults; kinds left out are empty
    assert story.kind == "feature" and story.description == "" and story.reach is None
    assert items.list_items(session=session, canvas_token=canvas.token, kind="problem") == []


HOSTILE = [
    '#import "/etc/passwd": *',
    '#read("/etc/shadow") $ x^2 $ #{ panic("boom") }',
    "<script>alert(document.cookie)</script><img src=x onerror=alert(1)>",
    "**bold** _it_ [click](javascript:alert(1)) ![x](http://evil.example/t.png) | a | b |",
    "'; DROP TABLE canvas; -- \\\" \\n {{ 7*7 }} ${7*7} %s %(x)s",
    "Ünïcødé ✓ 日本語 עברית 🧭\u200b\u202eRTL",
]


def test_hostile_strings_stay_literal_data(session: Session) -> None:
    doc = {
        "format": "strategy-canvas",
        "version": 1,
        "canvas": {"name": HOSTILE[0][:120], "description": "\n".join(HOSTILE)},
        "items": {
            "problem": [
                {"ref": i, "title": text, "statement": text * 3} for i, text in enumerate(HOSTILE)
            ],
            "feedback": [{"ref": 1, "text": "\n\n".join(HOSTILE), "author": HOSTILE[2][:120]}],
        },
    }
    canvas = json_io.import_canvas(session=session, document=doc)
    out = export(session, canvas)
    assert [p["title"] for p in out["items"]["problem"]] == HOSTILE
    assert out["items"]["feedback"][0]["text"] == "\n\n".join(HOSTILE)
    assert out["canvas"]["description"] == "\n".join(HOSTILE)
    assert row_counts(session)["Canvas"] == 1  # the SQL in the text did nothing either


# ------------------------------------------------------------------ boundaries

PG_INTEGER_MAX = 2**31 - 1


def _extreme(info: Any, *, high: bool) -> Any:
    """The largest (or smallest) value a Create-schema field allows, as JSON."""
    annotation, _ = _strip_optional(info.annotation)
    b = _bounds(info)
    if typing.get_origin(annotation) is typing.Literal:
        choices = typing.get_args(annotation)
        return choices[-1] if high else choices[0]
    if annotation is str:
        return "ü" * b.get("max_length", 100) if high else "x" * b.get("min_length", 0)
    if annotation is bool:
        return high
    if annotation is int:
        return b["le"] if high else b.get("ge", -(10**6))
    if annotation is float:
        return float(b["le"]) if high else b.get("ge", b.get("gt", 0) + 1e-6)
    if annotation is date:
        return (date.max if high else date.min).isoformat()
    if annotation is bytes:
        return base64.b64encode(PNG).decode() if high else None
    raise AssertionError(f"no extreme value for {info.annotation!r}")  # pragma: no cover


def extreme_document(*, persona_size: int | None = None) -> dict[str, Any]:
    """Two items of every type: one at every field's maximum, one at its minimum; item i
    links to item i of the target type (a dependency to the other roadmap item)."""
    doc: dict[str, Any] = {
        "format": "strategy-canvas",
        "version": 1,
        "canvas": {n: _extreme(i, high=True) for n, i in m.CanvasCreate.model_fields.items()},
        "items": {},
    }
    for kind in items.CREATION_ORDER:
        spec = items.ITEM_TYPES[kind]
        entries = []
        for ref in (1, 2) if kind != "vision" else (1,):
            entry: dict[str, Any] = {"ref": ref}
            for name, info in spec.create.model_fields.items():
                if name in spec.links:
                    entry[name] = ref
                elif name == "image":
                    entry["image_base64"] = _extreme(info, high=ref == 1)
                else:
                    entry[name] = _extreme(info, high=ref == 1)
            entries.append(entry)
        doc["items"][kind] = entries
    # One dependency between the two roadmap items: a second one, its reverse, would
    # close a cycle (refused).
    doc["items"]["dependency"] = doc["items"]["dependency"][:1]
    for dependency in doc["items"]["dependency"]:
        dependency["depends_on_id"] = 3 - dependency["item_id"]
    for feature in doc["items"]["feature"]:
        feature["epic_id"] = 3 - feature["ref"]  # each the other's epic: allowed, as in the app
    for sketch in doc["items"]["sketch"]:
        sketch["url"] = "https://" + "a" * (len(sketch["url"]) - 8) if sketch["url"] else ""
        sketch["media_type"] = "image/png" if sketch["image_base64"] else ""
        sketch["url"] = sketch["url"] or "https://e.example"
    if persona_size is not None:
        for persona in doc["items"]["persona"]:
            persona["size"] = min(persona["size"], persona_size)
    return doc


def test_every_field_at_its_limits_round_trips(session: Session) -> None:
    doc = extreme_document()
    canvas = json_io.import_canvas(session=session, document=doc)
    assert normalise(export(session, canvas)) == normalise(doc)


def test_the_largest_segment_size_is_stored(session: Session) -> None:
    canvas = canvases.create_canvas(session=session, canvas_in={"name": "Big"})
    persona = items.create_item(
        session=session,
        canvas_token=canvas.token,
        kind="persona",
        data={"name": "Everyone", "kind": "segment", "size": 10_000_000_000},
    )
    assert getattr(persona, "size") == 10_000_000_000  # noqa: B009


# ------------------------------------------------------------- property test

_TEXT = st.characters(exclude_categories=["Cs"], exclude_characters="\x00")


def _strip_optional(annotation: Any) -> tuple[Any, bool]:
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        return (args[0] if len(args) == 1 else annotation), True
    return annotation, False


def _bounds(info: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for meta in info.metadata:
        for name in ("min_length", "max_length", "ge", "gt", "le", "lt"):
            if getattr(meta, name, None) is not None:
                out[name] = getattr(meta, name)
    return out


def _text_strategy(min_length: int, max_length: int) -> st.SearchStrategy[str]:
    def fit(text: str) -> str:
        text = text.strip()  # the services strip text, so generate it stripped
        return text if len(text) >= min_length else "x" * min_length

    short = st.text(_TEXT, max_size=min(max_length, 24)).map(fit)
    longest = st.sampled_from(["é", "x", "🧭", "字"]).map(lambda ch: ch * max_length)
    return st.one_of(*[short] * 7, longest)  # mostly short, sometimes the longest


def _field_strategy(info: Any) -> st.SearchStrategy[Any]:
    """Valid JSON values for one field of a Create schema (as the export writes them)."""
    annotation, optional = _strip_optional(info.annotation)
    b = _bounds(info)
    base: st.SearchStrategy[Any]
    if typing.get_origin(annotation) is typing.Literal:
        base = st.sampled_from(typing.get_args(annotation))
    elif annotation is str:
        base = _text_strategy(b.get("min_length", 0), b.get("max_length", 500))
    elif annotation is bool:
        base = st.booleans()
    elif annotation is int:
        base = st.integers(b.get("ge", -(2**31)), b.get("le", 2**31 - 1))
    elif annotation is float:
        low = b.get("ge", b.get("gt", -1e12))
        base = st.floats(
            low, b.get("le", 1e12), exclude_min="gt" in b, allow_nan=False, allow_infinity=False
        )
    elif annotation is date:
        base = st.dates(date(1900, 1, 1), date(2200, 12, 31)).map(date.isoformat)
    elif annotation is bytes:  # an image: a real image header, then any bytes
        base = st.builds(
            lambda head, rest: base64.b64encode(head + rest).decode(),
            st.sampled_from(list(IMAGE_HEADERS)),
            st.binary(max_size=64),
        )
    else:  # pragma: no cover — a new field type: teach this generator about it
        raise AssertionError(f"no strategy for {info.annotation!r}")
    if optional:
        return st.one_of(st.none(), base)
    if not info.is_required() and info.default is not None:
        return st.one_of(st.just(info.default), base)
    return base


KIND_COUNTS = st.integers(0, 3)


def _fit_cross_field_rules(kind: str, entry: dict[str, Any], draw: st.DrawFn) -> None:
    """Make an entry meet the Create schemas' rules that span several fields."""
    if kind == "feature":  # low <= estimate <= high
        for name in ("reach", "effort"):
            keys = [f"{name}_low", name, f"{name}_high"]
            present = sorted(entry[k] for k in keys if entry[k] is not None)
            for k in keys:
                if entry[k] is not None:
                    entry[k] = present.pop(0)
    if kind == "sketch":  # a http(s) link or an image of a known type
        if entry["url"]:
            entry["url"] = ("https://" + entry["url"])[
                : m.SketchCreate.model_fields["url"].metadata[0].max_length
            ].strip()
        if entry["image_base64"] is not None:  # labelled with what its bytes are
            image = base64.b64decode(entry["image_base64"])
            entry["media_type"] = m.sniff_image_type(image)
        elif not entry["url"]:
            entry["url"] = "https://example.com/sketch.png"


def _is_valid(spec: items.ItemType, entry: dict[str, Any]) -> bool:
    data = {k: v for k, v in entry.items() if k not in ("ref", "image_base64")}
    if "image_base64" in entry:
        image = entry["image_base64"]
        data["image"] = None if image is None else base64.b64decode(image)
    try:
        validate(spec.create, data)
    except ValidationFailed:
        return False
    return True


@st.composite
def canvas_documents(draw: st.DrawFn) -> dict[str, Any]:
    canvas = {
        name: draw(_field_strategy(info)) for name, info in m.CanvasCreate.model_fields.items()
    }
    doc: dict[str, Any] = {"format": "strategy-canvas", "version": 1, "canvas": canvas, "items": {}}
    refs: dict[str, list[int]] = {}
    for kind in items.CREATION_ORDER:
        spec = items.ITEM_TYPES[kind]
        count = 1 if kind == "vision" else draw(KIND_COUNTS)
        own_refs = draw(
            st.lists(st.integers(-(10**9), 10**9), min_size=count, max_size=count, unique=True)
        )
        refs[kind] = own_refs
        entries = []
        used: set[Any] = set()
        depends: dict[int, list[int]] = {}  # the dependencies drawn so far, without a cycle
        for ref in own_refs:
            entry: dict[str, Any] = {"ref": ref}
            for name, info in spec.create.model_fields.items():
                if name in spec.links:
                    target_kind = spec.links[name]
                    targets = [
                        r for r in refs.get(target_kind, []) if target_kind != kind or r != ref
                    ]
                    if info.is_required():
                        if not targets:
                            entry = {}
                            break
                        entry[name] = draw(st.sampled_from(targets))
                    else:
                        entry[name] = draw(
                            st.none() | st.sampled_from(targets) if targets else st.none()
                        )
                elif name == "image":
                    entry["image_base64"] = draw(_field_strategy(info))
                else:
                    entry[name] = draw(_field_strategy(info))
            if not entry:
                continue
            _fit_cross_field_rules(kind, entry, draw)
            if not _is_valid(spec, entry):  # a rule this generator does not know yet
                continue
            if kind == "dependency" and (
                entry["item_id"] == entry["depends_on_id"]
                or items.closing_cycle(depends, entry["item_id"], entry["depends_on_id"])
            ):
                continue
            keys = [(cols, tuple(entry[c] for c in cols)) for cols in _unique_columns(kind)]
            if any(key in used for key in keys):
                continue
            used.update(keys)
            entries.append(entry)
            if kind == "dependency":
                depends.setdefault(entry["item_id"], []).append(entry["depends_on_id"])
        refs[kind] = [e["ref"] for e in entries]
        doc["items"][kind] = entries
    return doc


# On SQLite, which stores every value the Create schemas allow. (On PostgreSQL,
# persona.size up to 10^10 overflows its INTEGER column: reported to the lead.)
@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)
@given(document=canvas_documents())
def test_random_valid_canvases_round_trip_losslessly(
    sqlite_engine: Engine, document: dict[str, Any]
) -> None:
    with Session(sqlite_engine, expire_on_commit=False) as session:
        canvas = json_io.import_canvas(session=session, document=document)
        first = export(session, canvas)
        assert normalise(first) == normalise(document)
        # and the text the CLI writes reads back as the same document
        assert json_io.load_document(json_io.dumps(first)) == first


# -------------------------------------------------------------- bad documents


def _set(path: str, value: Any) -> Any:
    """A mutation that sets the value at a dotted path ('items.feature.3.title')."""

    def mutate(doc: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        node: Any = doc
        for part in parents:
            node = node[int(part)] if isinstance(node, list) else node[part]
        if isinstance(node, list):
            node[int(last)] = value
        else:
            node[last] = value

    return mutate


SVG_BASE64 = base64.b64encode(
    b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg">'
    b"<script>fetch('/steal?c='+document.cookie)</script></svg>"
).decode()


def _photo(doc: dict[str, Any]) -> dict[str, Any]:
    """The sketch of the document that holds an uploaded image."""
    return next(s for s in doc["items"]["sketch"] if s["image_base64"])


def _delete(path: str) -> Any:
    def mutate(doc: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        node: Any = doc
        for part in parents:
            node = node[int(part)] if isinstance(node, list) else node[part]
        del node[int(last) if isinstance(node, list) else last]

    return mutate


BAD_DOCUMENTS = {
    "wrong format": (_set("format", "miro-board"), ["format: must be 'strategy-canvas'"]),
    "no format": (_delete("format"), ["format: is missing"]),
    "newer version": (
        _set("version", 2),
        ["version: is 2", "newer Strategy Canvas", "update Strategy Canvas"],
    ),
    "version as text": (_set("version", "1"), ["version: must be a whole number"]),
    "missing canvas name": (
        _delete("canvas.name"),
        ["canvas.name: is required and cannot be empty"],
    ),
    "canvas not an object": (_set("canvas", ["x"]), ["canvas: must be an object"]),
    "items not an object": (_set("items", []), ["items: must be an object, not a list"]),
    "unknown item type": (_set("items.whiteboard", []), ["items.whiteboard: is not an item"]),
    "item list is an object": (_set("items.goal", {}), ["items.goal: must be a list"]),
    "item is text": (_set("items.goal.1", "Grow"), ["items.goal[1]: must be an object"]),
    "missing required field": (
        _delete("items.feature.2.title"),
        ["items.feature[2].title: is required and cannot be empty"],
    ),
    "missing ref": (_delete("items.risk.0.ref"), ["items.risk[0].ref: is missing"]),
    "over-long title": (
        _set("items.feature.3.title", "x" * 201),
        ["items.feature[3].title: must be at most 200 characters"],
    ),
    "over-long text": (
        _set("items.feedback.4.text", "é" * 8001),
        ["items.feedback[4].text: must be at most 8,000 characters"],
    ),
    "number out of range": (
        _set("items.assumption.0.importance", 9),
        ["items.assumption[0].importance: must be at most 5"],
    ),
    "impact out of range": (
        _set("items.feature.0.impact", 5),
        ["items.feature[0].impact: must be at most 3"],
    ),
    "text for a number": (
        _set("items.key_result.1.baseline", "high"),
        ["items.key_result[1].baseline: must be a number"],
    ),
    "bad date": (
        _set("items.feedback.0.received_on", "31/12/2026"),
        ["items.feedback[0].received_on: must be a date"],
    ),
    "bad choice": (
        _set("items.roadmap_item.0.lane", "someday"),
        ["items.roadmap_item[0].lane: must be one of"],
    ),
    "number for text": (
        _set("items.problem.0.title", 42),
        ["items.problem[0].title: must be text"],
    ),
    "dangling link": (
        _set("items.feedback.2.feature_id", 987654321),
        ["items.feedback[2].feature_id: points to feature ref 987654321"],
    ),
    "link of the wrong kind": (
        (
            lambda d: d["items"]["risk"][0].__setitem__(
                "roadmap_item_id", max(p["ref"] for p in d["items"]["persona"]) + 10**6
            )
        ),
        ["items.risk[0].roadmap_item_id: points to roadmap_item ref"],
    ),
    "link as text": (
        _set("items.goal.0.persona_id", "Dana"),
        ["items.goal[0].persona_id: must be the ref"],
    ),
    "epic of itself": (
        (
            lambda d: d["items"]["feature"][0].__setitem__(
                "epic_id", d["items"]["feature"][0]["ref"]
            )
        ),
        ["items.feature[0].epic_id: cannot point to the item itself"],
    ),
    "duplicate ref": (
        (lambda d: d["items"]["goal"][1].__setitem__("ref", d["items"]["goal"][0]["ref"])),
        ["items.goal[1].ref:", "unique"],
    ),
    "ref as text": (_set("items.goal.0.ref", "g1"), ["items.goal[0].ref: must be a whole"]),
    "ref as true": (_set("items.goal.0.ref", True), ["items.goal[0].ref: must be a whole"]),
    "self dependency": (
        (
            lambda d: d["items"]["dependency"][0].__setitem__(
                "depends_on_id", d["items"]["dependency"][0]["item_id"]
            )
        ),
        ["items.dependency[0].depends_on_id: a roadmap item cannot depend on itself"],
    ),
    "dependency cycle": (
        (
            lambda d: d["items"]["dependency"].append(
                {
                    "ref": 10**9,
                    "item_id": d["items"]["dependency"][0]["depends_on_id"],
                    "depends_on_id": d["items"]["dependency"][0]["item_id"],
                }
            )
        ),
        ["items.dependency[3].depends_on_id: would close a cycle, each depending on the next"],
    ),
    "repeated dependency": (
        (lambda d: d["items"]["dependency"].append({**d["items"]["dependency"][0], "ref": 10**9})),
        [
            "items.dependency[3].depends_on_id: repeats the item_id and depends_on_id of "
            "items.dependency[0]"
        ],
    ),
    "two decisions for a feature": (
        (lambda d: d["items"]["decision"].append({**d["items"]["decision"][0], "ref": 10**9})),
        ["items.decision[4].feature_id: repeats the feature_id of items.decision[0]"],
    ),
    "two visions": (
        (lambda d: d["items"]["vision"].append({**d["items"]["vision"][0], "ref": 10**9})),
        ["items.vision: has 2 entries"],
    ),
    "unknown field": (
        _set("items.problem.1.colour", "red"),
        ["items.problem[1].colour: is not a field of this item"],
    ),
    "raw image field": (
        _set("items.sketch.0.image", "AAAA"),
        ["items.sketch[0].image: is not a field", "image_base64"],
    ),
    "bad base64": (
        _set("items.sketch.3.image_base64", "not base64!!"),
        ["items.sketch[3].image_base64: is not valid base64"],
    ),
    "SVG with a script labelled as PNG": (
        (lambda d: _photo(d).update(image_base64=SVG_BASE64, media_type="image/png")),
        [
            "items.sketch[",
            "].image: must be a PNG, JPEG, GIF or WebP image by its content",
            "markup such as SVG, which can hold scripts",
            "(image/png)",
        ],
    ),
    "JPEG labelled as PNG": (
        (
            lambda d: _photo(d).update(
                image_base64=base64.b64encode(b"\xff\xd8\xff\xe0" + PNG).decode(),
                media_type="image/png",
            )
        ),
        ["].media_type: must be labelled with the type of its content: it is image/jpeg"],
    ),
    "NUL character": (
        _set("items.problem.0.statement", "a\x00b"),
        ["items.problem[0].statement: must not contain NUL"],
    ),
    "lone surrogate": (
        _set("items.persona.0.name", "Dana \ud800"),
        ["items.persona[0].name: is not valid Unicode"],
    ),
    "unknown top-level key": (_set("comments", "hi"), ["comments: is not part of"]),
    "too many items": (
        (
            lambda d: d["items"].__setitem__(
                "problem", [{"ref": i, "title": "p"} for i in range(json_io.MAX_ITEMS_PER_KIND + 1)]
            )
        ),
        ["items.problem: has 20,001 items; at most 20,000"],
    ),
}


@pytest.mark.parametrize("case", BAD_DOCUMENTS, ids=list(BAD_DOCUMENTS))
def test_bad_document_is_rejected_whole_and_nothing_is_written(
    sqlite_engine: Engine, case: str, demo_document: dict[str, Any]
) -> None:
    mutate, expected = BAD_DOCUMENTS[case]
    document = copy.deepcopy(demo_document)
    mutate(document)
    with Session(sqlite_engine, expire_on_commit=False) as session:
        before = row_counts(session)
        with pytest.raises(ValidationFailed) as info:
            json_io.import_canvas(session=session, document=document)
        assert row_counts(session) == before
    message = str(info.value)
    for fragment in expected:
        assert fragment in message, f"{fragment!r} not in {message!r}"
    assert message.startswith("Import — ")


def test_every_error_is_collected_with_its_location(session: Session, demo_document: dict) -> None:
    doc = copy.deepcopy(demo_document)
    doc["canvas"]["name"] = ""
    doc["items"]["feature"][3]["title"] = "x" * 300
    doc["items"]["feature"][5]["confidence"] = 101
    doc["items"]["feedback"][7]["feature_id"] = -1
    doc["items"]["kpi_reading"][2]["measured_on"] = None
    before = row_counts(session)
    with pytest.raises(ValidationFailed) as info:
        json_io.import_canvas(session=session, document=doc)
    assert row_counts(session) == before
    fields = [e.field for e in info.value.errors]
    assert fields == [
        "canvas.name",
        "items.feature[3].title",
        "items.feature[5].confidence",
        "items.feedback[7].feature_id",
        "items.kpi_reading[2].measured_on",
    ]
    assert str(info.value.errors[1]) == (
        "items.feature[3].title: must be at most 200 characters (this one has 300)"
    )


def test_a_flood_of_errors_is_listed_up_to_a_limit(session: Session) -> None:
    doc = {
        "format": "strategy-canvas",
        "version": 1,
        "canvas": {"name": "Flood"},
        "items": {"goal": [{"ref": i, "title": ""} for i in range(500)]},
    }
    with pytest.raises(ValidationFailed) as info:
        json_io.import_canvas(session=session, document=doc)
    assert len(info.value.errors) == json_io.MAX_ERRORS_LISTED + 1
    assert "and 450 more errors" in str(info.value)
    assert row_counts(session)["Canvas"] == 0


def test_a_failure_while_writing_leaves_nothing(
    session: Session, demo_document: dict, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Validation passed, then the database fails midway: the transaction rolls back."""
    before = row_counts(session)
    real = items.create_item
    calls = {"n": 0}

    def flaky(**kwargs: Any) -> Any:
        calls["n"] += 1
        if calls["n"] == 70:
            raise RuntimeError("connection lost")
        return real(**kwargs)

    monkeypatch.setattr(items, "create_item", flaky)
    with pytest.raises(RuntimeError, match="connection lost"):
        json_io.import_canvas(session=session, document=demo_document)
    assert row_counts(session) == before


# ----------------------------------------------------------------- load_document

VALID_TEXT = json.dumps(
    {"format": "strategy-canvas", "version": 1, "canvas": {"name": "Tiny"}, "items": {}}
)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (b"", "document: is empty"),
        (b"   \n", "document: is empty"),
        (b"{", "the file looks truncated"),
        (VALID_TEXT[:40].encode(), "the file looks truncated"),
        (b'{"format": "strategy-canvas",, }', "is not valid JSON: Expecting"),
        (b"{'format': 'strategy-canvas'}", "is not valid JSON"),
        (b"[1, 2, 3]", "must be a JSON object (a Strategy Canvas export), not a list"),
        (b'"just text"', "not text"),
        (b"null", "not null"),
        (b'{"version": NaN}', "NaN, which is not a number JSON allows"),
        (b'{"version": Infinity}', "Infinity"),
        (b"\xff\xfe{\x00", "is not UTF-8 text"),
        (b"[" * 100_000 + b"]" * 100_000, "nests too deeply"),
        (b" " * (json_io.MAX_DOCUMENT_BYTES + 1), "at most 20 MB"),
    ],
)
def test_load_document_explains_malformed_input(raw: bytes, expected: str) -> None:
    with pytest.raises(ValidationFailed) as info:
        json_io.load_document(raw)
    assert expected in str(info.value)
    assert info.value.errors[0].field == "document"


def test_load_document_accepts_text_bytes_and_a_bom() -> None:
    assert json_io.load_document(VALID_TEXT)["canvas"] == {"name": "Tiny"}
    assert json_io.load_document("\ufeff" + VALID_TEXT)["version"] == 1
    assert json_io.load_document(b"\xef\xbb\xbf" + VALID_TEXT.encode())["version"] == 1


@settings(max_examples=60, deadline=None)
@given(cut=st.integers(0, len(VALID_TEXT) - 1), noise=st.binary(max_size=40))
def test_load_document_never_fails_unexpectedly(cut: int, noise: bytes) -> None:
    for raw in (VALID_TEXT[:cut].encode(), noise, VALID_TEXT[:cut].encode() + noise):
        try:
            assert isinstance(json_io.load_document(raw), dict)
        except ValidationFailed as exc:
            assert exc.errors and exc.errors[0].field == "document"


# ------------------------------------------------------------------------- fuzz

JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-5, 400)
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=12)
    | st.sampled_from(["", " ", "2026-02-30", "2026-09-01", "now", "shipped", "x" * 250]),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=6,
)


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = []
    children = (
        node.items()
        if isinstance(node, dict)
        else enumerate(node)
        if isinstance(node, list)
        else []
    )
    for key, child in children:
        out.append((*prefix, key))
        out.extend(_paths(child, (*prefix, key)))
    return out


@st.composite
def mutated_documents(draw: st.DrawFn, base: dict[str, Any]) -> dict[str, Any]:
    doc = copy.deepcopy(base)
    for _ in range(draw(st.integers(1, 3))):
        paths = _paths(doc)
        path = draw(st.sampled_from(paths))
        parent: Any = doc
        for key in path[:-1]:
            parent = parent[key]
        key = path[-1]
        action = draw(st.sampled_from(["delete", "replace", "replace", "swap", "append"]))
        if action == "delete":
            del parent[key]
        elif action == "replace":
            parent[key] = draw(JSON_VALUES)
        elif action == "swap":  # a value from elsewhere in the document: often a valid ref
            other = draw(st.sampled_from(_paths(doc)))
            value: Any = doc
            for part in other:
                value = value[part]
            parent[key] = copy.deepcopy(value)
        elif isinstance(parent[key], list):
            parent[key].append(draw(JSON_VALUES))
        elif isinstance(parent[key], dict):
            parent[key][draw(st.text(max_size=8))] = draw(JSON_VALUES)
    return doc


@pytest.fixture(scope="module")
def small_base() -> dict[str, Any]:
    """A small valid document touching every item type and link (fast to import)."""
    return {
        "format": "strategy-canvas",
        "version": 1,
        "exported_at": "2026-09-01T08:00:00+00:00",
        "canvas": {"name": "Fuzz", "product": "P", "description": "", "authors": "A"},
        "items": {
            "problem": [{"ref": 1, "title": "Slow", "statement": "It is slow", "impact": ""}],
            "persona": [{"ref": 2, "name": "Dana", "kind": "persona", "problem_id": 1, "size": 10}],
            "alternative": [{"ref": 3, "name": "Excel", "kind": "workaround"}],
            "evidence": [{"ref": 4, "title": "Survey", "strength": "strong", "problem_id": 1}],
            "assumption": [
                {"ref": 5, "statement": "They pay", "importance": 5, "evidence": 2, "persona_id": 2}
            ],
            "vision": [{"ref": 6, "statement": "For teams", "north_star_metric": "WAU"}],
            "goal": [{"ref": 7, "title": "Grow", "persona_id": 2}],
            "feature": [
                {
                    "ref": 8,
                    "title": "Export",
                    "kind": "epic",
                    "goal_id": 7,
                    "persona_id": 2,
                    "reach": 100,
                    "impact": 2,
                    "confidence": 80,
                    "effort": 1.5,
                    "moscow": "must",
                    "kano": "basic",
                },
                {"ref": 9, "title": "CSV", "kind": "story", "epic_id": 8},
            ],
            "criterion": [{"ref": 20, "name": "Fit", "weight": 60}, {"ref": 21, "name": "Cost"}],
            "criterion_score": [
                {"ref": 22, "feature_id": 8, "criterion_id": 20, "score": 7.5},
                {"ref": 23, "feature_id": 9, "criterion_id": 20, "score": 3},
            ],
            "sketch": [
                {
                    "ref": 10,
                    "feature_id": 8,
                    "url": "https://example.com/a",
                    "image_base64": base64.b64encode(b"GIF89a").decode(),
                    "media_type": "image/gif",
                }
            ],
            "roadmap_item": [
                {
                    "ref": 11,
                    "title": "Build",
                    "feature_id": 8,
                    "lane": "now",
                    "start_date": "2026-09-01",
                    "end_date": "2026-10-01",
                },
                {"ref": 12, "title": "Ship", "feature_id": 9},
            ],
            "dependency": [{"ref": 13, "item_id": 12, "depends_on_id": 11}],
            "key_result": [
                {
                    "ref": 14,
                    "metric": "WAU",
                    "unit": "teams",
                    "baseline": 1,
                    "target": 5,
                    "target_date": "2027-01-01",
                    "goal_id": 7,
                    "roadmap_item_id": 11,
                }
            ],
            "risk": [{"ref": 15, "title": "Late", "roadmap_item_id": 11}],
            "feedback": [
                {
                    "ref": 16,
                    "text": "Love it",
                    "sentiment": "positive",
                    "received_on": "2026-08-01",
                    "feature_id": 8,
                    "key_result_id": 14,
                    "persona_id": 2,
                }
            ],
            "flaw": [{"ref": 17, "title": "Crash", "feature_id": 8, "feedback_id": 16}],
            "kpi_reading": [
                {"ref": 18, "key_result_id": 14, "measured_on": "2026-08-31", "value": 2}
            ],
            "decision": [{"ref": 19, "feature_id": 8, "decision": "victory"}],
        },
    }


def test_the_fuzz_base_document_imports(session: Session, small_base: dict) -> None:
    canvas = json_io.import_canvas(session=session, document=small_base)
    assert len(items.list_items(session=session, canvas_token=canvas.token, kind="feature")) == 2


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_a_mutated_document_imports_completely_or_writes_nothing(
    sqlite_engine: Engine, small_base: dict[str, Any], data: st.DataObject
) -> None:
    document = data.draw(mutated_documents(small_base))
    assume(document != small_base)
    with Session(sqlite_engine, expire_on_commit=False) as session:
        before = row_counts(session)
        try:
            canvas = json_io.import_canvas(session=session, document=document)
        except ValidationFailed as exc:
            assert exc.errors and all(e.field and e.message for e in exc.errors)
            assert row_counts(session) == before
            return
        after = row_counts(session)
        assert after["Canvas"] == before["Canvas"] + 1
        for kind, spec in items.ITEM_TYPES.items():
            expected = 1 if kind == "vision" else len(document["items"].get(kind, []))
            written = len(items.list_items(session=session, canvas_token=canvas.token, kind=kind))
            assert written == expected, kind
            assert after[spec.table.__name__] - before[spec.table.__name__] == expected, kind
