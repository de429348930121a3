"""The rules behind the numbers a user sees, each written once as a pure function in a
module named for it, and read by every page, chart and export through the canvas
snapshot (:mod:`strategy_canvas.services.snapshot`):

- :mod:`.percent` — a share shown as a whole percentage;
- :mod:`.kpi_progress` — how far a KPI has come from its baseline toward its target;
- :mod:`.flaw_urgency` — which flaws come first: open fixes, then severity;
- :mod:`.top_features` — the features worth naming first, by RICE.

The ranking of the features under every framework is :func:`strategy_canvas.scoring.rank_table`
and the completeness of each step :mod:`strategy_canvas.services.progress`.
"""
