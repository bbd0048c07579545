"""Words as the learning library searches them: lower case, stemmed ("discharged" finds
"discharge"), without the little words every text has."""

import re

import snowballstemmer

from feedback.text.themes import STOPWORDS

MAX_TERM = 60
_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")
_stemmer = snowballstemmer.stemmer("english")


def terms_of(text: str) -> set[str]:
    words = [w for w in _WORD.findall(text.lower()) if w not in STOPWORDS and len(w) > 1]
    return {stem[:MAX_TERM] for stem in _stemmer.stemWords(words)}
