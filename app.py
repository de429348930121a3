"""Strategy Canvas — the entry point and the home page: every canvas, and what to do with it.

Run with ``streamlit run app.py``. Streamlit finds ``app`` below, an ASGI app that adds
the live event stream and a warm start to Streamlit's own server
(strategy_canvas/server.py), and runs this file as the home page's script. The five
steps and the Overview are the files in pages/; each of them, like this one, starts
with ``ui.page_setup``.
"""

import streamlit as st

if __name__ == "__main__":  # Streamlit runs the home page
    from strategy_canvas import ui
    from strategy_canvas.ui import home

    ctx = ui.page_setup("Canvases", home=True)
    home.show_home(ctx)
else:  # `streamlit run app.py` (or uvicorn app:app) imports the server
    from strategy_canvas import server

    app = st.App(
        "app.py",
        routes=server.routes(),
        lifespan=server.lifespan,
        middleware=server.middleware(),
    )
