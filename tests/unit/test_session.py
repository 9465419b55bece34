"""The sans-I/O session, driven with plain values: bytes in, effects out, no sockets, no models."""

from __future__ import annotations

import json

import numpy as np
import pytest

from app import protocol as p
from app.audio import FRAME_SAMPLES, AudioFormat
from app.chat import ChatMessage
from app.config import EndpointSettings, ReplySettings
from app.conversation import (
    CancelTurn,
    CloseConnection,
    LoadSession,
    ReplySpeech,
    ReplyText,
    Send,
    SendAudio,
    Session,
    StartTurn,
    Transcribed,
    TurnFailed,
    TurnFinished,
    TurnPredicted,
)
from app.turn_policy import adds_nothing, end_silence_ms

OUT = AudioFormat(22_050)
LOUD = np.full(FRAME_SAMPLES, 3000, dtype=np.int16)
QUIET = np.zeros(FRAME_SAMPLES, dtype=np.int16)


class LevelVad:
    """Speech is any frame with non-zero samples: a scripted detector for tests."""

    def is_speech(self, frame: np.ndarray) -> bool:
        return bool(np.any(frame))


def new_session(**endpoint: int) -> Session:
    return Session(vad=LevelVad(), output_format=OUT, endpoint=EndpointSettings(**endpoint), reply=ReplySettings())


def hello(session: Session, pipeline: str = "fast") -> None:
    effects = session.receive_text(p.Hello(pipeline=pipeline).encode(), 0.0)
    assert isinstance(effects[0], Send) and isinstance(effects[0].message, p.Ready)


_CLOCKS: dict[int, float] = {}


def speak(session: Session, script: str, now: float | None = None) -> list:
    """'x' = a voiced 20 ms frame, '.' = a silent one, one binary message each, at real-time pace
    (the session's clock advances 20 ms per frame unless ``now`` pins it)."""
    effects = []
    for ch in script:
        clock = _CLOCKS.get(id(session), 0.0) + 0.02
        _CLOCKS[id(session)] = clock
        effects += session.receive_audio((LOUD if ch == "x" else QUIET).tobytes(), clock if now is None else now)
    return effects


def messages(effects: list) -> list[p.Message]:
    return [e.message for e in effects if isinstance(e, Send)]


def of(effects: list, kind: type) -> list:
    return [e for e in effects if isinstance(e, kind)]


# ---------------------------------------------------------------- handshake and bad input


def test_ready_announces_formats() -> None:
    session = new_session()
    ready = messages(session.receive_text(p.Hello().encode(), 0.0))[0]
    assert isinstance(ready, p.Ready)
    assert ready.input["sample_rate"] == 16_000 and ready.output["sample_rate"] == 22_050
    assert ready.session_id == session.id


def test_audio_before_hello_is_fatal() -> None:
    effects = new_session().receive_audio(LOUD.tobytes(), 0.0)
    error = messages(effects)[0]
    assert isinstance(error, p.Error) and error.code == p.ErrorCode.AUDIO_BEFORE_HELLO and error.fatal
    assert of(effects, CloseConnection)[0].code == p.CloseCode.POLICY_VIOLATION


def test_unsupported_sample_rate_closes_with_1003() -> None:
    effects = new_session().receive_text(json.dumps({"type": "hello", "protocol": 1, "sample_rate": 44100}), 0.0)
    assert messages(effects)[0].code == p.ErrorCode.UNSUPPORTED_SAMPLE_RATE
    assert of(effects, CloseConnection)[0].code == p.CloseCode.UNSUPPORTED_DATA


def test_unsupported_protocol_closes() -> None:
    effects = new_session().receive_text(json.dumps({"type": "hello", "protocol": 9, "sample_rate": 16000}), 0.0)
    assert messages(effects)[0].code == p.ErrorCode.UNSUPPORTED_PROTOCOL
    assert of(effects, CloseConnection)


@pytest.mark.parametrize(
    ("raw", "code"),
    [("{oops", p.ErrorCode.BAD_JSON), ('{"type": "dance"}', p.ErrorCode.UNKNOWN_TYPE),
     (p.Hello().encode(), p.ErrorCode.DUPLICATE_HELLO)],
)
def test_recoverable_text_errors_keep_the_session_open(raw: str, code: str) -> None:
    session = new_session()
    hello(session)
    effects = session.receive_text(raw, 0.0)
    assert [m.code for m in messages(effects)] == [code]
    assert not of(effects, CloseConnection)
    # The session still works: speech is still detected.
    assert isinstance(messages(speak(session, "xxx"))[0], p.SpeechStarted)


def test_odd_length_audio_is_reported_and_dropped() -> None:
    session = new_session()
    hello(session)
    effects = session.receive_audio(b"\x01\x02\x03", 0.0)
    assert messages(effects)[0].code == p.ErrorCode.MISALIGNED_AUDIO
    assert not of(effects, CloseConnection)


def test_oversized_audio_is_fatal() -> None:
    session = new_session()
    hello(session)
    effects = session.receive_audio(bytes(p.MAX_AUDIO_FRAME_BYTES + 2), 0.0)
    assert messages(effects)[0].code == p.ErrorCode.FRAME_TOO_LARGE
    assert of(effects, CloseConnection)[0].code == p.CloseCode.MESSAGE_TOO_BIG
    assert session.receive_audio(LOUD.tobytes(), 0.0) == []  # closed sessions ignore input


def test_frames_of_any_even_size_are_regrouped_into_20ms() -> None:
    session = new_session()
    hello(session)
    audio = np.tile(LOUD, 4)
    effects = session.receive_audio(audio[:500].tobytes(), 0.0) + session.receive_audio(audio[500:].tobytes(), 0.0)
    assert isinstance(messages(effects)[0], p.SpeechStarted)


# ---------------------------------------------------------------- the speculative turn


def speculate(session: Session) -> StartTurn:
    effects = speak(session, "x" * 20 + "." * 8)
    starts = of(effects, StartTurn)
    assert len(starts) == 1 and not starts[0].naive
    return starts[0]


def test_speculative_outputs_are_held_until_commit_then_released_in_order() -> None:
    session = new_session(complete_ms=240)
    hello(session)
    start = speculate(session)
    tid = start.turn_id
    pcm = np.full(4410, 7, dtype=np.int16)
    held = (session.turn_event(Transcribed(tid, "What time is it?"), 1.0)
            + session.turn_event(TurnPredicted(tid, 0.9), 1.0)
            + session.turn_event(ReplyText(tid, "It is noon."), 1.1)
            + session.turn_event(ReplySpeech(tid, "It is noon.", pcm), 1.2))
    assert held == []  # nothing reaches the client before the endpoint is confirmed
    released = speak(session, "....", now=2.0)  # 8 + 4 frames = 240 ms of silence
    kinds = [type(m).__name__ for m in messages(released)]
    assert kinds == ["SpeechStopped", "Transcript", "ReplyDelta"]
    audio = of(released, SendAudio)
    assert [f.frame.seq for f in audio] == [0, 1]  # 200 ms of audio in 100 ms frames
    assert b"".join(f.frame.pcm for f in audio) == pcm.tobytes()
    done = messages(session.turn_event(TurnFinished(tid, {"stt_ms": 12.0}), 2.5))
    assert isinstance(done[0], p.ReplyDone) and done[0].text == "It is noon."
    timing = done[1]
    assert isinstance(timing, p.TurnTiming)
    assert timing.stages["endpoint_wait_ms"] == 240.0
    assert timing.stages["server_first_audio_ms"] == 0.0  # audio was ready before the commit
    assert [(m.role, m.content) for m in session.history] == [
        ("user", "What time is it?"), ("assistant", "It is noon.")]


def test_unfinished_transcript_waits_longer() -> None:
    session = new_session(complete_ms=240, incomplete_ms=900)
    hello(session)
    start = speculate(session)
    assert session.turn_event(Transcribed(start.turn_id, "I was wondering,"), 0.0) == []
    assert not of(speak(session, "." * 20), p.SpeechStopped)  # 560 ms: still waiting
    ended = messages(speak(session, "." * 25))
    assert any(isinstance(m, p.SpeechStopped) for m in ended)


@pytest.mark.parametrize(
    ("transcript", "p_complete", "expected"),
    [
        (None, None, 1000),  # nothing known yet: be patient
        ("What time is it?", None, 800),  # words done, voice not heard from yet
        ("What time is it?", 0.9, 240),  # both agree: answer fast
        ("ask not what your country can do for you.", 0.04, 800),  # jfk's pause: voice says more is coming
        ("I was wondering,", 0.9, 800),
        ("I was wondering,", 0.1, 1000),
        ("you", None, 240),  # Whisper noise: end the non-turn quickly
    ],
)
def test_end_silence_combines_words_and_voice(transcript: str | None, p_complete: float | None, expected: int) -> None:
    endpoint = EndpointSettings(complete_ms=240, uncertain_ms=800, incomplete_ms=1000)
    assert end_silence_ms(endpoint, transcript, p_complete) == expected


@pytest.mark.parametrize(
    ("p_complete", "p_words", "pending", "expected"),
    [
        (0.9, None, True, 800),  # the words' verdict is on its way: do not end yet
        (0.9, 1e-3, False, 240),  # both finished
        (0.0, 0.5, False, 320),  # words surely finished: the voice model misjudges this voice
        (0.0, 0.05, False, 800),  # words could end, the voice goes on (jfk.flac's "...can do for you.")
        (0.9, 1e-8, False, 900),  # "Could you tell me." read (or synthesized) as if final
        (0.0, 1e-8, False, 1000),  # both say more is coming
    ],
)
def test_the_words_verdict_leads(p_complete: float, p_words: float | None, pending: bool, expected: int) -> None:
    endpoint = EndpointSettings(complete_ms=240, uncertain_ms=800, incomplete_ms=1000, words_done_ms=320,
                                words_open_ms=900, words_threshold=1e-5, words_sure=0.15)
    assert end_silence_ms(endpoint, "Could you tell me.", p_complete, p_words, words_pending=pending) == expected


def test_turn_model_verdict_can_end_the_pause_at_once() -> None:
    session = new_session(complete_ms=240, uncertain_ms=800)
    hello(session)
    start = speculate(session)
    speak(session, "....")  # 240 ms of silence
    assert not of(session.turn_event(Transcribed(start.turn_id, "Is it noon?"), 0.0), CancelTurn)
    effects = session.turn_event(TurnPredicted(start.turn_id, 0.95), 0.0)
    assert any(isinstance(m, p.SpeechStopped) for m in messages(effects))


def test_resuming_speech_cancels_the_speculation_and_drops_its_output() -> None:
    session = new_session()
    hello(session)
    start = speculate(session)
    effects = speak(session, "xxxx")
    assert of(effects, CancelTurn) == [CancelTurn(start.turn_id)]
    assert session.turn_event(ReplyText(start.turn_id, "stale"), 0.0) == []
    second = of(speak(session, "x" * 5 + "." * 8), StartTurn)[0]
    assert second.turn_id != start.turn_id
    assert second.audio.shape[0] > start.audio.shape[0]  # the whole utterance, both parts


def test_noise_transcript_ends_without_a_reply() -> None:
    session = new_session(complete_ms=240)
    hello(session)
    start = speculate(session)
    effects = session.turn_event(Transcribed(start.turn_id, "you"), 0.0) + speak(session, "....")
    msgs = messages(effects)
    assert any(isinstance(m, p.Transcript) and m.text == "" for m in msgs)
    assert not any(isinstance(m, p.ReplyDelta | p.ReplyDone) for m in msgs)
    assert session.history == []


def test_naive_pipeline_starts_only_after_fixed_silence() -> None:
    session = new_session(naive_silence_ms=700)
    hello(session, pipeline="naive")
    effects = speak(session, "x" * 20 + "." * 34)
    assert not of(effects, StartTurn)
    effects = speak(session, ".")
    starts = of(effects, StartTurn)
    assert len(starts) == 1 and starts[0].naive
    stopped = next(m for m in messages(effects) if isinstance(m, p.SpeechStopped))
    assert stopped.at_ms == 20 * 20  # where the last voiced frame ended in the stream


def test_commit_message_ends_the_turn_at_once() -> None:
    session = new_session()
    hello(session)
    speak(session, "x" * 20)
    effects = session.receive_text(p.Commit().encode(), 0.0)
    assert of(effects, StartTurn) and any(isinstance(m, p.SpeechStopped) for m in messages(effects))


def test_stage_failure_reports_an_error_and_the_session_goes_on() -> None:
    session = new_session(complete_ms=240)
    hello(session)
    start = speculate(session)
    session.turn_event(Transcribed(start.turn_id, "Hello there."), 0.0)
    session.turn_event(TurnPredicted(start.turn_id, 0.9), 0.0)
    speak(session, "....")
    effects = session.turn_event(TurnFailed(start.turn_id, p.ErrorCode.STAGE_FAILED, "tts broke"), 0.0)
    error = messages(effects)[0]
    assert isinstance(error, p.Error) and error.turn_id == start.turn_id and not error.fatal
    assert of(speak(session, "x" * 20 + "." * 8), StartTurn)  # next turn starts normally


# ---------------------------------------------------------------- barge-in


def committed_turn_with_reply(session: Session) -> int:
    start = speculate(session)
    tid = start.turn_id
    session.turn_event(Transcribed(tid, "Tell me a story."), 0.0)
    session.turn_event(TurnPredicted(tid, 0.9), 0.0)
    speak(session, "....")
    session.turn_event(ReplyText(tid, "Once upon a time, there was a fox."), 0.0)
    session.turn_event(ReplySpeech(tid, "Once upon a time,", np.ones(22_050, dtype=np.int16)), 0.0)
    session.turn_event(ReplySpeech(tid, "there was a fox.", np.ones(22_050, dtype=np.int16)), 0.0)
    return tid


def test_interrupt_truncates_history_to_heard_words() -> None:
    session = new_session(complete_ms=240)
    hello(session)
    tid = committed_turn_with_reply(session)
    effects = session.receive_text(p.Interrupt(turn_id=tid, played_ms=1500).encode(), 0.0)
    assert CancelTurn(tid) in effects
    ack = next(m for m in messages(effects) if isinstance(m, p.Interrupted))
    assert ack.heard_text == "Once upon a time, there was"
    assert session.history[-1].content == "Once upon a time, there was"


def test_interrupt_after_reply_finished_rewrites_the_stored_reply() -> None:
    session = new_session(complete_ms=240)
    hello(session)
    tid = committed_turn_with_reply(session)
    session.turn_event(TurnFinished(tid, {}), 0.0)
    assert session.history[-1].content == "Once upon a time, there was a fox."
    effects = session.receive_text(p.Interrupt(turn_id=tid, played_ms=500).encode(), 0.0)
    assert not of(effects, CancelTurn)  # nothing left running
    assert session.history[-1].content == "Once upon"


def test_interrupt_of_unknown_turn_is_a_clear_error() -> None:
    session = new_session()
    hello(session)
    effects = session.receive_text(p.Interrupt(turn_id=99, played_ms=10).encode(), 0.0)
    assert messages(effects)[0].code == p.ErrorCode.BAD_MESSAGE


def test_reset_forgets_history() -> None:
    session = new_session(complete_ms=240)
    hello(session)
    tid = committed_turn_with_reply(session)
    session.turn_event(TurnFinished(tid, {}), 0.0)
    assert session.history
    session.receive_text(p.Reset().encode(), 0.0)
    assert session.history == []


def test_close_cancels_running_turns() -> None:
    session = new_session()
    hello(session)
    start = speculate(session)
    assert session.close() == [CancelTurn(start.turn_id)]


# ---------------------------------------------------------------- echo and backchannels


def playing_reply(session: Session) -> int:
    """A committed turn whose 2 s reply started playing at the commit."""
    tid = committed_turn_with_reply(session)
    session.turn_event(TurnFinished(tid, {}), 0.0)
    return tid


def second_utterance(session: Session, text: str, p_complete: float = 0.9) -> list:
    speak(session, "." * 60)  # 1.2 s into the 2 s reply: too late to continue the user's turn
    start = speculate(session)  # speech starts while the reply still plays
    effects = session.turn_event(Transcribed(start.turn_id, text), 0.0)
    effects += session.turn_event(TurnPredicted(start.turn_id, p_complete), 0.0)
    return effects + speak(session, "....")


def test_transcript_of_the_assistants_own_words_is_dropped() -> None:
    session = new_session(complete_ms=240)
    hello(session)
    playing_reply(session)
    history = list(session.history)
    effects = second_utterance(session, "there was a fox.")
    assert [m.text for m in messages(effects) if isinstance(m, p.Transcript)] == [""]
    assert not any(isinstance(m, p.ReplyDone) for m in messages(effects))
    assert session.history == history


def test_speech_begun_before_the_reply_played_is_never_its_echo() -> None:
    # A small model may answer a quote with the quote: the user's next words then match the
    # reply, but they were spoken before any of it was heard.
    session = new_session(complete_ms=240)
    hello(session)
    start = speculate(session)
    tid = start.turn_id
    session.turn_event(Transcribed(tid, "Say: there was a fox."), 0.0)
    session.turn_event(TurnPredicted(tid, 0.9), 0.0)
    speak(session, "...." + "." * 60)  # committed; the reply is slow to come
    speak(session, "x" * 20)  # the user speaks again...
    session.turn_event(ReplyText(tid, "There was a fox."), 0.0)
    session.turn_event(ReplySpeech(tid, "There was a fox.", np.ones(22_050, dtype=np.int16)), 0.0)  # ...then it plays
    effects = speak(session, "." * 8)
    second = of(effects, StartTurn)[0]
    effects = session.turn_event(Transcribed(second.turn_id, "There was a fox."), 0.0)
    effects += session.turn_event(TurnPredicted(second.turn_id, 0.9), 0.0) + speak(session, "....")
    assert [m.text for m in messages(effects) if isinstance(m, p.Transcript)] == ["There was a fox."]
    assert session.history[-1] == ChatMessage("user", "There was a fox.")


def test_backchannel_while_the_reply_plays_does_not_cancel_it() -> None:
    session = new_session(complete_ms=240)
    hello(session)
    tid = committed_turn_with_reply(session)  # still generating
    effects = second_utterance(session, "Mhmm.")
    assert CancelTurn(tid) not in effects
    assert not any(isinstance(m, p.ReplyDone) and m.interrupted for m in messages(effects))


def test_a_real_new_question_supersedes_the_playing_reply() -> None:
    session = new_session(complete_ms=240)
    hello(session)
    tid = committed_turn_with_reply(session)  # still generating
    effects = second_utterance(session, "What is the weather in Paris?")
    assert CancelTurn(tid) in effects
    assert session.history[-1] == ChatMessage("user", "What is the weather in Paris?")


def test_yes_is_a_turn_when_nothing_is_playing() -> None:
    session = new_session(complete_ms=240)
    hello(session)
    start = speculate(session)
    session.turn_event(Transcribed(start.turn_id, "Yes."), 0.0)
    session.turn_event(TurnPredicted(start.turn_id, 0.9), 0.0)
    speak(session, "....")
    assert session.history == [ChatMessage("user", "Yes.")]


# ---------------------------------------------------------------- a pause that ended a turn too early


def first_part(session: Session) -> int:
    start = speculate(session)
    session.turn_event(Transcribed(start.turn_id, "Remind me to call my sister."), 0.0)
    session.turn_event(TurnPredicted(start.turn_id, 0.9), 0.0)
    speak(session, "....")  # committed at 240 ms of silence
    session.turn_event(ReplyText(start.turn_id, "Sure, I will."), 0.0)
    return start.turn_id


def test_speech_right_after_a_turn_continues_it_as_one_utterance() -> None:
    session = new_session(complete_ms=240, continuation_ms=1000)
    hello(session)
    first = first_part(session)
    assert session.history == [ChatMessage("user", "Remind me to call my sister.")]
    effects = speak(session, "." * 10 + "x" * 20 + "." * 8)  # resumes 0.4 s after the commit
    assert CancelTurn(first) not in effects  # speech or noise? Not known until it has words
    start = of(effects, StartTurn)[0]
    assert start.history == ()  # answered as if the first part had not been a turn
    assert start.audio.shape[0] > 40 * FRAME_SAMPLES  # both parts of the utterance
    effects = session.turn_event(Transcribed(start.turn_id, "Remind me to call my sister after work."), 0.0)
    assert CancelTurn(first) in effects  # new words: stop answering the first part now
    effects += session.turn_event(TurnPredicted(start.turn_id, 0.9), 0.0) + speak(session, "....")
    transcript = next(m for m in messages(effects) if isinstance(m, p.Transcript))
    assert transcript.replaces_turn == first
    assert any(isinstance(m, p.ReplyDone) and m.turn_id == first and m.interrupted for m in messages(effects))
    assert session.history == [ChatMessage("user", "Remind me to call my sister after work.")]


def test_a_continuation_is_merged_though_the_reply_repeated_the_words_it_adds() -> None:
    # A small model often answers a quote with the quote: its reply, already playing, holds the
    # words the user goes on to say. Only words played before the user stopped can be an echo,
    # and the part the continuation repeats was said before the reply began.
    session = new_session(complete_ms=240, continuation_ms=1000)
    hello(session)
    start = speculate(session)
    session.turn_event(Transcribed(start.turn_id, "Ask not what your country can do for you."), 0.0)
    session.turn_event(TurnPredicted(start.turn_id, 0.9), 0.0)
    speak(session, "....")
    quote = "Ask not what your country can do for you, ask what you can do for your country."
    session.turn_event(ReplyText(start.turn_id, quote), 0.0)
    session.turn_event(ReplySpeech(start.turn_id, quote, np.ones(5 * 22_050, dtype=np.int16)), 0.0)
    effects = speak(session, "." * 10 + "x" * 20 + "." * 8)  # the rest of the sentence, as it plays
    rest = of(effects, StartTurn)[0]
    said = "Ask not what your country can do for you, ask what you can do for your country."
    effects = session.turn_event(Transcribed(rest.turn_id, said), 0.0)
    effects += session.turn_event(TurnPredicted(rest.turn_id, 0.9), 0.0) + speak(session, "....")
    transcript = next(m for m in messages(effects) if isinstance(m, p.Transcript))
    assert (transcript.text, transcript.replaces_turn) == (said, start.turn_id)
    assert session.history == [ChatMessage("user", said)]


def test_speech_long_after_a_turn_is_a_new_turn() -> None:
    session = new_session(complete_ms=240, continuation_ms=1000)
    hello(session)
    first = first_part(session)
    session.turn_event(TurnFinished(first, {}), 0.0)
    effects = speak(session, "." * 60 + "x" * 20 + "." * 8)  # 1.3 s later
    start = of(effects, StartTurn)[0]
    assert [m.role for m in start.history] == ["user", "assistant"]


# ---------------------------------------------------------------- hard limits


def test_audio_faster_than_real_time_is_cut_off() -> None:
    session = new_session()
    hello(session)
    effects = []
    for _ in range(10):  # 5 s of audio in one instant
        effects += session.receive_audio(bytes(p.MAX_AUDIO_FRAME_BYTES), 0.0)
        if of(effects, CloseConnection):
            break
    assert messages(effects)[-1].code == p.ErrorCode.RATE_LIMITED
    assert of(effects, CloseConnection)[0].code == p.CloseCode.POLICY_VIOLATION


def test_a_flood_of_tiny_frames_is_cut_off() -> None:
    session = new_session()
    hello(session)
    effects = []
    for i in range(400):  # 400 two-byte frames within 0.1 s
        effects += session.receive_audio(b"\x00\x00", i * 0.00025)
    assert p.ErrorCode.RATE_LIMITED in [m.code for m in messages(effects) if isinstance(m, p.Error)]


def test_real_time_audio_is_never_limited() -> None:
    session = new_session()
    hello(session)
    effects = speak(session, "." * 1000)  # 20 s at 50 frames/s
    assert not [m for m in messages(effects) if isinstance(m, p.Error)]


def test_overlong_utterance_is_cut_with_a_clear_error() -> None:
    session = new_session(max_utterance_ms=2000)
    hello(session)
    effects = speak(session, "x" * 150)
    errors = [m for m in messages(effects) if isinstance(m, p.Error)]
    assert [e.code for e in errors] == [p.ErrorCode.UTTERANCE_TOO_LONG] and not errors[0].fatal
    assert of(effects, StartTurn)  # what was said is still answered


def test_speech_after_a_turn_that_adds_no_words_leaves_its_reply_alone() -> None:
    session = new_session(complete_ms=240, continuation_ms=1000)
    hello(session)
    first = first_part(session)
    effects = speak(session, "." * 10 + "x" * 20 + "." * 8)  # noise the VAD took for speech
    assert CancelTurn(first) not in effects
    start = of(effects, StartTurn)[0]
    # Transcribed with the first part, the merged audio says nothing new.
    effects = session.turn_event(Transcribed(start.turn_id, "Remind me to call my sister."), 0.0)
    assert CancelTurn(start.turn_id) in effects and CancelTurn(first) not in effects
    effects += speak(session, "....")
    assert [m.text for m in messages(effects) if isinstance(m, p.Transcript)] == [""]
    assert not of(effects, StartTurn) and not any(isinstance(m, p.ReplyDone) for m in messages(effects))
    done = messages(session.turn_event(ReplyText(first, " Tomorrow?"), 0.0) + session.turn_event(
        TurnFinished(first, {}), 0.0))
    assert [m.text for m in done if isinstance(m, p.ReplyDone)] == ["Sure, I will. Tomorrow?"]
    assert session.history == [ChatMessage("user", "Remind me to call my sister."),
                               ChatMessage("assistant", "Sure, I will. Tomorrow?")]


def test_history_shrinks_rarely_and_in_one_step() -> None:
    from app.conversation.history import History, estimate_tokens

    history = History(budget_tokens=200)
    sizes = []
    for i in range(30):
        history.append(ChatMessage("user", f"Question number {i} about something?"))
        history.add_reply(ChatMessage("assistant", "An answer of a few words, a sentence long."))
        sizes.append(len(history))
    drops = [i for i in range(1, 30) if sizes[i] < sizes[i - 1]]
    assert 2 <= len(drops) <= 8  # a shrink every few turns, not every turn
    assert sum(estimate_tokens(m) for m in history.snapshot()) <= 200
    assert history.snapshot()[0].role == "user" and history.snapshot()[-1].role == "assistant"


# ---------------------------------------------------------------- history hygiene


def answered(session: Session, question: str, reply: str) -> int:
    tid = speculate(session).turn_id
    session.turn_event(Transcribed(tid, question), 0.0)
    session.turn_event(TurnPredicted(tid, 0.9), 0.0)
    speak(session, "....")
    session.turn_event(ReplyText(tid, reply), 0.0)
    session.turn_event(TurnFinished(tid, {}), 0.0)
    speak(session, "." * 60)  # past the continuation window: the next utterance is a new turn
    return tid


def test_a_refusal_or_a_repeated_reply_stays_out_of_the_history() -> None:
    session = new_session(complete_ms=240)
    hello(session)
    answered(session, "What is the capital of Italy?", "The capital of Italy is Rome.")
    answered(session, "How many legs does side arm", "I'm sorry, but I can't assist with that.")
    answered(session, "Who wrote pride in prejudice.", "I am Pride in prejudice.")
    answered(session, "Thanks.", "You're welcome!")
    assert [(m.role, m.content) for m in session.history] == [
        ("user", "What is the capital of Italy?"), ("assistant", "The capital of Italy is Rome."),
        ("user", "How many legs does side arm"), ("user", "Who wrote pride in prejudice."),
        ("user", "Thanks."), ("assistant", "You're welcome!")]


@pytest.mark.parametrize(("question", "reply", "kept_out"), [
    ("Who wrote it?", "I'm sorry, but I can't assist with that.", True),
    ("Who wrote it?", "Sorry, I can't help with that.", True),
    ("Who wrote it?", "I\u2019m sorry, but I cannot assist with that request.", True),
    ("Who wrote it?", "I'm sorry, but I can't assist with that. Could you say it again?", False),
    ("Who wrote it?", "Sorry to hear that. I can help with that!", False),
    ("Capital of France?", "Paris.", False),
    ("Capital of Italy?", "Rome!", False),  # said before: kept (the same question may come again)
    ("who wrote pride in prejudice.", "I am Pride in prejudice.", True),  # the question's words again
    ("My favorite color is green.", "My favorite color is green.", True),
    ("What's the capital of Italy?", "The capital of Italy is Rome.", False),
    ("My name is Alice.", "Nice to meet you, Alice!", False),
    ("And what is half of that?", "Half of 144 is 72.", False),
    ("Ask not what your country can do for you, ask what you can do for your country.",
     "Ask not what your country can do for you; ask what you can do for your country!", False),  # a quote
])
def test_what_adds_nothing(question: str, reply: str, kept_out: bool) -> None:
    assert adds_nothing(reply, question) is kept_out


# ---------------------------------------------------------------- resuming


def test_what_comes_between_hello_and_ready_waits_for_ready_instead_of_closing() -> None:
    session = new_session()
    sid = "abcdefghijklmnopqrstuv"
    effects = session.receive_text(p.Hello(session_id=sid).encode(), 0.0)
    assert of(effects, LoadSession) and not messages(effects)
    assert messages(session.receive_text(p.GetHistory().encode(), 0.0)) == []  # held, not refused
    assert speak(session, "x" * 3) == []  # audio too: held
    effects = session.resumed([ChatMessage("user", "Hi."), ChatMessage("assistant", "Hello!")])
    sent = messages(effects)
    assert isinstance(sent[0], p.Ready) and sent[0].resumed
    assert isinstance(sent[1], p.History) and [m["content"] for m in sent[1].messages] == ["Hi.", "Hello!"]
    assert not of(effects, CloseConnection)


def test_a_flood_before_ready_is_refused() -> None:
    session = new_session()
    session.receive_text(p.Hello(session_id="abcdefghijklmnopqrstuv").encode(), 0.0)
    effects: list = []
    for i in range(80):  # at 20 a second, within the rate limit: the store is just slow
        effects += session.receive_text(p.GetHistory().encode(), i * 0.05)
    errors = [m for m in messages(effects) if isinstance(m, p.Error)]
    assert [e.code for e in errors] == [p.ErrorCode.RATE_LIMITED] and "before 'ready'" in errors[0].message
    assert of(effects, CloseConnection)


def test_a_flood_of_text_messages_is_refused_and_closed() -> None:
    session = new_session()
    hello(session)
    effects: list = []
    for i in range(30):  # a busy client: 20 a second is fine
        effects += session.receive_text(p.GetHistory().encode(), i * 0.05)
    assert not any(isinstance(m, p.Error) for m in messages(effects))
    for _ in range(100):  # 35,000 resets a second were once all queued as store writes
        effects += session.receive_text(p.Reset().encode(), 2.0)
    errors = [m for m in messages(effects) if isinstance(m, p.Error)]
    assert [e.code for e in errors] == [p.ErrorCode.RATE_LIMITED] and errors[0].fatal
    assert of(effects, CloseConnection)


def test_a_token_bound_to_a_malformed_session_id_is_refused_at_hello() -> None:
    # Once: 'ready' reported "alice@example.com" while the history went under a hidden random id.
    session = Session(vad=LevelVad(), output_format=OUT, endpoint=EndpointSettings(), reply=ReplySettings(),
                      bound_session_id="alice@example.com")
    effects = session.receive_text(p.Hello().encode(), 0.0)
    (error,) = [m for m in messages(effects) if isinstance(m, p.Error)]
    assert error.code == p.ErrorCode.INVALID_SESSION_ID and error.fatal
    assert not any(isinstance(m, p.Ready) for m in messages(effects)) and of(effects, CloseConnection)


def test_a_resumed_history_alternates_again_after_a_crash_mid_reply() -> None:
    session = new_session()
    session.receive_text(p.Hello(session_id="abcdefghijklmnopqrstuv").encode(), 0.0)
    stored = [ChatMessage("user", "What is the weather?"),  # the node died before the reply was saved
              ChatMessage("user", "Hello?"), ChatMessage("assistant", "Hi!")]
    session.resumed(stored)
    assert session.history == [ChatMessage("user", "What is the weather?\nHello?"), ChatMessage("assistant", "Hi!")]
