"""Markdown and list markup removed, the words kept: what a reader sees as layout is not read aloud."""

from __future__ import annotations

import re

_FENCE = re.compile(r"^[ \t]*(?:```|~~~)[\w+.-]*[ \t]*$", re.MULTILINE)
_RULE = re.compile(r"^[ \t]*(?:[-*_][ \t]*){3,}$", re.MULTILINE)
_TABLE_SEPARATOR = re.compile(r"^[ \t]*\|?(?:[ \t]*:?-{2,}:?[ \t]*\|)+[ \t]*(?::?-{2,}:?)?[ \t]*$", re.MULTILINE)
_TABLE_EDGES = re.compile(r"^[ \t]*\|[ \t]*|[ \t]*\|[ \t]*$", re.MULTILINE)
_TABLE_CELL = re.compile(r"[ \t]*\|[ \t]*")
_HEADING = re.compile(r"^[ \t]*#{1,6}[ \t]+(.*?)[ \t#]*$", re.MULTILINE)
_SETEXT = re.compile(r"^[ \t]*(?:=+|-+)[ \t]*$", re.MULTILINE)
_QUOTE = re.compile(r"^[ \t]*(?:>(?![ \t]*[\d$€£~.])[ \t]?)+", re.MULTILINE)  # not ">5 ms": that is "more than"
_LINE_MARKER = re.compile(
    r"^[ \t]*(?:(?:[-*+•▪◦‣·●○■□►▶➤✓✔☐☑][ \t]+)|(?:(?:\(\d{1,2}\)|\d{1,3}[.)])[ \t]+)"
    r"|(?:\(?[a-zA-Z]\)[ \t]+)|(?:\[[ xX]\][ \t]+))+",
    re.MULTILINE,
)
# "1. " inside a line where the text was flattened: only after a sentence end and before a capitalised word.
_INLINE_NUMBER = re.compile(r"(?<=[.!?:])([ \t]+)\(?\d{1,2}[.)][ \t]+(?=[*_\[`\"'“]*[A-Z])")
_IMAGE = re.compile(r"!\[([^\]\n]*)\]\([^)\n]*\)")
_LINK = re.compile(r"\[([^\]\n]+)\](?:\([^)\n]*\)|\[[^\]\n]*\])")
_FOOTNOTE = re.compile(r"\[\^[^\]\n]*\]|\[\d{1,3}\]")
_AUTOLINK = re.compile(r"<((?:https?://|mailto:|www\.)[^>\s]+)>")
_HTML_TAG = re.compile(
    r"</?(?:a|b|i|u|s|em|strong|br|p|div|span|code|pre|ul|ol|li|h[1-6]|sup|sub|small|mark|del|ins|hr|img|table|tr|td|th"
    r"|blockquote)\b(?:\s[^<>\n]*=[^<>\n]*)?\s*/?>",  # attributes only with "=": "<b and c>" is no tag
    re.IGNORECASE,
)
_BOLD = re.compile(r"(\*\*|__)(?=\S)(.+?)(?<=\S)\1")
_STRIKE = re.compile(r"~~(?=\S)(.+?)(?<=\S)~~")
_EM_STAR = re.compile(r"(?<![\w*])\*(?=[^\s*])(.+?)(?<=[^\s*])\*(?![\w*])")
_EM_UNDERSCORE = re.compile(r"(?<![\w_])_(?=[^\s_])(.+?)(?<=[^\s_])_(?![\w_])")
_CODE = re.compile(r"`+([^`\n]*)`+")
_MARKS = frozenset("*_`#>[]|~<!")


def strip_markup(text: str) -> str:
    """Remove markdown (emphasis, code, headings, quotes, bullets, list numbers, links, tables); keep the words.

    Line breaks are kept, so that a caller can still tell one list item from the next.
    """
    if not _MARKS.intersection(text) and not _has_line_marker(text):
        return text
    text = _FENCE.sub("", text)
    text = _TABLE_SEPARATOR.sub("", text)
    text = _RULE.sub("", text)
    text = _SETEXT.sub("", text)
    text = _HEADING.sub(r"\1", text)
    if "|" in text:
        text = _TABLE_CELL.sub(", ", _TABLE_EDGES.sub("", text))
    text = _QUOTE.sub("", text)
    text = _LINE_MARKER.sub("", text)
    text = _INLINE_NUMBER.sub(r"\1", text)
    text = _IMAGE.sub(r"\1", text)
    text = _LINK.sub(r"\1", text)
    text = _FOOTNOTE.sub("", text)
    text = _AUTOLINK.sub(r"\1", text)
    text = _HTML_TAG.sub(" ", text)
    for _ in range(2):  # nested emphasis: ***both*** or **bold _and em_**
        text = _BOLD.sub(r"\2", text)
        text = _STRIKE.sub(r"\1", text)
        text = _EM_STAR.sub(r"\1", text)
        text = _EM_UNDERSCORE.sub(r"\1", text)
    return _LINE_MARKER.sub("", _CODE.sub(r"\1", text))  # "**1.** Mix" is a list marker once the stars are gone


def _has_line_marker(text: str) -> bool:
    return _LINE_MARKER.search(text) is not None or _INLINE_NUMBER.search(text) is not None
