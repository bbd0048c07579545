"""Keywords suggested from free-text answers, for staff to consider as themes.

A suggestion is only a word many people used: "waiting", "waited" and "wait" count as one
(by their English stem), shown as the form people wrote most. What counts is how many
answers use a word, not how often, so one long answer cannot make a theme on its own.
"""

import re
from collections import Counter, defaultdict
from collections.abc import Iterable

import snowballstemmer

MIN_LETTERS = 3

STOPWORDS: frozenset[str] = frozenset({
    "a", "about", "above", "after", "again", "against", "all", "also", "am", "an", "and",
    "any", "are", "aren't", "as", "at", "be", "because", "been", "before", "being", "below",
    "between", "both", "but", "by", "can", "can't", "cannot", "could", "couldn't", "did",
    "didn't", "do", "does", "doesn't", "doing", "don't", "down", "during", "each", "even",
    "ever", "every", "few", "for", "from", "further", "get", "got", "had", "hadn't", "has",
    "hasn't", "have", "haven't", "having", "he", "he'd", "he'll", "he's", "her", "here",
    "hers", "herself", "him", "himself", "his", "how", "i", "i'd", "i'll", "i'm", "i've",
    "if", "in", "into", "is", "isn't", "it", "it's", "its", "itself", "just", "let's", "me",
    "might", "more", "most", "much", "must", "mustn't", "my", "myself", "no", "nor", "not",
    "now", "of", "off", "on", "once", "only", "or", "other", "ought", "our", "ours",
    "ourselves", "out", "over", "own", "quite", "really", "same", "shan't", "she", "she'd",
    "she'll", "she's", "should", "shouldn't", "so", "some", "still", "such", "than", "that",
    "that's", "the", "their", "theirs", "them", "themselves", "then", "there", "there's",
    "these", "they", "they'd", "they'll", "they're", "they've", "this", "those", "though",
    "through", "to", "too", "under", "until", "up", "us", "very", "was", "wasn't", "we",
    "we'd", "we'll", "we're", "we've", "were", "weren't", "what", "what's", "when", "where",
    "which", "while", "who", "whom", "why", "will", "with", "won't", "would", "wouldn't",
    "yet", "you", "you'd", "you'll", "you're", "you've", "your", "yours", "yourself",
})

_PLACEHOLDER = re.compile(r"\[[^\[\]]*\]")
_WORD = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)*")


def suggest_keywords(texts: Iterable[str], limit: int = 10) -> list[tuple[str, int]]:
    """The `limit` words used in the most texts, with how many texts used them."""
    # A stemmer keeps state between calls, so each call has its own rather than sharing one.
    stemmer = snowballstemmer.stemmer("english")
    used_in: Counter[str] = Counter()
    forms: defaultdict[str, Counter[str]] = defaultdict(Counter)
    texts = list(texts)
    for text in texts:
        words = _words_of(text)
        stems = [str(s) for s in stemmer.stemWords(words)]
        used_in.update(set(stems))
        for stem, word in zip(stems, words, strict=True):
            forms[stem][word] += 1
    at_least = 1 if len(texts) == 1 else 2
    suggested = [(_commonest(forms[stem]), n) for stem, n in used_in.items() if n >= at_least]
    return sorted(suggested, key=lambda pair: (-pair[1], pair[0]))[:limit]


def _words_of(text: str) -> list[str]:
    text = _PLACEHOLDER.sub(" ", text.lower().replace("\u2019", "'"))
    return [w for w in _WORD.findall(text) if len(w) >= MIN_LETTERS and w not in STOPWORDS]


def _commonest(forms: Counter[str]) -> str:
    return min(forms, key=lambda form: (-forms[form], form))
