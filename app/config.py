"""Frozen settings, built once from the CLI and the environment and passed down."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class EndpointSettings:
    """Turn-taking: when a user's turn starts and ends. All durations in 20 ms frames' worth of ms."""

    start_ms: int = 60
    """Voiced audio needed, consecutively, before speech counts as started (filters clicks)."""
    preroll_ms: int = 400
    """Audio kept from before the speech onset so the first syllable is not clipped."""
    speculate_ms: int = 80
    """Silence after speech at which a speculative turn (STT, LLM, first TTS clause) starts."""
    complete_ms: int = 240
    """Silence that ends a turn when both the transcript and the turn model say it is finished."""
    uncertain_ms: int = 600
    """Silence that ends a turn when the transcript and the turn model disagree.

    Longer than most pauses inside a sentence; one that is longer still ends the turn early, and
    the continuation is then merged back into it (``continuation_ms``)."""
    incomplete_ms: int = 1000
    """Silence that ends a turn that looks unfinished ("and", "so", a comma, a rising voice)."""
    turn_threshold: float = 0.5
    """Smart Turn probability above which the voice says the turn is finished."""
    words_threshold: float = 2e-3
    """The language model's P(the message or its sentence ends after these words) above which
    the words say the turn is finished (0 disables the words' verdict). Measured on typed
    prompts with the three manifest LLMs alike: unfinished words ("Could you tell me", "What
    time is it in", "Remind me to call mom in") gave 2e-6..8e-4, whole requests 0.02..0.9."""
    words_sure: float = 0.15
    """P above which the words' verdict outweighs the voice's "more is coming" (``words_done_ms``);
    between ``words_threshold`` and this the two disagree, and the turn waits ``uncertain_ms``.
    A human voice that sounds unfinished after words that could end ("...what your country can
    do for you.", P 0.07) is usually right; synthetic voices the turn model misjudges end their
    whole requests at P 0.2-0.9 (scripts/endpoint_calibration.py, tune sets)."""
    words_done_ms: int = 280
    """Silence that ends a turn whose words are surely finished while the voice says more is
    coming (the turn model misjudges some voices). 280 rather than 320 cut the tune sets' median
    wait by 16 ms with no more cut-offs, in quiet, pink and babble noise alike."""
    words_open_ms: int = 900
    """Silence that ends a punctuated turn whose words read unfinished ("Could you tell me.")."""
    resume_ms: int = 60
    """Voiced audio during the silence that counts as the user resuming (cancels the speculation)."""
    naive_silence_ms: int = 700
    """Fixed silence endpoint of the naive baseline pipeline (Home Assistant style)."""
    min_utterance_ms: int = 200
    """Utterances shorter than this are treated as noise and ignored."""
    max_utterance_ms: int = 30_000
    """A turn is forced to end after this much audio, so one buffer stays bounded."""
    continuation_ms: int = 1000
    """Speech that starts within this long after the end of the user's last turn continues it:
    the two are transcribed and answered as one (a pause mid-sentence is not a new question)."""
    echo_tail_ms: int = 500
    """How long after a reply's audio ends an utterance can still be its echo or a backchannel to it."""
    echo_overlap: float = 0.6
    """A transcript whose words are at least this share of a run of the reply's words is echo."""
    max_audio_lead_ms: int = 3_000
    """How far a client's audio may run ahead of real time (network bursts) before it is cut off."""
    max_frames_per_s: int = 200
    """Binary frames per second a client may send on average (20 ms frames are 50/s)."""
    max_texts_per_s: int = 20
    """Text messages per second a client may send on average, in bursts of up to twice that
    (a client sends a few per turn: ``interrupt``, ``get_history``); beyond it is a flood."""
    vad_aggressiveness: int = 2
    """webrtcvad mode, 0 (least) to 3 (most aggressive at rejecting non-speech)."""
    gate_onset_db: float = 6.0
    """Speech starts only on a voiced frame this much louder than the noise floor (dB)."""
    gate_hold_db: float = 1.5
    """Once started, speech goes on while voiced frames stay this much above the floor (dB), and
    above the noise's loud moments (see ``app.speech_gate``). 3 dB lost soft consonants, whole
    words, in white noise at -30 dBFS (WER 53%)."""
    gate_floor_percentile: float = 10.0
    """The noise floor is this percentile of recent frame levels."""
    gate_window_ms: int = 6_000
    """How much recent audio the noise floor is estimated from."""
    gate_warmup_ms: int = 400
    """Audio heard before the floor estimate is trusted (until then webrtcvad alone decides)."""


ENDPOINT_RANGES: dict[str, tuple[float, float]] = {
    "turn_threshold": (0, 1), "words_threshold": (0, 1), "words_sure": (0, 1), "echo_overlap": (0, 1),
    "gate_floor_percentile": (0, 100), "vad_aggressiveness": (0, 3),
    # 0 would refuse every client or every utterance.
    "max_frames_per_s": (1, math.inf), "max_texts_per_s": (1, math.inf), "max_utterance_ms": (1, math.inf),
    "gate_window_ms": (1, math.inf),
}
"""Inclusive ranges of the EndpointSettings fields ``--endpoint`` may set; every other field: 0 or more."""


@dataclass(frozen=True)
class ModelSettings:
    """Where models live and how they run."""

    models_dir: Path = REPO_ROOT / "models"
    """Directory holding manifest.toml and the fetched weights."""
    manifest_path: Path | None = None
    """Manifest to use; None means ``models_dir / "manifest.toml"``."""
    profile: str = "default"
    """Which models of the manifest to run: its [defaults], or one of its [profiles]."""
    stt_threads: int = 2
    """CTranslate2 intra-op threads for faster-whisper."""
    llm_threads: int = 1
    """llama.cpp threads per context, for prompt and generation.

    One, because on 2 shared cores llama.cpp's spinning worker threads collapse under
    contention (measured: 2 threads fell to 6-31 tokens/s beside other sessions' work, one
    thread held 38-48); two contexts of one thread each serve two sessions in parallel."""
    llm_threads_alone: int = 2
    """llama.cpp threads of a generation that runs alone (no other session generating): both
    cores evaluate a prompt 1.75x faster (453 against 258 tokens/s measured here)."""
    llm_instances: int = 2
    """Independent llama.cpp contexts, so concurrent sessions don't queue behind one generation.

    The CLI sets this to --max-sessions unless told otherwise: a session that has to wait for
    another's whole reply to finish before its first token is the worst queue there is. Each
    context is a model of its own: this llama.cpp build repacks the weights for every context it
    loads, so a context costs about a whole model's memory (weights plus its KV cache)."""
    llm_context_tokens: int = 2048
    """Context window of each llama.cpp instance, in tokens."""
    tts_threads: int = 1
    """onnxruntime intra-op threads for Piper."""
    bulk_nice: int = 10
    """OS niceness of bulk work (the rest of a reply once its first clause is spoken), so that
    every session's first-audio work gets the cores first (Linux; 0 disables)."""

    @property
    def manifest(self) -> Path:
        """Resolved manifest path."""
        return self.manifest_path or self.models_dir / "manifest.toml"


@dataclass(frozen=True)
class ReplySettings:
    """How the assistant answers."""

    system_prompt: str = "You are a friendly voice assistant. Reply briefly, in plain spoken English."
    """System prompt given to the LLM (kept evaluated in llama.cpp's prefix cache).

    Small models parrot meta-instructions ("My answer is in one short sentence."), so the prompt
    states a persona and a style, not rules about the answer."""
    local_tools: bool = True
    """The node's own tools (clock, calendar, timers, arithmetic, units, memory, live-data and device
    honesty) answer what they recognise; False: the model answers everything (an app that brings
    its own functions over the Realtime protocol). A Realtime client's functions are offered either way."""
    max_reply_tokens: int = 60
    """Generated tokens after which a reply stops at its next sentence end."""
    sentence_overrun_tokens: int = 40
    """How far past ``max_reply_tokens`` a sentence may run before the reply is cut at its last
    full sentence (the hard limit is the sum of the two)."""
    temperature: float = 0.3
    """Sampling temperature of the LLM."""
    history_tokens: int = 1200
    """Conversation kept in the prompt, in (estimated) tokens. Past it the oldest exchanges are
    dropped in one step, down to half of it, so the prompt changes only every few turns; the
    llama.cpp adapter then shifts its KV cache rather than evaluating the history again."""
    first_clause_max_words: int = 3
    """The first TTS piece is cut after this many words if no clause boundary came first."""
    clause_min_words: int = 3
    """Later pieces are cut at a comma only once they hold this many words (prosody)."""
    audio_frame_ms: int = 100
    """Reply audio is sent in binary frames of at most this duration."""


@dataclass(frozen=True)
class ServerSettings:
    """Everything the server needs, in one frozen value."""

    host: str = "127.0.0.1"
    """Interface to bind."""
    port: int = 8765
    """TCP port for websocket and HTTP."""
    log_level: str = "INFO"
    """Root log level name."""
    log_format: str = "text"
    """"text" or "json" (one object per line)."""
    timezone: str = ""
    """The node's IANA time zone, used by the clock for users whose ``hello`` names none ("" = UTC)."""
    endpoint: EndpointSettings = field(default_factory=EndpointSettings)
    models: ModelSettings = field(default_factory=ModelSettings)
    reply: ReplySettings = field(default_factory=ReplySettings)
    web_root: Path = REPO_ROOT / "client" / "web"
    """Static files served on GET / (the browser demo)."""
    store_url: str = f"sqlite:///{REPO_ROOT / '.state' / 'sessions.db'}"
    """Session store: ``sqlite:///<path>`` (one node, the default), ``redis://host:port/db`` (many nodes)
    or ``memory://``. Holds conversation text only, never audio."""
    session_ttl_s: float = 3600.0
    """A stored conversation is deleted this long after its last change."""
    max_sessions: int = 2
    """Sessions this node admits at once; beyond it new connections get ``busy``.

    Two on the reference 2-core machine: the latency benchmark keeps p50 within the 800 ms
    two-session target there, while four talking sessions saturate the cores (README, Latency)."""
    retry_after_ms: int = 5_000
    """Retry hint given with ``busy``, in ms."""
    idle_timeout_s: float = 60.0
    """A session that sends no audio (not even silence) for this long is closed: text messages
    and empty frames do not keep a session slot."""
    hello_timeout_s: float = 10.0
    """A connection that has not sent ``hello`` this long after opening is closed."""
    max_session_s: float = 4 * 3600.0
    """Longest a session may stay connected."""
    drain_timeout_s: float = 20.0
    """On SIGTERM, how long turns in flight may take to finish before the node closes them."""
    api_tokens: tuple[str, ...] = ()
    """Static API tokens that may connect (from --api-token-file or EDGE_VOICE_API_TOKENS)."""
    token_secret: bytes | None = None
    """HMAC secret for signed, expiring tokens minted by a web backend (EDGE_VOICE_TOKEN_SECRET)."""
    certfile: Path | None = None
    """TLS certificate chain (PEM); with ``keyfile`` the server speaks wss:// and https://."""
    keyfile: Path | None = None
    """TLS private key (PEM)."""
    allowed_origins: tuple[str, ...] = ()
    """Browser origins allowed to open a websocket; empty means the server's own host only."""
    server_names: tuple[str, ...] = ()
    """Host names (or addresses) browsers reach this node by, for its own pages (``--server-name``);
    loopback names always count; empty: also the bind address, or this machine's names and
    addresses when bound to all interfaces."""
