"""The site's search backend on SQLite (FTS5): see courses.search.backend."""

from modelsearch.backends.database.sqlite import sqlite

from django.db.models import F

from .normalising import (
    NormalisedQueryMixin,
    NormalisingIndexerMixin,
    NormalisingIndexMixin,
    autocomplete_tokens,
    relevance,
)


class SQLiteObjectIndexer(NormalisingIndexerMixin, sqlite.ObjectIndexer):
    pass


class SQLiteIndex(NormalisingIndexMixin, sqlite.SQLiteIndex):
    indexer_class = SQLiteObjectIndexer

    def entry_values(self, indexer):
        return {"title": indexer.title, "body": indexer.body, "autocomplete": indexer.autocomplete}


class SQLiteSearchQueryCompiler(NormalisedQueryMixin, sqlite.SQLiteSearchQueryCompiler):
    def _build_rank_expression(self, vectors, config):
        # The backend orders SQLite results by ascending score (FTS5's bm25 is lower for better
        # matches), so the shared relevance is negated.
        return -relevance(self.query, title=F("index_entry__title"), body=F("index_entry__body"))


class SQLiteAutocompleteQueryCompiler(NormalisedQueryMixin, sqlite.SQLiteAutocompleteQueryCompiler):
    normalise_words = staticmethod(autocomplete_tokens)


class SQLiteSearchBackend(sqlite.SQLiteSearchBackend):
    query_compiler_class = SQLiteSearchQueryCompiler
    autocomplete_query_compiler_class = SQLiteAutocompleteQueryCompiler
    index_class = SQLiteIndex
