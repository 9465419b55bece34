"""Property-based fuzzing of the wire decoders: whatever a client (or server) sends, a decoder
either returns a typed message or raises ``ProtocolError`` with a known code, never anything else.

Runs are derandomized (the same examples every run, so CI is stable); set ``FUZZ_RANDOM=1`` to
explore new ones.
"""

from __future__ import annotations

import json
import os
import string
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from app import protocol as p

FUZZ = settings(
    max_examples=300,
    deadline=None,
    database=None,  # nothing written into the work tree
    derandomize=os.environ.get("FUZZ_RANDOM") is None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

ERROR_CODES = frozenset(v for k, v in vars(p.ErrorCode).items() if not k.startswith("_") and isinstance(v, str))
CLOSE_CODES = frozenset(v for k, v in vars(p.CloseCode).items() if not k.startswith("_") and isinstance(v, int))
CLIENT_TYPES = sorted(p.CLIENT_MESSAGES)


# ------------------------------------------------------------------ strategies

def huge_int_texts() -> st.SearchStrategy[str]:
    """Integers far outside any sane range, up to a few thousand digits, as JSON spells them.

    Spelled directly: ``str()`` of an int over 4,300 digits raises in Python 3.11+, so mapping
    ``10**n`` through ``str`` broke the strategy itself whenever it drew a long one."""
    return st.one_of(
        st.integers(min_value=-(2**70), max_value=2**70).map(str),
        st.integers(min_value=1, max_value=6000).map(lambda n: "9" * n),
        st.integers(min_value=1, max_value=6000).map(lambda n: "-1" + "0" * n),
    )


unicode_text = st.text(st.characters(codec=None), max_size=60)
"""Any code points, lone surrogates included."""

json_scalars = st.one_of(
    st.none(), st.booleans(), st.integers(min_value=-(2**70), max_value=2**70),  # huge ones: huge_number_messages
    st.floats(allow_nan=True, allow_infinity=True), unicode_text,
)
json_values = st.recursive(
    json_scalars,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(unicode_text, children, max_size=4),
    max_leaves=12,
)


def dumps(value: Any) -> str:
    """JSON the way a sloppy client might write it: NaN and Infinity allowed, any unicode."""
    return json.dumps(value, ensure_ascii=False, allow_nan=True)


@st.composite
def valid_client_messages(draw: st.DrawFn) -> p.Message:
    kind = draw(st.sampled_from(CLIENT_TYPES))
    if kind == "hello":
        session_id = draw(st.none() | st.text(string.ascii_letters + string.digits + "_-", min_size=16, max_size=128))
        return p.Hello(protocol=draw(st.integers(-5, 5)), sample_rate=draw(st.sampled_from([8000, 16000, 48000])),
                       pipeline=draw(st.sampled_from(["fast", "naive"])), client=draw(unicode_text),
                       session_id=session_id)
    if kind == "interrupt":
        return p.Interrupt(turn_id=draw(st.integers(0, 2**40)),
                           played_ms=draw(st.floats(0, 1e6, allow_nan=False) | st.integers(0, 10**6)))
    return p.CLIENT_MESSAGES[kind]()


@st.composite
def wrong_field_messages(draw: st.DrawFn) -> dict[str, Any]:
    """A known message type whose fields are missing, of the wrong type, huge or junk."""
    kind = draw(st.sampled_from(CLIENT_TYPES))
    names = [name for (t, name) in p._FIELD_TYPES if t == kind]
    data: dict[str, Any] = {"type": kind}
    for name in names:
        if draw(st.booleans()):
            data[name] = draw(json_values)
    data.update(draw(st.dictionaries(unicode_text, json_values, max_size=3)))
    data["type"] = kind
    return data


@st.composite
def mutated(draw: st.DrawFn) -> str:
    """A valid message's JSON with characters inserted, deleted or replaced."""
    text = draw(valid_client_messages()).encode()
    for _ in range(draw(st.integers(1, 6))):
        op = draw(st.sampled_from(["insert", "delete", "replace"]))
        i = draw(st.integers(0, len(text)))
        c = draw(st.characters(codec=None))
        if op == "insert":
            text = text[:i] + c + text[i:]
        elif op == "delete":
            text = text[:i] + text[i + 1:]
        else:
            text = text[:i] + c + text[i + 1:]
    return text


@st.composite
def huge_number_messages(draw: st.DrawFn) -> str:
    """A valid message with one numeric field spelled as a huge or special number."""
    kind, name = draw(st.sampled_from([("hello", "protocol"), ("hello", "sample_rate"),
                                       ("interrupt", "turn_id"), ("interrupt", "played_ms")]))
    number = draw(st.one_of(
        huge_int_texts(),
        st.sampled_from(["1e999", "-1e999", "NaN", "Infinity", "-Infinity", "1e-999", "0.0", "-0"]),
        st.integers(1, 6000).map(lambda n: "1" + "0" * n + ".5"),
    ))
    base = {"hello": {"type": "hello", "protocol": 1, "sample_rate": 16000},
            "interrupt": {"type": "interrupt", "turn_id": 1, "played_ms": 10}}[kind]
    return dumps(base).replace(json.dumps(base[name]), number, 1) if name in base else dumps(base)


def nested(depth: int, kind: str) -> str:
    if kind == "array":
        return "[" * depth + "]" * depth
    if kind == "object":
        return '{"a":' * depth + "1" + "}" * depth
    return '{"type":"hello","protocol":1,"sample_rate":16000,"client":' + "[" * depth + "]" * depth + "}"


deep_nesting = st.builds(nested, st.integers(1, 4000), st.sampled_from(["array", "object", "field"]))

client_text = st.one_of(
    valid_client_messages().map(lambda m: m.encode()),
    wrong_field_messages().map(dumps),
    mutated(),
    huge_number_messages(),
    deep_nesting,
    json_values.map(dumps),
    unicode_text,
    st.text(max_size=p.MAX_TEXT_MESSAGE_BYTES + 50, min_size=p.MAX_TEXT_MESSAGE_BYTES - 50),
)
client_frames = st.one_of(
    client_text.map(lambda s: s.encode("utf-8", "surrogatepass")),  # what the text would be as bytes
    st.binary(max_size=300),  # invalid UTF-8, BOMs, NULs
)


# ------------------------------------------------------------------ checks


def check_protocol_error(exc: p.ProtocolError) -> None:
    assert exc.code in ERROR_CODES, f"unknown error code {exc.code!r}"
    assert exc.close_code is None or exc.close_code in CLOSE_CODES
    assert isinstance(exc.message, str) and exc.message
    # The error goes back to the client as an ``error`` message: it must encode as UTF-8 JSON.
    p.Error(code=exc.code, message=exc.message, fatal=exc.close_code is not None).encode().encode("utf-8")


def decode_or_protocol_error(text: str | bytes) -> p.Message | None:
    try:
        message = p.decode_client_message(text)
    except p.ProtocolError as exc:
        check_protocol_error(exc)
        return None
    assert type(message) in p.CLIENT_MESSAGES.values()
    return message


# ------------------------------------------------------------------ client text messages


@FUZZ
@given(message=valid_client_messages())
def test_valid_client_messages_round_trip(message: p.Message) -> None:
    assert p.decode_client_message(message.encode()) == message
    assert p.decode_client_message(message.encode().encode()) == message


@FUZZ
@given(text=client_text)
@example(text='{"type":"interrupt","turn_id":' + "9" * 5000 + ',"played_ms":0}')  # over int() digit limit
@example(text="[" * 3000 + "]" * 3000)  # nesting past the recursion limit
@example(text='{"type":"interrupt","turn_id":1,"played_ms":NaN}')
def test_any_client_text_decodes_or_raises_protocol_error(text: str) -> None:
    message = decode_or_protocol_error(text)
    if message is not None:
        # Whatever is accepted is a well-formed message that can be encoded again.
        assert isinstance(message.encode(), str)


@FUZZ
@given(frame=client_frames)
@example(frame=b"\xff\xfe\xfd")
@example(frame=b"\xef\xbb\xbf{}")
@example(frame='{"type":"hello","protocol":1,"sample_rate":16000,"client":"\udc80"}'.encode("utf-8", "surrogatepass"))
def test_any_client_bytes_decode_or_raise_protocol_error(frame: bytes) -> None:
    decode_or_protocol_error(frame)


@FUZZ
@given(data=wrong_field_messages())
@example(data={"type": "interrupt", "turn_id": 1, "played_ms": float("nan")})
@example(data={"type": "interrupt", "turn_id": 1, "played_ms": float("inf")})
def test_accepted_fields_have_the_declared_types(data: dict[str, Any]) -> None:
    message = decode_or_protocol_error(dumps(data))
    if message is None:
        return
    for (kind, name), (kinds, _required) in p._FIELD_TYPES.items():
        if kind != message.type:
            continue
        value = getattr(message, name)
        assert isinstance(value, kinds), (name, value)
        assert not isinstance(value, bool) or bool in (kinds if isinstance(kinds, tuple) else (kinds,))
    if isinstance(message, p.Interrupt):
        # A barge-in position must be a real, non-negative number of milliseconds.
        assert message.turn_id >= 0 and message.played_ms >= 0
        assert np.isfinite(message.played_ms), "NaN/Infinity played_ms accepted"


@FUZZ
@given(text=st.builds(lambda c, n: c * n, st.sampled_from(["\u00e9", "\u20ac", "\U0001f600", "\u4e2d"]),
                      st.integers(p.MAX_TEXT_MESSAGE_BYTES // 4 + 1, p.MAX_TEXT_MESSAGE_BYTES - 100)))
def test_text_limit_is_counted_in_utf8_bytes(text: str) -> None:
    """MAX_TEXT_MESSAGE_BYTES is documented in bytes of UTF-8; a str of multi-byte characters over it is refused."""
    message = json.dumps({"type": "hello", "protocol": 1, "sample_rate": 16000, "client": text}, ensure_ascii=False)
    if len(message.encode()) <= p.MAX_TEXT_MESSAGE_BYTES:
        return
    with pytest.raises(p.ProtocolError) as info:
        p.decode_client_message(message)
    assert info.value.code == p.ErrorCode.TEXT_TOO_LARGE


# ------------------------------------------------------------------ binary frames


@FUZZ
@given(frame=st.one_of(
    st.binary(max_size=64),
    st.integers(0, p.MAX_AUDIO_FRAME_BYTES + 4000).map(lambda n: bytes(n)),
    st.integers(p.MAX_AUDIO_FRAME_BYTES - 3, p.MAX_AUDIO_FRAME_BYTES + 3).map(lambda n: b"\x7f" * n),
))
@example(frame=b"")
def test_client_audio_decodes_or_raises_protocol_error(frame: bytes) -> None:
    try:
        samples = p.decode_client_audio(frame)
    except p.ProtocolError as exc:
        check_protocol_error(exc)
        if len(frame) > p.MAX_AUDIO_FRAME_BYTES:
            assert exc.code == p.ErrorCode.FRAME_TOO_LARGE and exc.close_code == p.CloseCode.MESSAGE_TOO_BIG
        else:
            assert len(frame) % 2 == 1 and exc.code == p.ErrorCode.MISALIGNED_AUDIO and exc.close_code is None
        return
    assert len(frame) <= p.MAX_AUDIO_FRAME_BYTES and len(frame) % 2 == 0
    assert samples.dtype == np.dtype("<i2") and samples.shape == (len(frame) // 2,)
    assert samples.tobytes() == frame


@FUZZ
@given(frame=st.one_of(
    st.binary(max_size=40),
    st.binary(max_size=40).map(lambda b: p.REPLY_AUDIO_MAGIC + b),
    st.binary(min_size=p.REPLY_AUDIO_HEADER_BYTES, max_size=p.REPLY_AUDIO_HEADER_BYTES + 9),
))
def test_reply_audio_decodes_or_raises_protocol_error(frame: bytes) -> None:
    try:
        audio = p.ReplyAudio.decode(frame)
    except p.ProtocolError as exc:
        check_protocol_error(exc)
        return
    assert frame.startswith(p.REPLY_AUDIO_MAGIC)
    assert len(audio.pcm) % 2 == 0 and audio.encode() == frame


@FUZZ
@given(turn_id=st.integers(0, 2**32 - 1), seq=st.integers(0, 2**32 - 1),
       pcm=st.binary(max_size=400).map(lambda b: b[: len(b) - len(b) % 2]))
def test_reply_audio_round_trips(turn_id: int, seq: int, pcm: bytes) -> None:
    frame = p.ReplyAudio(turn_id, seq, pcm)
    encoded = frame.encode()
    assert p.ReplyAudio.decode(encoded) == frame
    with pytest.raises(p.ProtocolError):
        p.ReplyAudio.decode(encoded[: p.REPLY_AUDIO_HEADER_BYTES - 1])  # truncated header
    with pytest.raises(p.ProtocolError):
        p.ReplyAudio.decode(encoded + b"\x00")  # half a sample


@FUZZ
@given(text=st.one_of(json_values.map(dumps), unicode_text, deep_nesting))
def test_server_decoder_never_raises_anything_else(text: str) -> None:
    """Clients use ``decode_server_message``: a broken server must not crash them either."""
    try:
        p.decode_server_message(text)
    except p.ProtocolError as exc:
        check_protocol_error(exc)
