"""Soak benchmark: K sessions talk to one node turn after turn for minutes, in real time.

It answers "does the node stay healthy under sustained use": per-turn end-to-end latency over
time (the latency benchmark's definition and accounting, :mod:`client.benchmark`), error events
and disconnects, reply audio frames lost or out of order (per-turn ``seq`` continuity), and the
server's memory over time. Driven by ``scripts/soak.py``.

Modules:

- ``frames``: per-turn continuity check of reply audio frames (pure).
- ``monitor``: server RSS (``/proc/<pid>/status``) and ``/info`` sampled over time.
- ``runner``: the sessions, clip after clip, until the time is up.
- ``report``: per-window latency percentiles, summary, JSON document, exit code.
- ``plot``: the two-panel PNG (latency over time, RSS over time).
"""
