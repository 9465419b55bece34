"""Questions that need live data get one honest sentence; general knowledge is left to the model."""

from __future__ import annotations

import pytest

from app.tools import ToolContext, answer

CONTEXT = ToolContext(now_s=1_796_126_400.0, timezone="UTC", timers=(), next_id="t1")
NO_DATA = "from here; I don't have live data on this device."


@pytest.mark.parametrize(
    ("transcript", "what"),
    [
        ("What's the weather like today?", "the weather"), ("what's the weather in Paris", "the weather"),
        ("Weather forecast for tomorrow.", "the weather"), ("Will it rain tomorrow?", "the weather"),
        ("Is it going to rain?", "the weather"), ("Is it raining?", "the weather"),
        ("How cold is it outside?", "the weather"), ("What's the temperature outside?", "the weather"),
        ("Do you know if it's going to rain?", "the weather"), ("Tell me if it will rain today.", "the weather"),
        ("Do I need an umbrella today?", "the weather"), ("What's the forecast?", "the weather"),
        ("How's the weather in London this weekend?", "the weather"), ("Will it snow this weekend?", "the weather"),
        ("What is the temperature in Tokyo?", "the weather"),
        ("What's the news?", "the news"), ("What are today's headlines?", "the news"),
        ("Tell me the latest news.", "the news"), ("What's happening in the world today?", "the news"),
        ("What's the stock price of Apple?", "stock prices"), ("How is the stock market doing today?", "stock prices"),
        ("How much is Tesla stock worth?", "stock prices"), ("How are the markets doing?", "stock prices"),
        ("Apple stock price.", "stock prices"),
        ("What's the price of bitcoin?", "crypto prices"), ("How much is bitcoin worth?", "crypto prices"),
        ("Bitcoin price today.", "crypto prices"), ("What's the price on Bitcoin right now?", "crypto prices"),
        ("What is the price for gold today?", "market prices"),
        ("What's the exchange rate between dollars and euros?", "exchange rates"),
        ("How much is a dollar in euros?", "exchange rates"), ("Convert 100 dollars to euros.", "exchange rates"),
        ("10 pounds in dollars", "exchange rates"), ("How many yen is a dollar?", "exchange rates"),
        ("Who won the game last night?", "sports results"), ("What's the score of the Lakers game?", "sports results"),
        ("Did the Lakers win last night?", "sports results"), ("Who won the Super Bowl?", "sports results"),
        ("How's the traffic?", "traffic"), ("Is there traffic on the way to work?", "traffic"),
        ("Traffic report.", "traffic"),
    ],
)
def test_live_questions_are_declined_in_one_sentence(transcript: str, what: str) -> None:
    found = answer(transcript, CONTEXT)
    assert found is not None
    assert (found.tool, found.text) == ("live_facts", f"I can't check {what} {NO_DATA}")


@pytest.mark.parametrize(
    "transcript",
    ["What is the boiling point of water?", "Why is the sky blue?", "What is a stock market?", "What is bitcoin?",
     "What is the temperature of the sun?", "What is news?", "Why does it rain?", "What causes traffic?",
     "Who won the World Cup in 2010?", "Who won World War 2?", "Did the British win the war?",
     "What is the weather on Mars like?", "What is an exchange rate?", "What is a forecast?",
     "How does the stock market work?", "What is weather?", "I like rain.", "It's cold outside.",
     "What is the price of a big mac?", "Tell me about the news industry.", "Is it true that it never rains in LA?"],
)
def test_general_knowledge_is_left_to_the_model(transcript: str) -> None:
    found = answer(transcript, CONTEXT)
    assert found is None or found.tool != "live_facts"
