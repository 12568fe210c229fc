"""The site's search backend on PostgreSQL: see courses.search.backend."""

from modelsearch.backends.database.postgres import postgres

from django.db.models import F

from .normalising import (
    NormalisedQueryMixin,
    NormalisingIndexerMixin,
    NormalisingIndexMixin,
    autocomplete_tokens,
    relevance,
)


class PostgresObjectIndexer(NormalisingIndexerMixin, postgres.ObjectIndexer):
    pass


class PostgresIndex(NormalisingIndexMixin, postgres.PostgresIndex):
    indexer_class = PostgresObjectIndexer

    def entry_values(self, indexer):
        return {
            "title": indexer.title,
            "body": indexer.body,
            "autocomplete": indexer.autocomplete,
            "title_text": indexer.title_text,
            "body_text": indexer.body_text,
        }


class PostgresSearchQueryCompiler(NormalisedQueryMixin, postgres.PostgresSearchQueryCompiler):
    def _build_rank_expression(self, vectors, config):
        return relevance(self.query, title=F("index_entries__title_text"), body=F("index_entries__body_text"))


class PostgresAutocompleteQueryCompiler(NormalisedQueryMixin, postgres.PostgresAutocompleteQueryCompiler):
    normalise_words = staticmethod(autocomplete_tokens)


class PostgresSearchBackend(postgres.PostgresSearchBackend):
    query_compiler_class = PostgresSearchQueryCompiler
    autocomplete_query_compiler_class = PostgresAutocompleteQueryCompiler
    index_class = PostgresIndex

    def __init__(self, params):
        super().__init__(params)
        # Words arrive already folded and stemmed: PostgreSQL only splits them ("simple"), a
        # language configuration would stem the stems again.
        self.config = "simple"
