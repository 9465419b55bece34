"""Requests to act on a device, media or a phone get one honest sentence; how-to questions stay the model's."""

from __future__ import annotations

import pytest

from app.tools import ToolContext, answer

CONTEXT = ToolContext(now_s=1_796_126_400.0, timezone="UTC")


@pytest.mark.parametrize(
    ("transcript", "reply"),
    [
        ("Open the garage door.", "I can't open the garage door from here; I'm not connected to any devices."),
        ("Turn off the lights in the kitchen, please.",
         "I can't turn off the lights in the kitchen from here; I'm not connected to any devices."),
        ("Can you turn my bedroom lamp on?",
         "I can't turn your bedroom lamp on from here; I'm not connected to any devices."),
        ("Lock the front door.", "I can't lock the front door from here; I'm not connected to any devices."),
        ("Set the thermostat to 70 degrees.",
         "I can't set the thermostat to 70 degrees from here; I'm not connected to any devices."),
        ("Dim the lights.", "I can't dim the lights from here; I'm not connected to any devices."),
        ("Close the blinds.", "I can't close the blinds from here; I'm not connected to any devices."),
        ("Start the dishwasher.", "I can't start the dishwasher from here; I'm not connected to any devices."),
    ],
)
def test_a_device_request_says_it_is_not_connected(transcript: str, reply: str) -> None:
    found = answer(transcript, CONTEXT)
    assert found is not None and (found.tool, found.text) == ("devices", reply)


@pytest.mark.parametrize(
    ("transcript", "start"),
    [
        ("Play some music.", "I can't play music"), ("Play Yesterday by the Beatles.", "I can't play music"),
        ("Skip this song.", "I can't play music"), ("Pause the music.", "I can't play music"),
        ("Call mom.", "I can't make calls"), ("Send a text to Sam saying I'm late.", "I can't make calls"),
        ("Order a pizza.", "I can't make calls"), ("Book a table for two tonight.", "I can't make calls"),
    ],
)
def test_media_calls_and_orders_are_refused_in_one_sentence(transcript: str, start: str) -> None:
    found = answer(transcript, CONTEXT)
    assert found is not None and found.tool == "devices" and found.text.startswith(start)


@pytest.mark.parametrize(
    "transcript",
    [
        "How do I open a stuck garage door?", "Why do lights flicker?", "What is a thermostat?",
        "Write a short poem about the sea.", "Call me Bob.", "Order these numbers from smallest to largest.",
        "Tell me a story about a lamp.", "Should I turn off the lights when I leave a room?",
        "What's a good book to read?", "Let's call it a day.",
    ],
)
def test_questions_and_other_requests_are_not_device_commands(transcript: str) -> None:
    found = answer(transcript, CONTEXT)
    assert found is None or found.tool != "devices"


@pytest.mark.parametrize(
    "transcript",
    ["What's your name?", "Who are you?", "What should I call you?", "Are you a robot?", "Who made you?",
     "Do you have a name?"],
)
def test_asked_who_it_is_the_assistant_says_what_it_is(transcript: str) -> None:
    found = answer(transcript, CONTEXT)
    assert found is not None and found.tool == "about" and "voice assistant" in found.text
    assert "OpenAI" not in found.text


@pytest.mark.parametrize(
    "transcript",
    ["What happened in the news this morning?", "What's in the news today?", "What's going on in the world lately?",
     "What was on the news last night?"],
)
def test_news_at_any_time_of_day_has_no_live_data(transcript: str) -> None:
    found = answer(transcript, CONTEXT)
    assert found is not None and found.tool == "live_facts" and "the news" in found.text
