"""The only code that reads or writes the database. Never imports streamlit.

Every function takes a ``Session`` keyword argument, validates its input through the
Create schemas and raises the errors in :mod:`strategy_canvas.services.errors`.
"""
