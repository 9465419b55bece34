"""Questions that need live data the node does not have (weather, news, prices, scores, traffic): say so.

A small model would otherwise invent a forecast or a price. The patterns ask for a current state
("the weather today", "bitcoin price"), so general knowledge ("what is a stock market",
"why does it rain") still goes to the model.
"""

from __future__ import annotations

import re

from app.tools.numbers import NUMBER_RE
from app.tools.text import Utterance
from app.tools.types import ToolAnswer, ToolContext

_NO_DATA = "I don't have live data on this device."
_WHEN = (
    r"(?: (?:today|tomorrow|tonight|this (?:morning|afternoon|evening|week|weekend)|tomorrow (?:morning|afternoon"
    r"|evening|night)|next week|over the weekend|on (?:monday|tuesday|wednesday|thursday|friday|saturday|sunday)"
    r"|for the (?:week|weekend|next few days)|outside|out there|here|later|later today|at the moment|this time"
    r"|in (?!the (?:sun|sky|space)\b)[a-z' ]{2,30}|for [a-z' ]{2,30}|around here|near me|right now|now|currently))*"
)
_WEATHER_WORDS = (
    r"(?:weather|forecast|weather forecast|weather report|temperature|humidity|uv index|air quality|pollen count"
    r"|wind speed|chance of rain|high|low)"
)
_SKY = (
    r"(?:rain|snow|storm|hail|thunder|be (?:sunny|cloudy|hot|cold|warm|windy|nice|rainy|snowy|stormy|freezing"
    r"|foggy))"
)
_SKY_ING = r"(?:raining|snowing|storming|sunny|cloudy|hot|cold|warm|windy|nice out|foggy|freezing)"
_CURRENCY = (
    r"(?:(?:us |american |canadian |australian |new zealand |hong kong |singapore )?dollars?|euros?"
    r"|(?:british )?pounds?(?: sterling)?|(?:japanese )?yen|(?:chinese )?yuan|renminbi|(?:indian )?rupees?"
    r"|(?:mexican )?pesos?"
    r"|(?:swiss )?francs?|won|rubles?|roubles?|dirhams?|reais|real|kron(?:a|or|er|e)|rand|lira|usd|eur|gbp|jpy|cad"
    r"|aud|chf|inr|cny)"
)
_COMMODITY = (
    r"(?:gold|silver|platinum|copper|oil|crude oil|crude|brent|natural gas|gas|gasoline|petrol|diesel|wheat|corn"
    r"|coffee|sugar)"
)
_CRYPTO = r"(?:bitcoins?|ethereum|ether|dogecoin|litecoin|solana|crypto|cryptocurrency|btc|eth|xrp)"
_MARKET = r"(?:the )?(?:stock markets?|markets?|stocks|dow|dow jones|nasdaq|s and p(?: 500)?|s p 500|ftse|nikkei|dax)"
_RECENT = r"(?: last night| yesterday| today| tonight| this weekend| last weekend| this year| last year| this season)"
_NEWS_WHEN = (
    r"(?: today| right now| this morning| this afternoon| this evening| tonight| last night| yesterday| this week"
    r"| lately| recently)?"
)
_COMPETITIONS = (
    r"(?:the )?(?:game|match|race|super bowl|world series|world cup|stanley cup|nba finals|finals|champions league"
    r"|premier league|election|playoffs|grand prix|tournament|final)"
)

_TOPICS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("the weather", "weather", (
        # "what is the weather" but not "what is weather": a definition is the model's to give.
        rf"(?:(?:what is|how is|what will|what will be|what is going to be|how will|how is going to be|tell me"
        rf"|give me|check|get|what are|what about) (?:the |current |local |today |tomorrow )+"
        rf"|(?:the |current |local |today |tomorrow )*){_WEATHER_WORDS}"
        rf"(?: like)?(?: going to be| be| be like| going to be like| gonna be)?{_WHEN}",
        rf"(?:if |whether )?(?:will|is|are|does|would) (?:it|we) "
        rf"(?:going to |gonna |supposed to |expected to |likely to )?(?:get |have |see )?{_SKY}(?:ing)?{_WHEN}",
        rf"(?:if |whether )?is it {_SKY_ING}{_WHEN}",
        rf"(?:if|whether) (?:it|we) (?:will|is going to|is gonna|are going to|is supposed to) (?:get |have |see )?"
        rf"{_SKY}(?:ing)?{_WHEN}",
        rf"(?:if|whether) it is {_SKY_ING}{_WHEN}",
        rf"how (?:hot|cold|warm|humid|windy|chilly) (?:is it|it is){_WHEN}",
        rf"how (?:hot|cold|warm) (?:will it be|is it going to be|is it gonna be){_WHEN}",
        rf"what is it like (?:outside|out there|out){_WHEN}",
        rf"(?:if |whether )?(?:do|should|will) (?:i|we) (?:need|bring|take|wear) "
        rf"(?:an umbrella|a jacket|a coat|sunscreen|a raincoat|boots){_WHEN}",
    )),
    ("the news", "news", (
        r"(?:what is|what are|tell me|give me|read me|read|play|what is in|check)? ?(?:the )?(?:latest |today |top "
        r"|breaking |current |morning |evening |world |local |recent )+(?:news|headlines|news headlines|stories)"
        r"(?: today| this morning| tonight| in [a-z ]+| about [a-z ]+| on [a-z ]+)*",
        r"(?:what is|what are|tell me|give me|read me|read|play|check|what is in) the (?:news|headlines"
        r"|news headlines)(?: today| this morning| tonight| in [a-z ]+| about [a-z ]+| on [a-z ]+)*",
        r"any (?:news|headlines)(?: today| this morning)?",
        r"(?:the )?(?:news|headlines)(?: today| please)?",
        rf"what (?:is happening|is going on|is new|happened|has happened) in the (?:world|news){_NEWS_WHEN}",
        rf"(?:what is|what was) (?:in|on) the news{_NEWS_WHEN}",
        r"what happened today",
    )),
    ("stock prices", "stocks", (
        r"(?:what is|how is|how much is|what are|check|tell me) (?:the )?(?:current )?(?:stock|share) (?:price|value)"
        r" (?:of|for) [a-z0-9' ]+?(?: stock| shares)?(?: today| right now)?",
        r"(?:what is |how much is |check )?[a-z0-9' ]+? (?:stock|share) (?:price|value)(?: today| right now)?",
        r"how (?:is|are) [a-z0-9' ]+? (?:stock|stocks|shares) (?:doing|trading|performing|today)(?: today)?",
        r"(?:how much is|what is|what are) [a-z0-9' ]+? (?:stock|shares) (?:worth|trading at|at)(?: today| right now)?",
        rf"how (?:is|are|did) {_MARKET} (?:doing|do|trading|performing|looking|today)(?: today| right now)?",
        rf"(?:is|are) {_MARKET} up or down(?: today)?",
        rf"how is {_MARKET} today",
    )),
    ("crypto prices", "crypto", (
        rf"(?:what is |check |tell me )?(?:the )?(?:current )?(?:price|value) (?:of|on|for) (?:one |a )?{_CRYPTO}"
        rf"(?: today| right now| in [a-z ]+)?",
        rf"(?:what is |check )?(?:the )?{_CRYPTO} (?:price|value|rate)(?: today| right now| at)?",
        rf"how much (?:is|are|does|do) (?:one |a |an )?{_CRYPTO}(?: worth| cost| going for| trading at| selling for)?"
        rf"(?: today| right now| in [a-z ]+)?",
        rf"(?:what is|how is) {_CRYPTO} (?:worth|at|trading at|doing)(?: today| right now)?",
    )),
    ("market prices", "prices", (
        rf"(?:what is |check |tell me )?(?:the )?(?:current |latest |today )?(?:price|cost|value) (?:of|on|for) "
        rf"(?:an ounce of |a barrel of |a gallon of |a liter of |a litre of )?{_COMMODITY}"
        rf"(?: today| right now| now| at the moment)?",
        rf"(?:what is |check )?(?:the )?(?:current |today )?{_COMMODITY} (?:price|prices)(?: today| right now| now)?",
        rf"how much (?:is|does|do) (?:an ounce of |a barrel of |a gallon of |a liter of |a litre of )?{_COMMODITY}"
        rf"(?: cost| going for| trading at| selling for)?(?: today| right now| now| at the moment)?",
        r"how much is (?:a |one )?share (?:of|in|on) [a-z0-9' ]+?(?: stock)?(?: today| right now| worth)?",
    )),
    ("exchange rates", "exchange", (
        r"(?:what is |check |tell me )?(?:the )?(?:current |latest |today )?(?:exchange|conversion) rates?"
        r"(?: (?:between|from|for|of|on) [a-z ]+)?(?: today)?",
        rf"(?:what is |check )?(?:the )?{_CURRENCY} (?:to|against|versus|vs) {_CURRENCY}(?: rate| exchange rate)?",
        rf"how much is (?:a |one |an )?{_CURRENCY} (?:in|to|worth in) {_CURRENCY}(?: today)?",
        rf"(?:(?:convert|change|what is|how much is) )?(?:{NUMBER_RE} )?{_CURRENCY} (?:in|to|into) {_CURRENCY}",
        rf"how many {_CURRENCY} (?:is|are|for|to|in|make|do i get for) (?:a |one |an |{NUMBER_RE} )?{_CURRENCY}",
        rf"what is (?:the )?{_CURRENCY} (?:worth|at|trading at)(?: against [a-z ]+)?(?: today)?",
    )),
    ("sports results", "sports", (
        rf"who (?:won|is winning|is leading|lost) {_COMPETITIONS}{_RECENT}?",
        rf"who (?:won|lost) [a-z0-9' ]{{2,40}}?{_RECENT}",
        r"(?:what is|what was) the score(?: of [a-z0-9' ]+?)?(?: game| match)?(?: last night| yesterday| today"
        r"| tonight| right now| so far)?",
        rf"did the [a-z' ]{{2,30}}? (?:win|lose)(?: the game| the match| their game)?{_RECENT}?",
        r"(?:the )?(?:latest |live |today )?(?:sports )?scores(?: today| tonight| last night)?",
        r"who is winning(?: the game| the match)?",
    )),
    ("traffic", "traffic", (
        r"(?:how is|what is|check) (?:the )?traffic(?: like)?(?: (?:on|to|in|near|around|for) [a-z0-9' ]+| right now"
        r"| today| this morning| this evening| at the moment)*",
        r"(?:if |whether )?is there (?:any |a lot of |much |heavy |bad )?traffic(?: (?:on|to|in|near|around|for) "
        r"[a-z0-9' ]+| right now| today| this morning| this evening)*",
        r"(?:the )?traffic (?:report|update|conditions|info|information)(?: (?:on|to|in|for) [a-z0-9' ]+| today)*",
        r"(?:is|are) (?:the )?(?:roads?|highways?|freeways?) (?:busy|clear|jammed|congested)(?: right now| today)?",
    )),
)
_COMPILED = tuple((what, tuple(re.compile(p) for p in patterns)) for what, _tool, patterns in _TOPICS)


def answer_live_facts(utterance: Utterance, context: ToolContext) -> ToolAnswer | None:
    """One honest sentence when the request needs live data (a forecast, a price, a score), else None."""
    del context  # nothing here depends on time: there is no data to look up
    for what, patterns in _COMPILED:
        if any(p.fullmatch(utterance.text) for p in patterns):
            return ToolAnswer("live_facts", f"I can't check {what} from here; {_NO_DATA}")
    return None
