"""Workshop — run the five steps live with the team, join one, or show it on the projector."""

from strategy_canvas import ui
from strategy_canvas.ui import workshop

workshop.before_setup()
ctx = ui.page_setup(workshop.TITLE)
workshop.show(ctx)
