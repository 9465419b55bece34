"""Does a (partial) transcript look like a finished turn? Decides how long a pause must last.

The trick, after KoljaB's RealtimeSTT: Whisper punctuates. A sentence that ends in ".", "!" or "?"
and does not end on a conjunction or filler is probably complete, so a short silence ends it.
A comma, a dash, an ellipsis, or a trailing "and"/"so"/"I was wondering" means the user is
probably still thinking, so we wait much longer.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from app.chat import ChatMessage
from app.config import EndpointSettings
from app.tools.scripted import SCRIPTED_OPENINGS

_TRAILING_OPEN_WORDS = frozenset(
    """
    and or but so because since though although if when while whereas then than that which who
    whom whose where what how why to of for with from in on at by about as like into onto
    the a an my your his her its our their this these those some any every no
    um uh er erm hmm well mean know wondering think guess was were is are am be been being
    can could would should will shall may might must do does did have has had not
    """.split()
)
_OPEN_PHRASES = ("i was wondering", "i want to", "i'd like to", "can you tell me", "let me", "you know")
_WORD = re.compile(r"[a-z']+")


def looks_complete(text: str) -> bool:
    """True when ``text`` reads as a finished utterance (so a short pause may end the turn)."""
    stripped = text.strip()
    if not stripped:
        return False
    if stripped.endswith(("...", "…", ",", ";", ":", "-", "—")):
        return False
    if stripped[-1] not in ".!?":
        return False
    lowered = stripped.lower()
    words = _WORD.findall(lowered)
    if not words:
        return False
    if words[-1] in _TRAILING_OPEN_WORDS:
        return False
    body = lowered.rstrip(".!? ")
    return not any(body.endswith(phrase) for phrase in _OPEN_PHRASES)


# Only phrases no user says to an assistant as a whole turn; "Thank you." is left alone.
_HALLUCINATIONS = frozenset({"", "you", "thanks for watching", "thank you for watching", "subtitles by"})


def is_noise_transcript(text: str) -> bool:
    """Whisper's stock outputs on noise or silence ("you", "Thanks for watching"), which are not a turn."""
    normalized = " ".join(_WORD.findall(text.lower()))
    return normalized in _HALLUCINATIONS


_REFUSAL = re.compile(
    r"(?:i am|i'm|im)? ?(?:so |very )?sorry,? (?:but )?i (?:can't|cannot|can not|am unable to|am not able to|won't)"
    r" (?:assist|help) with (?:that|this)(?: request)?\W*$"
)
_DISCLAIMER = re.compile(
    r"(?:i'm|i am|im|as) (?:just )?an? (?:ai|artificial intelligence)(?: language model| model| assistant| program)?"
    r"\b[^.!?]{0,60}?\b(?:i )?(?:don't|do not|can't|cannot|can not|am not able to|am unable to|have no)\b"
)
"""A reply that opens by disclaiming being an AI ("I'm an artificial intelligence language model,
so I don't have a next declaration."): the 0.5B model's non-answer, copied into later replies
once it is in the context (three times in one 54-exchange answer-quality session)."""

_CANNOT_HERE = re.compile(
    r"i can't [^.;]{1,120} from here; (?:i don't have live data|i'm not connected to|i'm only a voice)"
)
"""The local tools' "I can't check the weather from here; I don't have live data on this
device." and "I can't open the garage door from here; I'm not connected to any devices.": true,
and nothing for later turns. In the context the 0.5B model copied them as the answer to
unrelated questions ("Have you volcano spawn?" -> "I can't check the weather from here ...",
three times in one 48-exchange benchmark session once the device tool added two a pass). Such a
copy is kept out; the tool's own sentence, which answered the question, stays (a tool's answer is
never checked: keeping those out too measured worse, README "Answers")."""

_TOKEN = re.compile(r"[a-z0-9']+")
ECHO_MAX_WORDS = 8
"""Longest reply (words) that counts as the question's words said again."""
ECHO_MIN_WORDS = 3
"""Shortest question (words) whose words said back, all of them, make a reply a copy."""
_FUNCTION_WORDS = frozenset(
    """a an the i im i'm me my mine you your yours is am are was were be been it its it's that this these those
    of to in on at for with and or but so as yes no sure okay ok well oh there here what who how""".split()
)


def adds_nothing(reply: str, question: str) -> bool:
    """A reply with nothing in it for the conversation: a canned refusal ("I'm sorry, but I can't
    assist with that."), an "I'm an AI language model, so I don't have ..." disclaimer, the
    model's copy of a tool's "I can't ... from here; I don't have live data", or, in a
    few words, only the question's own words again ("I am Pride in prejudice." to "Who wrote
    Pride and Prejudice?"). Once in its context a small model copies
    such a reply into every later answer, so it is kept out of the history (the user still hears
    it). A repeated answer is kept: the same question, a little misheard, gets the same answer."""
    words = _TOKEN.findall(reply.lower())
    said = " ".join(words)
    lowered = reply.strip().lower().replace("\u2019", "'")
    if not said or _REFUSAL.fullmatch(lowered) or _DISCLAIMER.match(lowered) or _CANNOT_HERE.match(lowered):
        return True
    asked = set(_TOKEN.findall(question.lower()))
    # Short: the copied pattern is a short echo; a long one is a quote said back ("Ask not
    # what your country can do for you..."), which does not take over later replies.
    return len(words) <= ECHO_MAX_WORDS and all(w in asked or w in _FUNCTION_WORDS for w in words)


def openings_to_avoid(messages: Sequence[ChatMessage]) -> tuple[str, ...]:
    """What the model's reply to ``messages`` (ending with the question) must not open with: the
    tools' scripted openings; the first three words of any earlier user turn (a copied user
    line: "I have an uncalled max." to "Who wrote Romeo and Juliet?") unless the question holds
    those words too (answers restate the question: "the capital of Australia" -> "The capital of
    Australia is Canberra.", also when it was asked before); and the whole question, said back
    ("Good morning. How did you sleep?" answered with itself); and the first sentence of an earlier
    answer to another question that shares no content word with this one ("What is out of
    square?", misheard, answered "The largest planet in our solar system is Mars." again: the
    previous reply). The same question asked again, or one about the same thing ("Which planet is
    the largest?"), may get the same answer. See app/stages/openings.py.

    Not the devices' "I can't open the garage door from here; ...": said to a question it can be
    a copy ("How did you sleep?" -> "I can't sleep from here; ..."), but it is the honest answer
    to a request the router does not know ("Can you close the window?"), which, with it banned,
    the 0.5B model answered "Yes, I can close the window from here." """
    *earlier, question = [m.content for m in messages if m.role == "user"] or [""]
    asked_words = _words(question)
    asked = " ".join(asked_words)
    said: list[str] = []
    for line in earlier:
        opening = " ".join(_words(line)[:3])
        if opening.count(" ") == 2 and f" {opening} " not in f" {asked} " and opening not in said:
            said.append(opening)
    # A short question said back may be a fair start ("Thanks!" -> "Thanks! ..."): three words at least.
    echo = (asked,) if len(asked_words) >= ECHO_MIN_WORDS else ()
    return (*SCRIPTED_OPENINGS, *said, *echo, *_answers_to_other_questions(messages, asked_words))


ANSWER_MIN_WORDS = 4
"""Shortest first sentence (words) of an earlier answer that a new reply may not repeat ("Yes." and
"Sure thing!" are how any reply may start)."""
_SENTENCE_END = re.compile(r"[.!?](?:\s|$)")


def _answers_to_other_questions(messages: Sequence[ChatMessage], asked_words: list[str]) -> list[str]:
    """First sentences (lowercase words) of the earlier answers, each to a question other than this
    one, that share no content word with this question."""
    topic = {w for w in asked_words if w not in _FUNCTION_WORDS}
    answers: list[str] = []
    previous_question: list[str] = []
    for message in messages[:-1]:
        if message.role == "user":
            previous_question = _words(message.content)
            continue
        if message.role != "assistant" or previous_question == asked_words:
            continue
        first = _words(_SENTENCE_END.split(message.content, maxsplit=1)[0])
        sentence = " ".join(first)
        if len(first) >= ANSWER_MIN_WORDS and not topic.intersection(first) and sentence not in answers:
            answers.append(sentence)
    return answers


def _words(text: str) -> list[str]:
    return _TOKEN.findall(text.lower().replace("\u2019", "'"))


_BACKCHANNELS = frozenset(
    """mhmm mhm mm hmm uhhuh uh huh yeah yep yes ok okay right sure aha ah oh i see got it alright
    cool nice wow really""".split()
)


def is_backchannel(text: str, max_words: int = 2) -> bool:
    """A listener's "mhmm", "yeah", "okay": feedback while the assistant talks, not a new turn."""
    words = _WORD.findall(text.lower().replace("-", ""))  # "uh-huh" -> "uhhuh"
    return 0 < len(words) <= max_words and all(w in _BACKCHANNELS for w in words)


def echo_overlap(transcript: str, reply: str) -> float:
    """Share of the transcript's words that are the assistant's own reply words, in order.

    Speakers feeding the mic make Whisper transcribe the assistant; such a transcript is a run of
    the reply's words. Returns the longest common word run divided by the transcript's length.
    """
    said = _WORD.findall(transcript.lower())
    spoken = _WORD.findall(reply.lower())
    if not said or not spoken:
        return 0.0
    best = 0
    previous = [0] * (len(spoken) + 1)
    for a in said:
        current = [0] * (len(spoken) + 1)
        for j, b in enumerate(spoken, start=1):
            if a == b:
                current[j] = previous[j - 1] + 1
                best = max(best, current[j])
        previous = current
    return best / len(said)


def end_silence_ms(endpoint: EndpointSettings, transcript: str | None, p_complete: float | None,
                   p_words: float | None = None, *, words_pending: bool = False) -> int:
    """Silence (ms) that ends the turn, from how the words read and how the voice sounds.

    ``transcript`` None: not transcribed yet. ``p_complete``: the turn model's verdict on the
    voice; ``p_words``: the language model's on the words (None: not known, and
    ``words_pending`` says whether it is coming: it is read before the reply's first token).
    Punctuation rules first (a comma or a trailing "and" is never a short end); then the
    words' verdict leads, since the voice model fails on some voices (P near 0 for finished
    questions) and a synthetic or read first half can sound final; the voice shortens or
    lengthens the wait around it.
    """
    if transcript is None:
        return endpoint.incomplete_ms
    if is_noise_transcript(transcript):
        return endpoint.complete_ms  # nothing was said: close the non-turn quickly
    voice_done = None if p_complete is None else p_complete >= endpoint.turn_threshold
    if not looks_complete(transcript):
        return endpoint.uncertain_ms if voice_done else endpoint.incomplete_ms
    words_done = None if p_words is None else p_words >= endpoint.words_threshold
    if words_done is None:
        if words_pending:
            return endpoint.uncertain_ms  # shortened as soon as the words' verdict arrives
        return endpoint.complete_ms if voice_done else endpoint.uncertain_ms
    if words_done:
        if voice_done is not False:
            return endpoint.complete_ms
        assert p_words is not None
        return endpoint.words_done_ms if p_words >= endpoint.words_sure else endpoint.uncertain_ms
    return endpoint.words_open_ms if voice_done is not False else endpoint.incomplete_ms


def words_beyond(before: str | None, after: str) -> str:
    """The words of transcript ``after`` beyond as many as ``before`` had, lower case. A
    continuation transcribed together with the turn it continues repeats that turn's words."""
    return " ".join(_WORD.findall(after.lower())[len(_WORD.findall((before or "").lower())):])


def adds_words(before: str | None, after: str) -> bool:
    """Whether transcript ``after`` says more than ``before`` did: new words (``words_beyond``)
    that are not Whisper's noise words ("you"); only those make a continuation speech."""
    added = words_beyond(before, after)
    return bool(added) and not is_noise_transcript(added)
