"""Reply text as it should be spoken: markup removed, numbers, times, dates, money and symbols in words."""

from __future__ import annotations

from app.spoken.markup import strip_markup
from app.spoken.normalize import for_speech
from app.spoken.numbers import number_words, ordinal_words, year_words

__all__ = ["for_speech", "number_words", "ordinal_words", "strip_markup", "year_words"]
