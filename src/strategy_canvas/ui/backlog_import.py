"""The Export page's backlog import: upload, map the columns, see every row and every
problem, then import (all or nothing, or skipping the rows with problems).

Nothing is written before the button is pressed; the plan shown is the plan written
(``export/backlog``). Session-state keys start with ``import.`` and carry the upload's
file id, so a new file starts with a clean slate.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pandas as pd
import streamlit as st

from strategy_canvas.export import backlog
from strategy_canvas.services.errors import ServiceError, ValidationFailed
from strategy_canvas.ui import identity, links, messages, steps
from strategy_canvas.ui.text import md

if TYPE_CHECKING:
    from strategy_canvas.ui.context import PageContext

_NONE = "— not imported —"
_UNSET = "— leave unset —"
#: an unknown status whose rows became what their Jira status category says
_AS_CATEGORY = "— as its status category says —"
#: the fields shown first; the others are under "More fields"
_MAIN_FIELDS = (
    "title", "description", "external_key", "kind", "status", "moscow", "effort",
    "labels", "parent", "start_date", "due_date",
)  # fmt: skip
_DATE_ORDERS = {"auto": "As the file settles it", "dmy": "Day/month", "mdy": "Month/day"}
_ACTIONS = {"new": "new", "update": "update", "unchanged": "unchanged", "problem": "problem"}


def _table(upload: Any) -> backlog.Backlog | None:
    """The uploaded file read once per upload (a large file takes a moment)."""
    cached = st.session_state.get("import.table")
    if cached is not None and cached[0] == upload.file_id:
        return cached[1]
    try:
        with st.spinner("Reading the file…"):
            table = backlog.read_backlog(upload.getvalue())
    except ServiceError as error:
        messages.show_error(error)
        return None
    st.session_state["import.table"] = (upload.file_id, table)
    return table


def _mapping(table: backlog.Backlog, file_id: str) -> dict[str, str]:
    suggested = backlog.suggest_mapping(table.columns)
    options = [_NONE, *table.columns]
    labels = {c: f"{c} (×{table.repeats(c)})" if table.repeats(c) > 1 else c for c in table.columns}
    mapping: dict[str, str] = {}

    def pick(field_name: str) -> None:
        default = suggested.get(field_name)
        chosen = st.selectbox(
            backlog.FIELD_LABELS[field_name] + (" *" if field_name == "title" else ""),
            options,
            index=options.index(default) if default in options else 0,
            format_func=lambda c: labels.get(c, c),
            key=f"import.map.{field_name}.{file_id}",
        )
        if chosen != _NONE:
            mapping[field_name] = chosen

    with st.expander("Which column fills which field?", expanded="title" not in suggested):
        columns = st.columns(3)
        for index, field_name in enumerate(_MAIN_FIELDS):
            with columns[index % 3]:
                pick(field_name)
        st.caption("More fields")
        columns = st.columns(3)
        others = [f for f in backlog.IMPORT_FIELDS if f not in _MAIN_FIELDS]
        for index, field_name in enumerate(others):
            with columns[index % 3]:
                pick(field_name)
    return mapping


def _value_map(file_id: str) -> dict[str, dict[str, str]]:
    return st.session_state.setdefault(f"import.values.{file_id}", {})


def _choose_value(key: str, field_name: str, value: str, file_id: str) -> None:
    chosen = st.session_state[key]
    values = _value_map(file_id).setdefault(field_name, {})
    if chosen in (_UNSET, _AS_CATEGORY):
        values.pop(value, None)
    else:
        values[value] = chosen


def _unknown_values(plan: backlog.ImportPlan, file_id: str) -> None:
    """Values the file uses that this does not know: what each became, and a choice."""
    seen: dict[tuple[str, str], tuple[tuple[int, ...], bool]] = st.session_state.setdefault(
        f"import.unknown.{file_id}", {}
    )
    for unknown in plan.unknown:
        seen[(unknown.field, unknown.value)] = (unknown.rows, unknown.mixed)
    if not seen:
        return
    chosen = _value_map(file_id)
    became = {(u.field, u.value): u.became for u in plan.unknown}
    st.markdown(
        "**Values this does not know.** Each became what is shown; choose what it means here."
    )
    columns = st.columns(3)
    for index, ((field_name, value), (rows, mixed)) in enumerate(seen.items()):
        choices = list(backlog.CHOICE_FIELDS[field_name])
        first = _AS_CATEGORY if mixed else _UNSET
        options = choices if field_name in ("status", "kind") and not mixed else [first, *choices]
        current = chosen.get(field_name, {}).get(value) or (
            first if mixed else became.get((field_name, value))
        )
        key = f"import.value.{file_id}.{index}"
        shown = ", ".join(str(r) for r in rows[:8]) + (" …" if len(rows) > 8 else "")
        with columns[index % 3]:
            st.selectbox(
                f"{backlog.FIELD_LABELS[field_name]} “{md(value)}” "
                f"(row{'s' if len(rows) > 1 else ''} {shown})",
                options,
                index=options.index(current) if current in options else 0,
                key=key,
                on_change=_choose_value,
                args=(key, field_name, value, file_id),
            )


def _plan(
    ctx: PageContext,
    table: backlog.Backlog,
    mapping: dict[str, str],
    points: float,
    order: str,
    file_id: str,
) -> backlog.ImportPlan | None:
    """The import's plan, kept while nothing it depends on changes."""
    assert ctx.token is not None
    values = _value_map(file_id)
    key = (
        file_id,
        ctx.revision,
        tuple(sorted(mapping.items())),
        points,
        order,
        tuple(sorted((f, tuple(sorted(v.items()))) for f, v in values.items())),
    )
    cached = st.session_state.get("import.plan")
    if cached is not None and cached[0] == key:
        return cached[1]
    try:
        with ctx.read() as session:
            plan = backlog.plan_import(
                session=session,
                canvas_token=ctx.token,
                backlog=table,
                mapping=mapping,
                points_per_person_month=points,
                value_map=values,
                date_order=None if order == "auto" else order,  # type: ignore[arg-type]
            )
    except ValidationFailed as error:
        st.error(
            "Nothing can be imported with these columns:\n"
            + "\n".join(f"- **{md(e.label)}**: {md(e.message)}" for e in error.errors),
            icon=":material/error:",
        )
        return None
    except ServiceError as error:
        messages.show_error(error)
        return None
    st.session_state["import.plan"] = (key, plan)
    return plan


def preview_frame(plan: backlog.ImportPlan) -> pd.DataFrame:
    """Every row of the file as it will be imported: what happens, and its values."""
    records = []
    for row in sorted(plan.preview, key=lambda r: r.row):
        v = row.values
        records.append(
            {
                "Row": row.row,
                "Action": _ACTIONS[row.action],
                "Title": v.get("title", ""),
                "Kind": v.get("kind", ""),
                "Status": v.get("status", ""),
                "MoSCoW": v.get("moscow") or "",
                "Effort": v.get("effort"),
                "Labels": v.get("labels", ""),
                "Epic": v.get("epic", ""),
                "Start": v.get("start_date"),
                "Due": v.get("due_date"),
                "Key": v.get("external_key", ""),
                "Notes": " · ".join(row.notes),
            }
        )
    frame = pd.DataFrame(records)
    if not frame.empty:  # blank cells, not "None", where a row has no value
        frame["Effort"] = pd.to_numeric(frame["Effort"])
        for column in ("Start", "Due"):
            frame[column] = pd.to_datetime(frame[column])
    return frame


def backlog_import(ctx: PageContext) -> None:
    """A Jira, Linear, Asana or Productboard CSV into this canvas's features."""
    assert ctx.token is not None
    st.markdown(
        "Bring in features from a backlog exported by **Jira** (in any of its languages), "
        "**Linear**, **Asana** or **Productboard** as CSV. Features keep their key, link "
        "and labels; importing an updated file updates them instead of adding them twice, "
        "and due dates place them on the roadmap."
    )
    upload = st.file_uploader(
        "Backlog CSV",
        type=["csv", "tsv", "txt"],
        key="import.csv",
        max_upload_size=backlog.MAX_BYTES // (1024 * 1024) + 1,
    )
    if upload is None:
        return
    table = _table(upload)
    if table is None:
        return
    file_id = upload.file_id
    separator = {"\t": "tab", ",": "comma", ";": "semicolon", "|": "bar"}[table.delimiter]
    st.caption(
        f"{len(table):,} rows and {len(table.headers):,} columns "
        f"({len(table.columns):,} names), {table.encoding}, {separator}-separated."
    )
    mapping = _mapping(table, file_id)
    left, right = st.columns(2)
    with left:
        points = st.number_input(
            "Story points per person-month (to turn estimates into effort)",
            min_value=0.5,
            max_value=1000.0,
            value=backlog.POINTS_PER_PERSON_MONTH,
            step=0.5,
            key="import.points",
        )
    with right:
        order = (
            st.segmented_control(
                "Dates such as 11/01/2025 are",
                list(_DATE_ORDERS),
                default="auto",
                format_func=_DATE_ORDERS.__getitem__,
                key=f"import.dates.{file_id}",
            )
            or "auto"
        )
    plan = _plan(ctx, table, mapping, points, order, file_id)
    if plan is None:
        return
    _unknown_values(plan, file_id)
    _show_plan(ctx, plan, file_id, upload.name)


def _show_plan(ctx: PageContext, plan: backlog.ImportPlan, file_id: str, file_name: str) -> None:
    assert ctx.token is not None
    st.markdown(f"**Check:** {md(plan.summary())}")
    st.dataframe(
        preview_frame(plan),
        hide_index=True,
        width="stretch",
        placeholder="—",
        column_config={
            "Start": st.column_config.DateColumn(format="YYYY-MM-DD"),
            "Due": st.column_config.DateColumn(format="YYYY-MM-DD"),
        },
    )
    if plan.warnings:
        with st.expander(f"Notes ({len(plan.warnings):,}): what was guessed or cut to fit"):
            st.markdown("\n".join(f"- {md(w)}" for w in plan.warnings[:200]))
    skip = False
    if not plan.ok:
        bad = len(plan.bad_rows)
        st.error(
            f"{bad:,} row{'s have' if bad != 1 else ' has'} problems. Fix the file (or the "
            "columns) and upload it again, or skip them:",
            icon=":material/error:",
        )
        st.dataframe(
            pd.DataFrame(
                [{"Row": e.row, "Field": e.field, "Problem": e.message} for e in plan.errors]
            ),
            hide_index=True,
            width="stretch",
            placeholder="—",
        )
        skip = (
            st.radio(
                "Rows with problems",
                ["none", "skip"],
                format_func=lambda c: (
                    "Import nothing until they are fixed"
                    if c == "none"
                    else f"Skip the {bad:,} row{'s' if bad != 1 else ''} with problems and "
                    "import the others"
                ),
                key=f"import.skip.{file_id}",
            )
            == "skip"
        )
    total = len(plan.creates) + len(plan.updates)
    if st.button(
        f"Import {total} feature{'s' if total != 1 else ''}",
        type="primary",
        disabled=total == 0 or (not plan.ok and not skip),
        key="import.apply",
    ):
        try:
            label = f"Importing {total:,} feature{'s' if total != 1 else ''}…"
            with st.spinner(label), ctx.write() as session:
                result = backlog.apply_import(
                    session=session,
                    canvas_token=ctx.token,
                    plan=plan,
                    skip_invalid=skip,
                    actor=identity.actor(ctx).importing(),
                )
        except ServiceError as error:
            messages.show_error(error)
            return
        st.session_state.pop("import.plan", None)
        st.success(f"Imported: {md(result.summary())}.", icon=":material/check_circle:")
        links.page_link(
            steps.STEPS[3].page,
            label="See them in Designs",
            icon=":material/arrow_forward:",
            query_params=ctx.link_params,
        )
