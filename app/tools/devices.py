"""Requests to act in the world (switch a light, open a door, play music, call someone): say plainly that it can't.

The node is a voice assistant with no device, media or phone connections. Asked to "Open the garage door",
the small model answers with a definition of a garage door, or says "Opening the garage door." and does
nothing: a user then believes the door is open. Only whole imperative requests match ("turn off the
lights", "lock the front door"); questions about how to do it ("how do I open a stuck garage door") stay
the model's.
"""

from __future__ import annotations

import re

from app.tools.text import Utterance
from app.tools.types import ToolAnswer, ToolContext

_NOT_CONNECTED = "I'm not connected to any devices."
_OWNER = r"(?:the |my |our |all the |all of the |a |some )?"
_ROOM = (
    r"(?:(?:in|on) (?:the |my )?(?:living room|kitchen|bedroom|bathroom|hall|hallway|office|garage|basement"
    r"|dining room|garden|porch|upstairs|downstairs)(?: too)?)"
)
_SWITCHED = (
    r"(?:(?:living room |kitchen |bedroom |bathroom |hall |office |porch |garden |outside |ceiling |desk "
    r"|bedside |night )?(?:lights?|lamps?)|fan|ceiling fan|heater|heating|air conditioning|air conditioner|ac|a c"
    r"|tv|television|tele|radio|stereo|speakers?|oven|stove|dishwasher|washing machine|dryer|kettle"
    r"|coffee maker|coffee machine|alarm system|security system|alarm|sprinklers?|vacuum|robot vacuum"
    r"|hoover|computer|wi ?fi|router|fireplace|hot tub|humidifier|dehumidifier|porch light|christmas lights)"
)
_OPENED = (
    r"(?:(?:garage|front|back|side|patio|kitchen|bedroom) doors?|garage|doors?|gate|windows?|blinds|curtains"
    r"|shades|shutters|trunk|boot)"
)
_LOCKED = r"(?:(?:front|back|side|garage|patio|car) doors?|doors?|car|house|gate)"
_LEVEL = (
    r"(?:to )?(?:\d+(?:\.\d+)? ?(?:degrees?|percent)?(?: celsius| fahrenheit)?|(?:a )?(?:bit|little|lot)(?: more)?)"
)
_ACT = (
    rf"(?:turn|switch|power) (?:on|off) {_OWNER}{_SWITCHED}(?: {_ROOM})?",
    rf"(?:turn|switch|power) {_OWNER}{_SWITCHED}(?: {_ROOM})? (?:on|off)",
    rf"(?:open|close|shut|raise|lower|pull up|pull down) {_OWNER}{_OPENED}(?: {_ROOM})?",
    rf"(?:lock|unlock) {_OWNER}{_LOCKED}",
    rf"(?:dim|brighten) {_OWNER}{_SWITCHED}(?: {_ROOM})?(?: {_LEVEL})?",
    rf"(?:set|put|change|turn up|turn down|raise|lower) {_OWNER}(?:thermostat|heating|temperature|ac|a c"
    rf"|air conditioning|lights?|brightness|volume)(?: {_ROOM})?(?: {_LEVEL})?",
    rf"(?:make it|make the (?:room|house)) (?:warmer|cooler|colder|brighter|darker)(?: in here| {_ROOM})?",
    r"start (?:the )?(?:dishwasher|washing machine|dryer|vacuum|robot vacuum|coffee maker|coffee machine|car"
    r"|engine|oven)",
)
_PLAY = (
    r"(?:play|put on|start|stream|shuffle) (?:some |me some |a |my |the |any )?(?:music|songs?|playlist|album|radio"
    r"|podcast|audiobook|video|movie|show|episode|track|tunes|jazz|rock|pop|classical(?: music)?)"
    r"(?: [a-z0-9' ]{1,40})?",
    r"play [a-z0-9' ]{1,40} (?:by|from) [a-z0-9' ]{1,40}",
    r"(?:pause|resume|stop|skip|next|previous) (?:the |this )?(?:music|song|track|video|podcast|playback)",
    r"(?:turn|crank) (?:up|down) the (?:music|volume|sound)",
)
_CALL = (
    # Not "call me Bob" (a name, the memory tool's) nor "call it a day".
    r"(?:call|phone|ring|dial|facetime|video call) (?!me\b|it\b)[a-z0-9' ]{1,40}",
    r"(?:send|write) (?:a |an )?(?:text|message|email|note|sms) (?:to )?(?!me\b)[a-z0-9' ]{1,40}"
    r"(?: (?:saying|that|and say|and tell (?:him|her|them)) [a-z0-9' ]{1,80})?",
    r"(?:text|message|email) (?!me\b)[a-z0-9' ]{1,40}(?: (?:saying|that) [a-z0-9' ]{1,80})?",
    r"order (?:me )?(?:a |an |some )?(?:pizza|food|takeout|take out|dinner|lunch|groceries|taxi|cab|uber|coffee)"
    r"(?: [a-z0-9' ]{1,40})?",
    r"book (?:me )?(?:a |an )?(?:table|flight|hotel|hotel room|room|taxi|cab|uber|appointment|tickets?)"
    r"(?: [a-z0-9' ]{1,40})?",
    r"buy (?:me )?[a-z0-9' ]{1,40} (?:online|on amazon|for me)",
)
_GROUPS = (
    (tuple(re.compile(p) for p in _ACT), None),
    (tuple(re.compile(p) for p in _PLAY), "I can't play music or other media from here; I'm only a voice to talk to."),
    (tuple(re.compile(p) for p in _CALL),
     "I can't make calls, send messages or order things from here; I'm not connected to your phone or accounts."),
)
_YOURS = {"my": "your", "our": "your", "me": "you"}


def answer_devices(utterance: Utterance, context: ToolContext) -> ToolAnswer | None:
    """One honest sentence when the user asks the node to act on a device, media or a phone; else None."""
    del context  # nothing to look up: the node controls nothing
    text = utterance.text
    for patterns, reply in _GROUPS:
        if any(p.fullmatch(text) for p in patterns):
            if reply is None:
                request = " ".join(_YOURS.get(w, w) for w in text.split())
                reply = f"I can't {request} from here; {_NOT_CONNECTED}"
            return ToolAnswer("devices", reply)
    return None
