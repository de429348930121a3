"""The workshop: the votes of a step, most first."""

from __future__ import annotations

import altair as alt
import pandas as pd

from strategy_canvas.charts.common import finish_chart, layered

#: the most bars in the vote chart
VOTE_CHART_LIMIT = 15
#: notes and features told apart by colour (the workshop screen's indigo and sky)
VOTE_KIND_COLOURS = {"Note": "#4F46E5", "Feature": "#0EA5E9"}


def _unique_labels(tally: pd.DataFrame) -> list[str]:
    """Each voted item's label, told apart when two read the same."""
    seen: dict[str, int] = {}
    labels = []
    for label, kind, target_id in zip(
        tally["label"].astype(str), tally["target_kind"], tally["target_id"], strict=True
    ):
        text = label.strip() or f"{kind} #{target_id}"
        seen[text] = seen.get(text, 0) + 1
        if seen[text] > 1:
            text = f"{text} (#{target_id})"
        labels.append(text)
    return labels


def vote_rows(tally: pd.DataFrame, *, limit: int = VOTE_CHART_LIMIT) -> pd.DataFrame:
    """The bars of the vote results, most votes first (at most ``limit``): ``tally``'s
    columns, plus ``item`` (the label, told apart when two read the same) and ``what``
    (Note or Feature). The live board's bars (ui/workshop_board.py) and the chart of
    the reports both come from here."""
    data = tally.sort_values("votes", ascending=False, kind="stable").head(limit).copy()
    data["item"] = _unique_labels(data)
    data["what"] = data["target_kind"].map({"note": "Note", "feature": "Feature"})
    return data


def vote_chart(
    tally: pd.DataFrame, *, title: str = "Votes", limit: int = VOTE_CHART_LIMIT
) -> alt.LayerChart:
    """The vote results of a step: one bar per voted note or feature, most votes first
    (at most ``limit``), each labelled with its count.

    ``tally`` is :attr:`strategy_canvas.services.workshops.Board.tally` (target_kind,
    target_id, label, votes).
    """
    data = vote_rows(tally, limit=limit)
    bars = (
        alt.Chart(data)
        .mark_bar(cornerRadiusEnd=3)
        .encode(
            x=alt.X("votes:Q", title="Votes", axis=alt.Axis(tickMinStep=1, format="d")),
            # An explicit order: "-x" is lost when the bars and their labels are layered.
            y=alt.Y("item:N", sort=list(data["item"]), title=None, axis=alt.Axis(labelLimit=320)),
            color=alt.Color(
                "what:N",
                title=None,
                scale=alt.Scale(
                    domain=list(VOTE_KIND_COLOURS), range=list(VOTE_KIND_COLOURS.values())
                ),
                legend=None if data["what"].nunique() < 2 else alt.Legend(orient="bottom"),
            ),
            tooltip=[
                alt.Tooltip("item:N", title="Item"),
                alt.Tooltip("what:N", title="Kind"),
                alt.Tooltip("votes:Q", title="Votes"),
            ],
        )
    )
    labels = bars.mark_text(align="left", dx=4).encode(
        text=alt.Text("votes:Q"), color=alt.value("#1F2937")
    )
    # One row per item, whatever their number.
    return finish_chart(layered(bars, labels), title=title, height=alt.Step(26))
