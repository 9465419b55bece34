"""Mouth-to-ear latency benchmark for the edge voice server (driven by ``scripts/latency_budget.py``).

Modules, each single-purpose:

- ``speech_end``: where speech ends in a clip: acoustically (35 dB rule) and by webrtcvad (mode 2).
- ``clips``: the clips to play (files, the shared recording, generated prompts), their references,
  and where the shared recordings are (``--shared-audio``, ``$EDGE_VOICE_SHARED_AUDIO``).
- ``sets``: the named clip sets of ``--set`` (default, tune, holdout, voices-*, human).
- ``prompts``: spoken prompts synthesized with the project's own Piper voice, cached on disk.
- ``prompt_sets``: the 32 endpointing prompts, split into ``tune`` and ``holdout``.
- ``voices``: Piper at three speeds and five espeak-ng voices, and which voice speaks which prompt.
- ``noise``: white, pink, babble, hum and keyboard noise at a set level (``--noise``).
- ``accounting``: pure functions turning a clip's event log into one measured turn.
- ``longrun``: per-session counts: repeated replies, first-token trend, ghost turns, the history.
- ``endpoint_report``: endpoint wait and false cut-offs per voice and per set.
- ``stats``: percentiles, summaries and word error rate.
- ``session``: one websocket session that behaves like a microphone that never stops.
- ``runner``: K sessions x N repeats x modes, one clip after another.
- ``spawn``: start and stop a local server.
- ``targets``: the latency target per number of sessions (issue 11) and the verdict against it.
- ``report``: the printed table, the summary and the JSON document.
- ``plot``: the stacked-bar PNG.
- ``make_example``: ``python -m client.benchmark.make_example``, a spoken question for file mode.
"""
