"""Strategy Canvas: a product strategy in five guided steps, live with the team."""

__version__ = "0.1.0"
