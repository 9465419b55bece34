"""Characters and abbreviations: what comes before the numbers (prepare) and what is left after them (tidy)."""

from __future__ import annotations

import html
import re
import unicodedata

_SPACES = re.compile(r"[\u00a0\u2000-\u200a\u202f\u205f\u3000\t\f\v]")
_VULGAR = {
    "½": "1/2", "⅓": "1/3", "⅔": "2/3", "¼": "1/4", "¾": "3/4", "⅕": "1/5", "⅖": "2/5", "⅗": "3/5", "⅘": "4/5",
    "⅙": "1/6", "⅚": "5/6", "⅛": "1/8", "⅜": "3/8", "⅝": "5/8", "⅞": "7/8",
}
_MINUS_SIGN = re.compile(r"(?<=\d)\s*\u2212\s*(?=\d)")
"""The minus sign between numbers is a subtraction (a hyphen there is a range)."""
_VULGAR_RE = re.compile(r"(\d?)([" + "".join(_VULGAR) + "])")
# Minus sign, hyphen, non-breaking hyphen, fraction and division slashes, ordinal and ring look-alikes of the degree.
_LOOKALIKES = str.maketrans({"\u2212": "-", "\u2010": "-", "\u2011": "-", "\u2044": "/", "\u2215": "/", "º": "°",
                             "˚": "°", "…": "..."})
_URL = re.compile(r"\b(?:https?://|www\.)[^\s<>\"')\]]*[^\s<>\"')\].,;:!?]", re.IGNORECASE)
_BARE_DOMAIN = re.compile(r"\b[a-z0-9-]+(?:\.[a-z0-9-]+)*\.(?:com|org|net|io|dev|edu|gov|ai|app|co\.uk|co)\b"
                          r"(?:/\S*[^\s.,;:!?)\]'\"])?")
_EMAIL = re.compile(r"\b([\w.+-]+)@([a-z0-9-]+(?:\.[a-z0-9-]+)+)\b", re.IGNORECASE)
_ABOUT_EQUAL = re.compile(r"(?<=\w)\s+≈\s+")
_TITLES = {"Dr": "Doctor", "Mr": "Mister", "Mrs": "Missus", "Ms": "Miz", "Prof": "Professor", "Mt": "Mount"}
_L, _R = r"(?<![A-Za-z])", r"(?![A-Za-z])"
"""Word edges for abbreviations: a digit next to them is an edge too (``1e.g.``), as it is once numbers are words."""
_TITLE_RE = re.compile(_L + r"(Dr|Mr|Mrs|Ms|Prof|Mt)\.?(?=\s+[A-Z])")
_LATIN = (
    (re.compile(_L + r"e\.\s?g\.", re.IGNORECASE), "for example"),
    (re.compile(_L + r"i\.\s?e\.", re.IGNORECASE), "that is"),
    (re.compile(_L + r"vs?\.(?=\s)|" + _L + "vs" + _R), "versus"),
    (re.compile(_L + r"approx\.(?=\s)"), "approximately"),
    (re.compile(_L + r"w/o" + _R), "without"),
    (re.compile(_L + r"w/(?=\s)"), "with"),
    (re.compile(_L + r"[Nn]o\.\s?(?=\d)|#(?=\d)"), "number "),
)
_ETC = re.compile(_L + r"etc\.(?=(\s*$|\s+[A-Z\"'“]))|" + _L + "etc" + _R + r"\.?", re.IGNORECASE)
_SAID = {
    "&": " and ", "+": " plus ", "=": " equals ", "@": " at ", "±": " plus or minus ", "\u00d7": " times ",
    "÷": " divided by ", "≈": " about ", "≠": " is not ", "≤": " at most ", "≥": " at least ", "°": " degrees ",
    "%": " percent ", "∞": " infinity ", "→": " to ", "²": " squared ", "³": " cubed ", "π": " pi ",
}
_SAID_RE = re.compile(r"={3,}|\+{3,}|[" + re.escape("".join(_SAID)) + "]")
_DROP_ASCII = re.compile(r"[*`#~^|\\<>$¢€£¥₹_\x00-\x08\x0e-\x1f\x7f]")
_PER = re.compile(r"(?<=[\w%$€£])/(month|mo|year|yr|week|wk|day|night|hour|hr|person|head|unit|piece|serving)\b")
_PER_WORDS = {"mo": "month", "yr": "year", "wk": "week", "hr": "hour"}
_WORD_SLASH = re.compile(r"(?<=[a-z]{2})/(?=[a-z]{2})")
_SPACE_BEFORE = re.compile(r"\s+([.,!?;:])")
_PUNCT_RUN = re.compile(r"[.,;:!?](?:\s*[.,;:!?])+")
_LEADING = re.compile(r"^(?:[,;:]+\s*|[-–—]+\s+)+")
"""What may open a piece but says nothing there: a pause mark, or a dash left from a list marker."""
_COMMA_WORD = re.compile(r",(?=[^\W\d_])")
_PLURAL_S = re.compile(r"(?<=[a-z])\(s\)")
_BRACKETS = re.compile(r"\s*([(\[{])\s*|\s*[)\]}]\s*")
_LINE_BREAK = re.compile(r"[ \t]*\n\s*")


def prepare(text: str) -> str:
    """Unicode look-alikes, entities, vulgar fractions, URLs, e-mail addresses and abbreviations to plain text."""
    if "&" in text and ";" in text:
        text = html.unescape(text)
    if not text.isascii():
        text = _MINUS_SIGN.sub(" - ", _SPACES.sub(" ", text)).translate(_LOOKALIKES)
        text = _VULGAR_RE.sub(lambda m: f"{m[1]} {_VULGAR[m[2]]}" if m[1] else _VULGAR[m[2]], text)
    if "@" in text:
        text = _EMAIL.sub(lambda m: f"{m[1].replace('.', ' dot ')} at {_domain_words(m[2])}", text)
    if "/" in text or "www" in text or "." in text:
        text = _URL.sub(lambda m: _domain_words(m[0]), text)
        text = _BARE_DOMAIN.sub(lambda m: _domain_words(m[0]), text)
    if "/" in text:
        text = _PER.sub(lambda m: " per " + _PER_WORDS.get(m[1], m[1]), text.replace("and/or", "and or"))
        text = _WORD_SLASH.sub(" or ", text)
    if "≈" in text:
        text = _ABOUT_EQUAL.sub(" is about ", text)
    text = _TITLE_RE.sub(lambda m: _TITLES[m[1]], text)
    for pattern, words in _LATIN:
        text = pattern.sub(words, text)
    return _ETC.sub(lambda m: "et cetera." if m[1] is not None else "et cetera", text)


def _domain_words(url: str) -> str:
    """``https://www.example.com/a`` -> ``"example dot com"``; a host that is only an address -> ``"a link"``."""
    host = re.sub(r"^(?:https?://)?(?:www\.)?", "", url, flags=re.IGNORECASE).split("/")[0].split("?")[0]
    host = host.split(":")[0].lower()
    if not host or not re.fullmatch(r"[a-z0-9-]+(?:\.[a-z0-9-]+)+", host) or host.replace(".", "").isdigit():
        return "a link"
    return host.replace(".", " dot ").replace("-", " ")


def tidy(text: str) -> str:
    """Say or drop the symbols left, drop emoji, and squash whitespace and punctuation that no longer shape speech."""
    if "\n" in text:
        text = _LINE_BREAK.sub(_line_break, text.strip())
    text = text.replace("/", " ")
    text = _SAID_RE.sub(lambda m: _SAID.get(m[0], " "), text)
    text = _DROP_ASCII.sub(" ", text)
    if not text.isascii():
        text = "".join(ch for ch in text if _kept(ch))
    if "(" in text or ")" in text or "[" in text or "]" in text or "{" in text or "}" in text:
        text = _BRACKETS.sub(_bracket, _PLURAL_S.sub("s", text))
    text = " ".join(text.split())
    text = _SPACE_BEFORE.sub(r"\1", text)
    text = _PUNCT_RUN.sub(_punctuation_run, text)
    text = _COMMA_WORD.sub(", ", text)
    return _LEADING.sub("", text)


def _punctuation_run(match: re.Match[str]) -> str:
    """Marks left side by side: an ellipsis, else ! and ?, else a full stop win over pauses (, ; :)."""
    marks = "".join(match[0].split())
    if "..." in marks:
        return "..."
    ends = "".join(ch for ch in marks if ch in "!?") or ("." if "." in marks else "")
    return ends or marks[0]


def _line_break(match: re.Match[str]) -> str:
    """A line that ends without punctuation (a heading, a list item) still ends with a pause."""
    return " " if match.string[match.start() - 1] in ".,!?;:" else ", "


def _bracket(match: re.Match[str]) -> str:
    """Brackets become comma pauses: "the cost (about five dollars) is" -> "the cost, about five dollars, is"."""
    if match[1] or match.end() < len(match.string):
        return ", "
    return ""


def _kept(ch: str) -> bool:
    """Letters, digits, marks, punctuation and spaces stay; emoji, symbols and format characters go."""
    if ch.isascii():
        return True
    category = unicodedata.category(ch)
    return category[0] in "LMNPZ" and ch not in "•·‣◦"
