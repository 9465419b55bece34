"""``for_speech``: reply text rewritten as the words a person would say, in ordered passes.

The order matters; each pass sees the text the ones before it left:

1. markup: markdown, lists, links and tables go, their words stay (``strip_markup``);
2. characters and abbreviations: look-alike characters, entities, vulgar fractions, URLs and e-mail addresses,
   titles before names (Dr. Smith), e.g. / i.e. / etc. / vs.;
3. digit strings with their own reading, before anything can take them apart: phone numbers, then dates
   (ISO, 3/15/2024, March 3, 3 March, May 2024), then year ranges (1939-1945);
4. signs: the hyphen of a range (5-10 -> 5 to 10), a leading minus (-5 -> minus 5), COVID-19 -> COVID 19;
5. clock times (3:05 PM, 7am, 14:30) and ratios (16:9);
6. operators between numbers (3 x 4, 10 / 2, 2^10, <5, ~5);
7. money, then percents, degrees and units, each with the number before it;
8. decades (1990s, '80s), ordinals (21st), years where the words before say so (in 1969), fractions (3/4);
9. every number still in digits, as a cardinal or a decimal;
10. the symbols left (+ = & @ %) said or dropped, emoji dropped, brackets as comma pauses, line breaks as pauses,
    whitespace squashed.

Only steps 1, 2 and 10 run on text without digits. Already spoken text passes through unchanged.
"""

from __future__ import annotations

from app.spoken import amounts, datetimes, markup, symbols

_NUMERIC_PASSES = (
    datetimes.phones,
    datetimes.dates,
    datetimes.year_ranges,
    amounts.signs,
    datetimes.times,
    amounts.arithmetic,
    amounts.money,
    amounts.measures,
    datetimes.decades,
    datetimes.ordinals,
    datetimes.years,
    amounts.fractions,
    amounts.remaining_numbers,
)


def for_speech(text: str) -> str:
    """Rewrite one piece of reply text (a clause or a whole reply) as the words to be spoken."""
    text = symbols.prepare(markup.strip_markup(text))
    if any(ch.isdigit() for ch in text):
        for spoken in _NUMERIC_PASSES:
            text = spoken(text)
    return symbols.tidy(text)
