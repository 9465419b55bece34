"""Answer-quality benchmark for the edge voice server (driven by ``scripts/answer_quality.py``).

Modules, each single-purpose:

- ``normalize``: reply text as the rules read it (lowercase, number words as digits).
- ``expect``: answers computed when asked: clock times anywhere, weekday, date, month, year; durations.
- ``rules``: the scoring rule language (all_of / any_of / none_of, number and duration ranges, expectations).
- ``bank``: the questions and dialogues with their rules.
- ``questions``: the tune/holdout halves, voices, and the fresh and continuing session plans.
- ``speech``: the questions spoken by the benchmark's voices (cached clips), and session noise.
- ``session``: a benchmark session with ``hello.timezone`` that keeps ``timers`` and ``timer_fired``.
- ``runner``: asks the sessions and scores each reply.
- ``report``: accuracy by category, the per-item table, latency, the JSON document.
- ``main``: the run from start to finish.
"""
