"""The moviepipe dashboard: a Streamlit app over the warehouse's ANALYTICS views.

``app.py`` is the main file (``moviepipe dashboard`` serves it; Streamlit in Snowflake runs it
as is); ``screens/`` holds the pages, ``queries.py`` every SQL text, ``backend.py`` the one
choice of connection (a read-only copy of the local warehouse, ``snapshot.py``, or
``st.connection("snowflake")``), ``server.py`` the command. Like the package above it, this
init imports nothing: in Streamlit in Snowflake only these files and ``moviepipe/errors.py``
are uploaded.
"""
