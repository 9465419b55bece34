"""Which committed utterances are not turns: Whisper's noise words, the assistant's own voice
coming back through the speakers, and a listener's "mhmm" while the assistant talks."""

from __future__ import annotations

from app.audio import INPUT_FORMAT
from app.config import EndpointSettings
from app.conversation.turn import Turn
from app.turn_policy import echo_overlap, is_backchannel, is_noise_transcript, words_beyond


def ignore_reason(turn: Turn, text: str, last_reply: Turn | None, endpoint: EndpointSettings) -> str | None:
    """Why ``turn`` (transcribed as ``text``) is not a turn, or None if it is one.

    ``last_reply``: the most recent turn whose reply audio went out (None if none did).
    """
    if is_noise_transcript(text):
        return "noise"
    if last_reply is None or last_reply.id == turn.id:
        return None
    playing_until = last_reply.playing_until(INPUT_FORMAT.sample_rate)
    if playing_until is None or last_reply.audio_start_pos is None:
        return None
    # Speech that began before the reply's first audio went out is not its echo, whatever its
    # words (a small model may answer a quote with the quote itself). The utterance's audio starts
    # with the pre-roll, so its onset is about that much later (never earlier: a short pre-roll
    # only moves the estimate later, toward checking for echo).
    onset = turn.speech_start + INPUT_FORMAT.ms_to_samples(endpoint.preroll_ms - endpoint.start_ms)
    if onset < last_reply.audio_start_pos:
        return None
    # Room echo and the client's jitter buffer trail the reply by a little.
    if turn.speech_start > playing_until + INPUT_FORMAT.ms_to_samples(endpoint.echo_tail_ms):
        return None
    # An echo can only hold words played before the utterance ended (the tail: the client's
    # buffer and the room), and, in a continuation, only its own words: the part it continues
    # was said before this reply began, and a small model often starts by repeating it.
    played_ms = INPUT_FORMAT.samples_to_ms(turn.voiced_end - last_reply.audio_start_pos) + endpoint.echo_tail_ms
    said = words_beyond(turn.continues.transcript, text) if turn.continues is not None else text
    heard = last_reply.reply.heard_text(played_ms)
    if echo_overlap(said, heard) >= endpoint.echo_overlap and len(said.split()) >= 2:
        return "echo of the assistant's own words"
    if is_backchannel(text) and last_reply.live:
        return "backchannel while the assistant talks"
    return None
