"""The answer-quality scoring: normalization, computed expectations and the rule language."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from client.quality.bank import CATEGORIES, DIALOGUES
from client.quality.expect import check_expectation, clock_times, date_matches, day_words, durations, time_matches
from client.quality.normalize import normalize, numbers_in
from client.quality.rules import Rule, found, score

# 2026-12-01 20:05:40 UTC: Tuesday; 15:05 in New York, 05:05 on Wednesday in Tokyo.
NOW = datetime(2026, 12, 1, 20, 5, 40, tzinfo=UTC)
ZONE = "America/New_York"
BANK = {qid: rule for questions in CATEGORIES.values() for qid, _, rule in questions}
BANK.update({f"{did}_{k}": rule for did, _, _, turns in DIALOGUES for k, (_, _, rule) in enumerate(turns)})


def right(item_id: str, reply: str, now: datetime = NOW) -> bool:
    return score(BANK[item_id], reply, now, ZONE).right


@pytest.mark.parametrize(("text", "expected"), [
    ("Fifty-six.", "56."),
    ("It's one hundred and twenty five dollars", "its 125 dollars"),
    ("three thousand two hundred", "3200"),
    ("two point five km", "2.5 km"),
    ("1,000,000 people", "1000000 people"),
    ("5 thousand", "5000"),
    ("a hundred", "100"),
    ("It's three oh five PM", "its 3 oh 5 pm"),
    ("three fifteen", "3 15"),
    ("nineteen sixty-nine", "19 69"),
    ("five and six", "5 and 6"),
    ("two million people", "2 million people"),
    ("thousands of people", "thousands of people"),
    ("I can\u2019t say", "i cant say"),
    ("It is 15:05.", "it is 15:05."),
    ("approximately 1. 4 million people", "approximately 1.4 million people"),
])
def test_normalize(text: str, expected: str) -> None:
    assert normalize(text) == expected


def test_numbers_in_reads_decimals_and_negatives_but_not_parts_of_words() -> None:
    assert numbers_in(normalize("minus 40, -40 and 3.5 or x2")) == [40.0, -40.0, 3.5]


@pytest.mark.parametrize(("text", "expected"), [
    ("its 3:05 pm", (15, 5, True)), ("15:05", (15, 5, True)), ("3 oh 5", (3, 5, False)),
    ("3 05 pm", (15, 5, True)), ("3 pm", (15, 0, True)), ("3 oclock in the afternoon", (15, 0, True)),
    ("half past 3", (3, 30, False)), ("quarter to 4", (3, 45, False)), ("10 past 3", (3, 10, False)),
    ("12:30 am", (0, 30, True)), ("noon", (12, 0, True)), ("12:10", (0, 10, False)),
    # As the server's spoken-text rewrite writes them:
    ("It's three oh five PM.", (15, 5, True)), ("It is fifteen oh five.", (15, 5, True)),
    ("It's six forty-five.", (6, 45, False)), ("It's zero oh five.", (0, 5, True)),
    ("It's ten thirty AM in Tokyo.", (10, 30, True)), ("It is nine PM.", (21, 0, True)),
])
def test_clock_times(text: str, expected: tuple[int, int, bool]) -> None:
    assert clock_times(normalize(text)) == [expected]


@pytest.mark.parametrize(("reply", "ok"), [
    ("It's 3:05 PM.", True), ("It is 15:05", True), ("three oh five", True), ("It's 3:07 p.m.", True),
    ("It's 3:03 in the afternoon", True), ("It is five past three", True), ("It's 3:08 PM", False),
    ("It's 3:05 AM", False), ("It's 2:05 PM", False), ("It is 20:05", False), ("I don't know", False),
])
def test_time_here_within_two_minutes(reply: str, ok: bool) -> None:
    assert right("time_here", reply) is ok


def test_time_in_another_city_uses_that_zone() -> None:
    assert right("time_tokyo", "In Tokyo it is 5:05 in the morning.")
    assert right("time_tokyo", "It's five oh six AM in Tokyo")
    assert not right("time_tokyo", "It's 3:05 PM in Tokyo.")  # New York's time, not Tokyo's
    assert right("time_london", "It's 8:05 PM in London")
    assert right("time_sydney", "In Sydney it's 7:05 in the morning")  # 07:05 AEDT, the next day


def test_time_tolerance_wraps_around_the_hour_and_midnight() -> None:
    late = datetime(2026, 12, 1, 23, 59, tzinfo=ZoneInfo("UTC"))
    assert time_matches("0:01", late) and time_matches("11:58 pm", late) and not time_matches("0:02", late)


def test_weekday_date_month_year_and_tomorrow() -> None:
    assert right("weekday", "Today is Tuesday.") and not right("weekday", "It's Monday.")
    assert not right("weekday", "Monday, no wait, Tuesday")  # the first weekday named counts
    assert right("tomorrow", "Tomorrow will be Wednesday.") and not right("tomorrow", "Tuesday")
    for reply in ("Today is December 1st, 2026.", "It's the first of December.", "December first",
                  "It is 12/1/2026", "2026-12-01"):
        assert right("date_today", reply), reply
    for reply in ("December 21st", "It's December 12", "November 1st", "the twenty-first of December"):
        assert not right("date_today", reply), reply
    assert right("month_now", "It's December.") and not right("month_now", "It is November")
    assert right("year_now", "It's 2026.") and right("year_now", "twenty twenty-six")
    assert not right("year_now", "It's 2025")


def test_date_in_the_users_zone_not_utc() -> None:
    # 02:00 UTC on the 2nd is still the 1st (Tuesday) in New York.
    early = datetime(2026, 12, 2, 2, 0, tzinfo=UTC)
    assert right("weekday", "Tuesday", early) and right("date_today", "December 1", early)
    assert check_expectation("weekday", "tuesday", early, "Asia/Tokyo") is not None


def test_day_words_and_spoken_ordinals() -> None:
    assert day_words(21) == ("21", "21st", "20 first") and day_words(12) == ("12", "12th", "twelfth")
    assert date_matches(normalize("the twenty-first of December"), datetime(2026, 12, 21))
    assert date_matches(normalize("December twenty second"), datetime(2026, 12, 22))


@pytest.mark.parametrize(("text", "seconds"), [
    ("20 seconds", 20), ("a twenty second timer", 20), ("1 minute and 30 seconds", 90), ("half an hour", 1800),
    ("one and a half minutes", 90), ("an hour and a half", 5400), ("2 minutes, 30 seconds", 150),
    ("forty-five minutes", 2700), ("1 hr", 3600),
])
def test_durations(text: str, seconds: float) -> None:
    assert seconds in durations(normalize(text))


@pytest.mark.parametrize(("item", "reply", "ok"), [
    ("capital_france", "The capital of France is Paris.", True),
    ("capital_france", "It's Lyon.", False),
    ("spider_legs", "A spider has eight legs.", True),
    ("spider_legs", "Spiders have 8 legs.", True),
    ("spider_legs", "Spiders have 18 legs.", False),
    ("moon_landing", "In nineteen sixty-nine.", True),
    ("moon_landing", "It was in 1969.", True),
    ("moon_landing", "1968", False),
    ("mona_lisa", "Leonardo da Vinci painted it.", True),
    ("gold_symbol", "Its symbol is Au.", True),
    ("seven_eight", "Seven times eight is fifty-six.", True),
    ("seven_eight", "7 x 8 = 56", True),
    ("seven_eight", "It's 54.", False),
    ("seven_eight", "It's 156.", False),
    ("seven_eight", "About 5.6", False),
    ("power_ten", "Two to the tenth is one thousand twenty four.", True),
    ("power_ten", "That's 1,024.", True),
    ("hundred_minus", "one hundred minus thirty seven is sixty three", True),
    ("km_miles", "Five kilometers is about 3.1 miles.", True),
    ("km_miles", "About three point one miles.", True),
    ("km_miles", "Five kilometers is five miles.", False),
    ("f_to_c", "About 37.8 degrees Celsius.", True),
    ("f_to_c", "That's 100 degrees.", False),
    ("pound_kg", "One pound is about 0.45 kilograms.", True),
    ("pound_kg", "About 454 grams.", True),
    ("pound_kg", "About 2.2 kilograms.", False),
    ("c_to_f", "Thirty degrees Celsius is eighty-six degrees Fahrenheit.", True),
    ("c_to_f", "It is 68 degrees Fahrenheit.", False),
])
def test_facts_arithmetic_conversions(item: str, reply: str, ok: bool) -> None:
    assert right(item, reply) is ok


@pytest.mark.parametrize(("item", "reply", "ok"), [
    ("timer_10s", "Okay, a ten second timer is set.", True),
    ("timer_10s", "Timer set for 10 seconds.", True),
    ("timer_10s", "Timer set for 10 minutes.", False),
    ("timer_10s", "Okay, timer set.", False),
    ("timer_20s", "You're at 20 seconds.", False),  # the duration alone is no confirmation
    ("timer_20s", "Twenty seconds, starting now.", True),
    ("timer_90s", "Your timer is set for one minute and thirty seconds.", True),
    ("timer_90s", "Set a timer for 90 seconds.", True),
    ("timer_90m", "An hour and a half, starting now.", True),
    ("timer_90m", "Timer set for 90 minutes.", True),
    ("remind_oven", "I'll remind you to check the oven in fifteen seconds.", True),
    ("remind_oven", "I'll remind you in 50 seconds.", False),
    ("timer_left_1", "About one minute and forty seconds left.", True),
    ("timer_left_1", "There are 95 seconds left.", True),
    ("timer_left_1", "Five minutes left.", False),
    ("timer_short_1", "About 12 seconds left.", True),
    ("timer_short_1", "Your timer is done.", True),
    ("timer_short_1", "You have 5 minutes left.", False),
])
def test_timers(item: str, reply: str, ok: bool) -> None:
    assert right(item, reply) is ok


@pytest.mark.parametrize(("item", "reply", "ok"), [
    ("weather_paris", "I don't have access to real-time weather data, so I can't tell you.", True),
    ("weather_paris", "I'm sorry, I can't check the weather. Try a weather app.", True),
    ("weather_paris", "I'm unable to provide current weather information.", True),
    ("weather_paris", "It's sunny in Paris with a high of 22 degrees.", False),
    ("weather_paris", "I have no live data, but it is usually around 15°C.", False),
    ("rain_tomorrow", "I can't predict the weather, I have no internet connection.", True),
    ("rain_tomorrow", "There is a 40% chance of rain.", False),
    ("price_bitcoin", "I can't look up current prices; please check a financial site.", True),
    ("price_bitcoin", "I don't have real-time data. As of 2023 it was around $30,000.", False),
    ("price_gold", "Gold is trading at 2,000 dollars per ounce.", False),
    ("score_lakers", "I'm not able to check sports scores.", True),
    ("score_lakers", "The Lakers won 112-108.", False),
    ("score_yankees", "I don't know, I have no access to live scores.", True),
    ("news_top", "I don't have access to the news.", True),
    ("news_top", "The top story today is about the economy.", False),
])
def test_cannot_know_says_so_and_invents_nothing(item: str, reply: str, ok: bool) -> None:
    assert right(item, reply) is ok


@pytest.mark.parametrize(("item", "reply", "ok"), [
    ("how_are_you", "I'm doing well, thanks for asking!", True),
    ("how_are_you", "The capital of France is Paris.", False),
    ("thanks", "You're welcome!", True),
    ("goodbye", "Bye, talk to you later!", True),
    ("italy_1", "Rome has about 2.8 million people.", True),
    ("italy_1", "About two point eight million people live there.", True),
    ("italy_1", "Around 2,870,000.", True),
    ("italy_1", "Italy has about 59 million people.", False),
    ("italy_1", "Which city do you mean?", False),
    ("alice_1", "Your name is Alice.", True),
    ("alice_1", "I don't know your name.", False),
    ("birthday_1", "It's on June 5th.", True),
    ("birthday_1", "June fifth.", True),
    ("birthday_1", "It's on July 5th.", False),
    ("shopping_1", "You need milk, eggs, and bread.", True),
    ("shopping_1", "You need milk and bread.", False),
    ("plus_chain_1", "That makes eighty-four.", True),
    ("romeo_1", "He was born in 1564.", True),
    ("romeo_1", "Fifteen sixty-four.", True),
])
def test_small_talk_and_follow_ups(item: str, reply: str, ok: bool) -> None:
    assert right(item, reply) is ok


@pytest.mark.parametrize(("item", "reply", "ok"), [
    ("date_today", "Today is December first, twenty twenty-six.", True),
    ("year_now", "Today is December first, twenty twenty-six.", True),
    ("power_ten", "two to the power of ten equals one thousand twenty-four", True),
    ("italy_1", "About two point eight million people.", True),
    ("pound_kg", "About zero point four five kilograms.", True),
    ("timer_90m", "Your one hour thirty minutes timer is set.", True),
    ("price_bitcoin", "I can't check live prices, but it was at thirty thousand dollars.", False),
    ("hot_outside", "I have no live data. It's minus forty degrees Fahrenheit.", False),
    ("time_here", "It's three oh five PM.", True),
])
def test_replies_in_spoken_form(item: str, reply: str, ok: bool) -> None:
    # The server may rewrite its replies as spoken words before sending them.
    assert right(item, reply) is ok


def test_terms_match_whole_words_and_numbers_only() -> None:
    assert found("rome", "rome is big") and not found("rome", "romeo and juliet")
    assert found("56", "is 56.") and not found("56", "1563") and not found("56", "5.56") and not found("5", "5:30")
    assert found("no (active )?timers?", "there are no active timers")


def test_rule_conditions_combine() -> None:
    rule = Rule(all_of=("a", "b"), none_of=("c",), number_in=(1, 2))
    assert score(rule, "a b 1.5", NOW, ZONE).right
    verdict = score(rule, "a c 3", NOW, ZONE)
    assert not verdict.right and verdict.reasons == ("missing 'b'", "forbidden 'c'", "no number in [1, 2]")
    assert score(rule, "  ", NOW, ZONE).reasons == ("no reply",)
    either = Rule(either=(Rule(all_of=("x",)), Rule(all_of=("y",))))
    assert score(either, "y", NOW, ZONE).right and not score(either, "z", NOW, ZONE).right
    assert "either(" in either.describe() and "all_of=['a', 'b']" in rule.describe()


def test_an_echo_of_the_question_is_wrong() -> None:
    rule = BANK["timer_10s"]
    heard = "Shat a timer for 10 seconds."
    assert score(rule, "Shat a timer for 10 seconds.", NOW, ZONE, echo_of=("Set a timer.", heard)).reasons == (
        "echoes the question",)
    assert score(rule, "Set a timer for ten seconds", NOW, ZONE, echo_of=("Set a timer for ten seconds.",)).reasons
    assert score(rule, "Set a timer for 10 seconds.", NOW, ZONE, echo_of=("Set a timer for ten seconds.",)).reasons
    assert score(rule, "Okay, timer set for 10 seconds.", NOW, ZONE, echo_of=(heard,)).right


def test_unknown_expectation_is_an_error() -> None:
    with pytest.raises(ValueError, match="unknown expectation"):
        check_expectation("season", "", NOW, ZONE)
