"""Mouth-to-ear latency benchmark for the edge voice server (driven by ``scripts/latency_budget.py``).

Modules, each single-purpose:

- ``speech_end``: where speech ends in a clip (webrtcvad, mode 2), in 20 ms frames.
- ``clips``: the clips to play (files, the shared recording, generated prompts) and their references.
- ``prompts``: spoken prompts synthesized with the project's own Piper voice, cached on disk.
- ``accounting``: pure functions turning a clip's event log into one measured turn.
- ``stats``: percentiles, summaries and word error rate.
- ``session``: one websocket session that behaves like a microphone that never stops.
- ``runner``: K sessions x N repeats x modes, one clip after another.
- ``spawn``: start and stop a local server.
- ``report``: the printed table, the summary and the JSON document.
- ``plot``: the stacked-bar PNG.
"""
