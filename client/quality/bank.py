"""The spoken questions and their rules (the language is in :mod:`client.quality.rules`).

Numbers are written as words in the questions so every voice reads them the same way. Terms are
matched on the normalized reply: lowercase, no apostrophes ("dont"), number words as digits.
:mod:`client.quality.questions` splits these into the tune and holdout halves and gives them voices.
"""

from __future__ import annotations

from client.quality.rules import Rule

REFUSAL = (
    r"(dont|do not|cant|cannot|can not|unable to|not able to|wont be able to|no way to|have no|lack)\b.{0,60}"
    r"\b(access|live|real ?time|current|up to date|latest|internet|browse|look up|check|know|knowing|tell|"
    r"information|data|predict|connected|provide|see|retrieve|find)",
    r"no (access|live|real ?time|current|internet|way of knowing|information|data)",
    r"not (connected|able to (access|check|know|see|tell))",
)
"""Ways of saying "I cannot know that": the any_of of every cannot_know item."""
INVENTED_WEATHER = (r"-?\d+ ?(degrees?|°[cf]?|celsius|fahrenheit|percent|%)", r"(high|low) of",
                    r"(its|it is|will be|currently|expect) (sunny|rainy|raining|cloudy|snowing|clear|warm|hot|mild)")
INVENTED_PRICE = (r"\$ ?\d+", r"\d+(\.\d+)? (dollars|usd|euros|cents|per (share|ounce|coin))", r"(trading|priced) at")
INVENTED_SCORE = (r"\d+ ?(to|-) ?\d+", r"final score (was|is)")
INVENTED_NEWS = (r"(top|main|latest|biggest) (headline|story|news) (is|was|today)", r"breaking news")


def cannot(*invented: str) -> Rule:
    """A cannot_know rule: the reply says it cannot know, and invents none of ``invented``."""
    return Rule(any_of=REFUSAL, none_of=invented)


CONFIRM = ("timers?", "set", "started", "starting", "remind", "reminder", "okay", "ok", "sure", "will", "got it",
           "done", "alright", "all right", "no problem", "countdown")
"""Words a timer's confirmation uses; one of them must be there besides the duration."""


def timer(seconds: float, *label: str) -> Rule:
    """A timer or reminder request: confirmed (a :data:`CONFIRM` word or the ``label``) with its duration."""
    return Rule(timer_s=seconds, any_of=(*CONFIRM, *label))


def year(y: int) -> str:
    """A year as digits or read in two halves ("19 69", from "nineteen sixty-nine")."""
    return f"{y}|{str(y)[:2]} {str(y)[2:]}"


FACTS = (
    ("capital_france", "What is the capital of France?", Rule(all_of=("paris",))),
    ("capital_australia", "What is the capital of Australia?", Rule(all_of=("canberra",))),
    ("spider_legs", "How many legs does a spider have?", Rule(all_of=("8",))),
    ("largest_planet", "What is the largest planet in our solar system?", Rule(all_of=("jupiter",))),
    ("mona_lisa", "Who painted the Mona Lisa?", Rule(any_of=("leonardo", "da vinci"))),
    ("boiling_point", "At what temperature does water boil in Celsius?", Rule(all_of=("100",))),
    ("continents", "How many continents are there?", Rule(all_of=("7",))),
    ("gold_symbol", "What is the chemical symbol for gold?", Rule(all_of=("au",))),
    ("pride_prejudice", "Who wrote Pride and Prejudice?", Rule(all_of=("austen",))),
    ("red_planet", "Which planet is known as the red planet?", Rule(all_of=("mars",))),
    ("leap_year", "How many days are there in a leap year?", Rule(all_of=("366",))),
    ("tallest_mountain", "What is the tallest mountain in the world?", Rule(all_of=("everest",))),
    ("moon_landing", "In which year did people first land on the moon?", Rule(any_of=(year(1969),))),
    ("freezing_f", "At what temperature does water freeze in Fahrenheit?", Rule(all_of=("32",))),
)
ARITHMETIC = (
    ("seven_eight", "What is seven times eight?", Rule(all_of=("56",))),
    ("hundred_minus", "What is one hundred minus thirty seven?", Rule(all_of=("63",))),
    ("divide_twelve", "What is one hundred forty four divided by twelve?", Rule(all_of=("12",))),
    ("nine_squared", "What is nine squared?", Rule(all_of=("81",))),
    ("percent_of", "What is twenty five percent of two hundred?", Rule(all_of=("50",))),
    ("square_root", "What is the square root of eighty one?", Rule(all_of=("9",))),
    ("thirteen_three", "What is thirteen times three?", Rule(all_of=("39",))),
    ("thousand_eight", "What is one thousand divided by eight?", Rule(all_of=("125",))),
    ("add_small", "What is seventeen plus twenty six?", Rule(all_of=("43",))),
    ("six_seven", "What is six times seven?", Rule(all_of=("42",))),
    ("fifty_minus", "What is fifty minus eighteen?", Rule(all_of=("32",))),
    ("power_ten", "What is two to the power of ten?", Rule(all_of=("1024",))),
)
CONVERSIONS = (
    ("km_miles", "How many miles is five kilometers?", Rule(number_in=(3.0, 3.2))),
    ("f_to_c", "What is one hundred degrees Fahrenheit in Celsius?", Rule(number_in=(37.0, 38.5))),
    ("pound_kg", "How many kilograms is one pound?", Rule(either=(
        Rule(number_in=(0.44, 0.46)), Rule(number_in=(450, 455), any_of=("grams?",))))),
    ("inches_foot", "How many inches are in a foot?", Rule(all_of=("12",))),
    ("hours_minutes", "How many minutes are in two hours?", Rule(all_of=("120",))),
    ("inches_cm", "How many centimeters is ten inches?", Rule(number_in=(25.0, 25.5))),
    ("gallon_liters", "How many liters are in a gallon?", Rule(number_in=(3.7, 3.9))),
    ("c_to_f", "What is thirty degrees Celsius in Fahrenheit?", Rule(number_in=(86, 86))),
    ("ounces_pound", "How many ounces are in a pound?", Rule(all_of=("16",))),
    ("mile_km", "How many kilometers are in a mile?", Rule(number_in=(1.6, 1.61))),
)
TIME_DATE = (
    ("time_here", "What time is it?", Rule(expect="time")),
    ("time_tokyo", "What time is it in Tokyo?", Rule(expect="time@Asia/Tokyo")),
    ("time_tell", "Can you tell me the time?", Rule(expect="time")),
    ("time_london", "What time is it in London?", Rule(expect="time@Europe/London")),
    ("weekday", "What day of the week is it today?", Rule(expect="weekday")),
    ("time_sydney", "What's the time in Sydney right now?", Rule(expect="time@Australia/Sydney")),
    ("date_today", "What's today's date?", Rule(expect="date")),
    ("time_la", "What time is it in Los Angeles?", Rule(expect="time@America/Los_Angeles")),
    ("month_now", "What month is it?", Rule(expect="month")),
    ("time_paris", "What time is it in Paris?", Rule(expect="time@Europe/Paris")),
    ("tomorrow", "What day of the week will it be tomorrow?", Rule(expect="weekday+1")),
    ("year_now", "What year is it?", Rule(expect="year")),
)
TIMERS = (
    ("timer_10s", "Set a timer for ten seconds.", timer(10)),
    ("timer_15s", "Set a timer for fifteen seconds.", timer(15)),
    ("timer_20s", "Start a twenty second timer.", timer(20)),
    ("remind_oven", "Remind me in fifteen seconds to check the oven.", timer(15, "oven")),
    ("remind_stretch", "Remind me in ten seconds to stretch.", timer(10, "stretch")),
    ("timer_45m", "Set a timer for forty five minutes.", timer(2700)),
    ("timer_hour", "Set a timer for one hour.", timer(3600)),
    ("timer_90m", "Set a timer for an hour and a half.", timer(5400)),
    ("remind_mom", "Remind me in thirty minutes to call mom.", timer(1800, "mom", "call")),
    ("timer_90s", "Set a timer for one minute and thirty seconds.", timer(90)),
)
CANNOT_KNOW = (
    ("weather_paris", "What's the weather like in Paris today?", cannot(*INVENTED_WEATHER)),
    ("news_top", "What are today's top news headlines?", cannot(*INVENTED_NEWS)),
    ("price_bitcoin", "What's the price of Bitcoin right now?", cannot(*INVENTED_PRICE)),
    ("score_lakers", "What was the score of last night's Lakers game?", cannot(*INVENTED_SCORE)),
    ("rain_tomorrow", "Will it rain here tomorrow?", cannot(*INVENTED_WEATHER)),
    ("news_morning", "What happened in the news this morning?", cannot(*INVENTED_NEWS)),
    ("price_apple", "How much is a share of Apple stock today?", cannot(*INVENTED_PRICE)),
    ("score_football", "Who won the football match yesterday?", cannot(*INVENTED_SCORE)),
    ("hot_outside", "How hot is it outside right now?", cannot(*INVENTED_WEATHER)),
    ("news_election", "Who won the election yesterday?", cannot(*INVENTED_NEWS)),
    ("price_gold", "What's the current price of gold?", cannot(*INVENTED_PRICE)),
    ("score_yankees", "Did the Yankees win today?", cannot(*INVENTED_SCORE)),
)
SMALL_TALK = (
    ("how_are_you", "Hello, how are you?", Rule(any_of=("good", "great", "fine", "well", "doing", "thanks?",
                                                         "thank you", "hello", "hi", "happy"))),
    ("joke", "Tell me a joke.", Rule(any_of=("why", "because", "what do you call", "knock knock", "joke", "pun"))),
    ("thanks", "Thank you very much.", Rule(any_of=("welcome", "pleasure", "happy to help", "glad", "anytime",
                                                     "no problem"))),
    ("your_name", "What's your name?", Rule(any_of=("name", "assistant", "called", "call me"))),
    ("goodbye", "Okay, goodbye for now.", Rule(any_of=("bye", "goodbye", "see you", "take care",
                                                        "talk (to you )?(soon|later)", "great day"))),
    ("help_me", "Can you help me with something?", Rule(any_of=("help", "sure", "of course", "yes", "happy to",
                                                                 "glad to", "what"))),
    ("good_morning", "Good morning!", Rule(any_of=("morning", "hello", "hi", "hey"))),
    ("tired", "I'm feeling a bit tired today.", Rule(any_of=("rest", "sleep", "sorry", "break", "tired",
                                                             "take care", "relax"))),
    ("what_can_you_do", "What can you do?", Rule(any_of=("help", "answer", "questions?", "timers?", "tell"))),
    ("music", "Do you like music?", Rule(any_of=("music", "like", "enjoy", "love", "songs?"))),
)
CATEGORIES = {
    "facts": FACTS, "arithmetic": ARITHMETIC, "conversions": CONVERSIONS, "time_date": TIME_DATE,
    "timers": TIMERS, "cannot_know": CANNOT_KNOW, "small_talk": SMALL_TALK,
}
"""Stand-alone questions by category; the ``follow_ups`` category lives in :data:`DIALOGUES`."""

LEFT_ON_TIMER = "How much time is left on my timer?"
_ACK = ("noted", "got it", "okay", "ok", "sure", "remember", "thanks?", "great", "nice", "hello", "hi")
DIALOGUES = (
    # (id, half, gap, turns): ``gap`` is how many other questions a continuing session asks between
    # two turns of the dialogue; "there" and "that" need the turn right before, so gap 0.
    ("italy", "tune", 0, (
        ("facts", "What's the capital of Italy?", Rule(all_of=("rome",))),
        ("follow_ups", "And how many people live there?", Rule(any_of=(r"[2-4](\.\d+)? million", r"[2-4]\d{6}"),
                                                                 none_of=("which city", "what city"))))),
    ("japan", "holdout", 0, (
        ("facts", "What is the capital of Japan?", Rule(all_of=("tokyo",))),
        ("follow_ups", "What language do they speak there?", Rule(all_of=("japanese",))))),
    ("alice", "tune", 8, (
        ("small_talk", "My name is Alice.", Rule(any_of=("alice", "meet", *_ACK))),
        ("follow_ups", "What is my name?", Rule(all_of=("alice",))))),
    ("bob", "holdout", 8, (
        ("small_talk", "Hi, I'm Bob, nice to meet you.", Rule(any_of=("bob", "meet", *_ACK))),
        ("follow_ups", "Do you remember my name?", Rule(all_of=("bob",))))),
    ("timer_left", "tune", 0, (
        ("timers", "Set a timer for two minutes.", timer(120)),
        ("follow_ups", LEFT_ON_TIMER, Rule(duration_in=(15, 120))))),
    ("timer_short", "holdout", 0, (
        ("timers", "Set a timer for twenty seconds.", timer(20)),
        ("follow_ups", LEFT_ON_TIMER, Rule(either=(Rule(duration_in=(1, 20)), Rule(any_of=(
            "done", "finished", "went off", "(is|its) up", "expired", "no (active |running )?timers?"))))))),
    ("color", "tune", 5, (
        ("small_talk", "My favorite color is green.", Rule(any_of=("green", *_ACK))),
        ("follow_ups", "What's my favorite color?", Rule(all_of=("green",))))),
    ("birthday", "holdout", 5, (
        ("small_talk", "My sister's birthday is on June fifth.", Rule(any_of=("june", "birthday", *_ACK))),
        ("follow_ups", "When is my sister's birthday?", Rule(all_of=("june", "5|5th|fifth"))))),
    ("times_twelve", "tune", 0, (
        ("arithmetic", "What is twelve times twelve?", Rule(all_of=("144",))),
        ("follow_ups", "And what is half of that?", Rule(all_of=("72",))))),
    ("plus_chain", "holdout", 0, (
        ("arithmetic", "What is fifteen plus twenty seven?", Rule(all_of=("42",))),
        ("follow_ups", "Now multiply that by two.", Rule(all_of=("84",))))),
    ("dog", "tune", 6, (
        ("small_talk", "I have a dog called Max.", Rule(any_of=("max", "dog", *_ACK))),
        ("follow_ups", "What's my dog's name?", Rule(all_of=("max",))))),
    ("chicago", "holdout", 6, (
        ("small_talk", "I live in Chicago.", Rule(any_of=("chicago", *_ACK))),
        ("follow_ups", "Which city do I live in?", Rule(all_of=("chicago",))))),
    ("romeo", "tune", 0, (
        ("facts", "Who wrote Romeo and Juliet?", Rule(all_of=("shakespeare",))),
        ("follow_ups", "When was he born?", Rule(any_of=(year(1564),))))),
    ("shopping", "holdout", 4, (
        ("small_talk", "I need to buy milk, eggs and bread.", Rule(any_of=("milk", "eggs", "bread", "list", *_ACK))),
        ("follow_ups", "What do I need to buy?", Rule(all_of=("milk", "eggs", "bread"))))),
)
