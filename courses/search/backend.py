"""The site's search backend: Wagtail's database backend, fed with normalised words.

Set as WAGTAILSEARCH_BACKENDS["default"]["BACKEND"] = "courses.search.backend". Pages and
queries are reduced to the tokens of courses.search.text before either database sees them,
so SQLite and PostgreSQL match the same pages, and pages are ranked by one rule on both:
query words in the title first, then how often they occur in the rest of the page.

Changing how words are normalised changes the stored tokens: run `manage.py update_index`.
"""

from django.db import connection


def SearchBackend(params):
    """The backend for the default database, chosen the way Wagtail's own database backend chooses."""
    if connection.vendor == "postgresql":
        from .postgres import PostgresSearchBackend

        return PostgresSearchBackend(params)
    if connection.vendor == "sqlite":
        from .sqlite import SQLiteSearchBackend

        return SQLiteSearchBackend(params)
    raise NotImplementedError(f"The site search supports SQLite and PostgreSQL, not {connection.vendor}.")
