"""Times as people say them: "just now", "5 minutes ago", "yesterday"."""

from __future__ import annotations

from datetime import UTC, datetime


def _plural(n: int, unit: str) -> str:
    return f"{n} {unit}{'' if n == 1 else 's'} ago"


def relative_time(moment: datetime, now: datetime | None = None) -> str:
    """``moment`` relative to ``now`` (naive datetimes are taken as UTC, as stored)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    now = now or datetime.now(UTC)
    seconds = (now - moment).total_seconds()
    if seconds < 45:
        return "just now"
    minutes = round(seconds / 60)
    if minutes < 60:
        return _plural(minutes, "minute")
    hours = round(seconds / 3600)
    if hours < 24:
        return _plural(hours, "hour")
    days = (now.date() - moment.date()).days
    if days <= 1:
        return "yesterday"
    if days < 14:
        return _plural(days, "day")
    if moment.year == now.year:
        return f"on {moment:%d %b}".replace(" 0", " ")
    return f"on {moment:%d %b %Y}".replace(" 0", " ")
