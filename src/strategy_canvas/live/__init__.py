"""Push, not poll: every committed write announces its canvas's change counter to every
open screen of that canvas (docs/ARCHITECTURE.md, "Live sync").

- :mod:`.hub` — one per process: the latest counter (and presence epoch) of each watched
  canvas, and the streams waiting on it; writes in this process announce themselves
  after their commit;
- :mod:`.watch` — one watcher per process for what other processes write: PostgreSQL's
  ``LISTEN`` on the channel a trigger notifies, or SQLite's ``PRAGMA data_version``;
  and the presence of the people whose screens beat.

Nothing here imports streamlit: the event route (:mod:`strategy_canvas.server`) and the
listener in the pages (:mod:`strategy_canvas.ui.push`) build on it.
"""

from strategy_canvas.live.hub import HUB, Hub

#: the event stream of one canvas (Server-Sent Events), served by strategy_canvas.server
EVENTS_PATH = "/api/live/events"
#: the live board of a workshop, as the holder of a token sees it (JSON: its HTML and
#: the controls signature), served by strategy_canvas.server
BOARD_PATH = "/api/live/board"
#: a participant's screen is open (its beat) / closed
HERE_PATH = "/api/live/here"
LEAVE_PATH = "/api/live/leave"

__all__ = ["BOARD_PATH", "EVENTS_PATH", "HERE_PATH", "HUB", "LEAVE_PATH", "Hub"]
