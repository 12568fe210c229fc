"""What the site's search backends on SQLite and PostgreSQL share (courses.search.backend): queries
and pages reduced to the tokens of courses.search.text, and one ranking rule."""

from modelsearch.utils import get_content_type_pk

from django.db.models import Case, IntegerField, TextField, Value, When
from django.db.models.functions import Cast, Coalesce, Concat, Least, Length, Replace
from django.db.models.lookups import Contains

from wagtail.search.index import AutocompleteField, RelatedFields
from wagtail.search.query import MATCH_NONE, And, Boost, Not, Or, Phrase, PlainText

from . import text


# A query word in the title outweighs any number of occurrences in the rest of the page.
TITLE_WEIGHT = 1000
MAX_BODY_OCCURRENCES = TITLE_WEIGHT - 1


def normalise_query(query, normalise_words, normalise_phrase):
    """The same query with its words as index tokens; a query left without words matches nothing."""
    if isinstance(query, PlainText):
        tokens = normalise_words(query.query_string)
        return PlainText(tokens, operator=query.operator) if tokens else MATCH_NONE
    if isinstance(query, Phrase):
        tokens = normalise_phrase(query.query_string)
        return Phrase(tokens) if tokens else MATCH_NONE
    if isinstance(query, (And, Or)):
        return type(query)(
            [normalise_query(subquery, normalise_words, normalise_phrase) for subquery in query.subqueries]
        )
    if isinstance(query, Not):
        return Not(normalise_query(query.subquery, normalise_words, normalise_phrase))
    if isinstance(query, Boost):
        return Boost(normalise_query(query.subquery, normalise_words, normalise_phrase), query.boost)
    return query


def search_tokens(query_string):
    return " ".join(text.query_stems(query_string))


def phrase_tokens(query_string):
    """A phrase keeps every word, in order: its tokens must stand next to each other in the page."""
    return " ".join(text.stem(word) for word in text.words(query_string[: text.MAX_QUERY_LENGTH]))


def autocomplete_tokens(query_string):
    return text.autocomplete_tokens(query_string[: text.MAX_QUERY_LENGTH])


def positive_tokens(query):
    """The tokens a page is ranked by: those of the query's words that are not negated."""
    if isinstance(query, (PlainText, Phrase)):
        return query.query_string.split()
    if isinstance(query, (And, Or)):
        return [token for subquery in query.subqueries for token in positive_tokens(subquery)]
    if isinstance(query, Boost):
        return positive_tokens(query.subquery)
    return []


def padded(column):
    """A column of index tokens with a space at each end, so that " token " finds its first and last words."""
    return Concat(
        Value(" "), Coalesce(column, Value(""), output_field=TextField()), Value(" "), output_field=TextField()
    )


def occurrences(column, token):
    """How many times a token occurs in a column of index tokens (the same SQL on both databases)."""
    needle = f" {token} "
    return (Length(padded(column)) - Length(Replace(padded(column), Value(needle), Value("")))) / Value(len(needle))


def relevance(query, title, body):
    """Higher is better: TITLE_WEIGHT for each query word in the title, plus the occurrences in the body."""
    tokens = list(dict.fromkeys(positive_tokens(query)))
    if not tokens:
        # Cast: a bare 0 in ORDER BY would be read as a column position by PostgreSQL.
        return Cast(Value(0), output_field=IntegerField())
    in_title = [
        Case(When(Contains(padded(title), f" {token} "), then=Value(TITLE_WEIGHT)), default=Value(0))
        for token in tokens
    ]
    in_body = [occurrences(body, token) for token in tokens]
    return sum(in_title[1:], in_title[0]) + Least(
        sum(in_body[1:], in_body[0]), Value(MAX_BODY_OCCURRENCES), output_field=IntegerField()
    )


class NormalisedQueryMixin:
    """Turns the query's words into index tokens before the backend builds its SQL."""

    normalise_words = staticmethod(search_tokens)
    normalise_phrase = staticmethod(phrase_tokens)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.query = normalise_query(self.query, self.normalise_words, self.normalise_phrase)


class NormalisingIndexerMixin:
    """Indexes each searchable field's text as tokens (autocomplete fields folded, the others stemmed)."""

    def prepare_field(self, obj, field):
        for prepared in super().prepare_field(obj, field):
            if isinstance(field, RelatedFields):
                # The related object's own fields went through this method already.
                yield prepared
                continue
            current_field, *rest, value = prepared
            if isinstance(current_field, AutocompleteField):
                yield (current_field, *rest, text.autocomplete_tokens(value))
            else:
                yield (current_field, *rest, text.index_tokens(value))


class NormalisingIndexMixin:
    """Stores normalised tokens: the backend's own indexing runs first, then its entries are rewritten.

    The backend's indexer class is not replaceable on its own, and rewriting the entries keeps the
    backend's insert, update and title-norm logic as it is."""

    indexer_class = None

    def entry_values(self, indexer):
        raise NotImplementedError

    def add_items(self, model, objs):
        super().add_items(model, objs)
        if not model.get_search_fields():
            return
        entries = self.entries.filter(content_type_id=get_content_type_pk(model))
        for obj in objs:
            indexer = self.indexer_class(obj, self.backend)
            entries.filter(object_id=indexer.id).update(**self.entry_values(indexer))
