"""Words as the search index stores them: one normalisation for pages and for queries.

PostgreSQL's "russian" configuration and SQLite's FTS5 tokenizer split, fold and stem words
differently, so the same query would find different pages on each database. Instead, the text
is normalised here, in Python, the same way for both: words are lower-cased, "ё" is folded to
"е", and each word is reduced to its Snowball stem (Russian for Cyrillic words, English for
Latin ones; Snowball is also what PostgreSQL's "russian" dictionary uses). The databases then
only match ready-made tokens.
"""

import re
import threading
import unicodedata
from functools import lru_cache

import snowballstemmer


WORD_RE = re.compile(r"[^\W_]+")
# Stress marks and other combining marks left after NFC are not separators: "прие́м" is one word.
COMBINING_MARK_RE = re.compile(r"[\u0300-\u036f]")
CYRILLIC_RE = re.compile(r"[\u0400-\u04ff]")

# A query is cut to this many characters and words: longer ones are pasted text, not searches.
MAX_QUERY_LENGTH = 200
MAX_QUERY_WORDS = 10
# A "word" longer than this is not language (hashes, runs of one letter): it is kept unstemmed.
MAX_STEMMED_WORD_LENGTH = 60

# Typed in capitals, these are operators people bring from web search engines, not words to find.
SEARCH_ENGINE_OPERATORS = frozenset({"AND", "OR", "NOT", "NEAR"})

# Prepositions, conjunctions and pronouns. Snowball cuts some content words down to one of them ("приём" to
# "при"): such a word keeps its folded form, or it would match every page with the preposition.
_FUNCTION_WORDS = """
    а без бы в во вы да для до его ее ей ему же за и из или им их к как ко ли мы на над не него нее ни них но
    о об он она они оно от по под при про с со так то том тот ту у уж уже что чем это я
"""
FUNCTION_WORDS = frozenset(_FUNCTION_WORDS.split())

_stemmers = threading.local()


def _stemmer(language):
    # Snowball stemmer objects keep state between calls: one per thread.
    stemmers = getattr(_stemmers, "by_language", None)
    if stemmers is None:
        stemmers = _stemmers.by_language = {}
    if language not in stemmers:
        stemmers[language] = snowballstemmer.stemmer(language)
    return stemmers[language]


def fold(word):
    """Lower case, "ё" as "е", and no accents on Latin letters ("café" as "cafe")."""
    word = word.lower().replace("ё", "е")
    if word.isascii() or CYRILLIC_RE.search(word):
        return word
    # Only Latin words lose their marks: in Cyrillic, "й" is a letter of its own, not an accented "и".
    return "".join(char for char in unicodedata.normalize("NFKD", word) if not unicodedata.combining(char))


@lru_cache(maxsize=65536)
def stem(word):
    """The index token of one word: folded, then reduced to its Snowball stem."""
    word = fold(word)
    if len(word) > MAX_STEMMED_WORD_LENGTH or word.isdigit():
        return word
    stemmed = _stemmer("russian" if CYRILLIC_RE.search(word) else "english").stemWord(word)
    return word if stemmed in FUNCTION_WORDS and word not in FUNCTION_WORDS else stemmed


def words(text):
    """The words of a text, as written: punctuation and full-text syntax characters are separators."""
    return WORD_RE.findall(COMBINING_MARK_RE.sub("", unicodedata.normalize("NFC", text or "")))


def index_tokens(text):
    """A text as index tokens, padded so that " token " finds every whole occurrence
    (tokens are two spaces apart, so neighbouring occurrences do not share a space)."""
    tokens = [stem(word) for word in words(text)]
    return f" {'  '.join(tokens)} " if tokens else ""


def autocomplete_tokens(text):
    """Autocomplete matches the beginnings of words as typed, so its words are folded, not stemmed."""
    return " ".join(fold(word) for word in words(text))


def query_words(query):
    """The words of a typed query that are searched for: at most MAX_QUERY_WORDS of the first
    MAX_QUERY_LENGTH characters, each once, without the operators of web search engines."""
    seen = set()
    result = []
    for word in words((query or "")[:MAX_QUERY_LENGTH]):
        if word in SEARCH_ENGINE_OPERATORS:
            continue
        if stem(word) not in seen:
            seen.add(stem(word))
            result.append(word)
    return result[:MAX_QUERY_WORDS]


def query_stems(query):
    return [stem(word) for word in query_words(query)]
