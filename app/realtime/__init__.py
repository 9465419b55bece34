"""The OpenAI Realtime protocol on the node's port (``/v1/realtime``), see docs/realtime.md.

``events``, ``server_events``, ``codecs``, ``responses`` and ``session`` are sans-I/O (the
conversation's layer); ``connection`` is the websocket handler (the I/O layer).
"""
