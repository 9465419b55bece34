"""The offline endpointing fit on scripted pause verdicts: what it counts as a cut and a wait."""

from __future__ import annotations

from app.config import EndpointSettings
from client.benchmark.endpoint_fit import cut_pauses, evaluate, evaluate_per_speaker, format_cut, grid
from client.benchmark.pause_verdicts import NEVER_MS, PauseVerdicts


def pause(clip: str, index: int, pause_ms: int, text: str, p_voice: float, p_words: float | None, *,
          final: bool = False) -> PauseVerdicts:
    return PauseVerdicts(clip=clip, voice="piper", set_name="tune", index=index, final=final,
                         pause_ms=NEVER_MS if final else pause_ms, transcript=text, p_voice=p_voice,
                         p_words=p_words, stt_ms=100.0, voice_ms=20.0, words_ms=60.0)


ROWS = [
    # "I need a recipe for dinner." [480 ms] "that uses chicken and rice.": both verdicts say finished.
    pause("dinner", 0, 480, "I need a recipe for dinner.", 0.98, 0.12),
    pause("dinner", 1, 0, "I need a recipe for dinner that uses chicken and rice.", 0.98, 0.47, final=True),
    # "Could you tell me" [600 ms] "why the sky is blue?": the words say more is coming.
    pause("sky", 0, 600, "Could you tell me?", 0.99, 4e-5),
    pause("sky", 1, 0, "Could you tell me why the sky is blue?", 0.13, 0.26, final=True),
    pause("koala", 0, 0, "What does a koala eat?", 0.95, 0.3, final=True),
]


def test_a_pause_longer_than_the_wait_is_a_cut_and_a_real_end_waits_for_the_verdicts() -> None:
    endpoint = EndpointSettings(complete_ms=240, words_done_ms=320, words_open_ms=900, incomplete_ms=1000,
                                words_threshold=2e-3, words_sure=0.15)
    result = evaluate(ROWS, endpoint)
    assert (result.clips, result.pause_clips, result.cutoffs) == (3, 2, 1)
    # Waits of the clips not cut: sky (words sure, voice not: 320) and koala (both: 240, but the
    # verdicts are only in after 80 + 100 + 60 ms).
    assert result.wait_p50_ms == (320 + 240) / 2
    (cut, wait), = cut_pauses(ROWS, endpoint)
    assert cut.clip == "dinner" and wait == 240
    assert "pause 480 ms cut after 240 ms" in format_cut(cut, wait)


def test_grid_puts_fewest_cutoffs_first() -> None:
    base = EndpointSettings()
    results = grid(ROWS, base, {"complete_ms": (240, 500)})
    assert [r.settings for r in results] == [{"complete_ms": 500}, {"complete_ms": 240}]
    assert results[0].cutoffs == 0 and results[0].wait_p50_ms > results[1].wait_p50_ms


def test_per_speaker_adaptation_waits_out_the_pause_this_speaker_went_on_after() -> None:
    # The same speaker pauses after a finished-sounding sentence twice: the first is cut (and
    # merged), so the second "finished" wait lasts that pause plus the margin; so does the koala's.
    rows = [*ROWS[:2], pause("dinner2", 0, 480, "I need a recipe for dinner.", 0.98, 0.12),
            pause("dinner2", 1, 0, "I need a recipe for dinner that uses rice.", 0.98, 0.47, final=True), ROWS[4]]
    endpoint = EndpointSettings()
    fixed = evaluate(rows, endpoint)
    adapted = evaluate_per_speaker(rows, endpoint, margin_ms=100, cap_ms=800)
    assert (fixed.cutoffs, adapted.cutoffs) == (2, 1)
    assert adapted.wait_p50_ms == 580 and adapted.settings == {"per_speaker_margin_ms": 100, "cap_ms": 800}
    capped = evaluate_per_speaker(rows, endpoint, margin_ms=100, cap_ms=400)
    assert capped.cutoffs == 2  # the wait may not grow past the cap, shorter than the pause
