"""A survey comment's mood, only when it is clear: "negative", "positive" or None.

Lexicon libraries that ship their word lists and need no download: VADER for English,
SnowNLP for Chinese (chosen by whether the comment has CJK characters). Both are weak on
short or neutral text, so only strong scores count: an unclear comment says nothing.
"""

from __future__ import annotations

import re
from functools import cache

# VADER's compound score runs -1..1; its authors call |0.05| the neutral band, we want "clearly"
VADER_CLEAR = 0.5
# SnowNLP gives P(positive), trained on shopping reviews: neutral sentences land anywhere in the
# middle, so only the far ends count
SNOWNLP_NEGATIVE, SNOWNLP_POSITIVE = 0.05, 0.9
CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


@cache
def _vader():
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    return SentimentIntensityAnalyzer()


def mood(comment: str | None) -> str | None:
    text = (comment or "").strip()
    if not text:
        return None
    if CJK.search(text):
        from snownlp import SnowNLP  # loads its model on first use; imported only when needed

        score = SnowNLP(text).sentiments
        if score <= SNOWNLP_NEGATIVE:
            return "negative"
        return "positive" if score >= SNOWNLP_POSITIVE else None
    compound = _vader().polarity_scores(text)["compound"]
    if compound <= -VADER_CLEAR:
        return "negative"
    return "positive" if compound >= VADER_CLEAR else None
