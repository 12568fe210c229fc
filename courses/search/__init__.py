"""Full-text search over pages: one ranking and one highlighting for every search on the site.

    search_pages(queryset, query) -> ranked results (slice and count them, or give them to a Paginator)
    highlight(text, query) -> the text, escaped, with the query's words in <mark>
    excerpt(page, query) -> a passage of the page's text around the first query word, highlighted

SQLite and PostgreSQL find and order the same pages: see courses.search.backend.
"""

import html
import re

from django.utils.html import escape, strip_tags
from django.utils.safestring import mark_safe

from wagtail.search.index import SearchField

from .text import MAX_QUERY_LENGTH, query_stems, query_words, stem


__all__ = ["MAX_QUERY_LENGTH", "excerpt", "highlight", "query_words", "search_pages"]

# Words as they are written, stress marks included, so that a highlighted word keeps its marks.
WRITTEN_WORD_RE = re.compile(r"[^\W_](?:[^\W_]|[\u0300-\u036f])*")
EXCERPT_LENGTH = 240


def search_pages(queryset, query):
    """The pages of `queryset` that contain every word of `query`, best first.

    `queryset` is any queryset of an indexed model, filtered in any way (e.g.
    `CaseStudyPage.objects.live().public().child_of(index).filter(topics=topic)`); its own ordering
    is replaced by relevance. `query` is the text as the user typed it: word forms, "ё"/"е", letter
    case and punctuation do not matter. Pages with query words in their title come before pages
    that only mention them, then pages that mention them more often.

    Returns Wagtail search results (slice, count, or pass to a Paginator), or an empty queryset if
    the query has no words.
    """
    words = query_words(query)
    if not words:
        return queryset.none()
    # The backend refuses filters on fields that are not FilterFields (a case study's topics, a
    # region's code): the caller's filters are applied as a subquery of ids instead.
    candidates = queryset.model._default_manager.filter(pk__in=queryset.order_by().values("pk"))
    return candidates.search(" ".join(words), operator="and")


def _marked(text, stems):
    parts = []
    position = 0
    for match in WRITTEN_WORD_RE.finditer(text):
        parts.append(escape(text[position : match.start()]))
        word = match.group()
        parts.append(f"<mark>{escape(word)}</mark>" if stem(word) in stems else escape(word))
        position = match.end()
    parts.append(escape(text[position:]))
    return "".join(parts)


def highlight(text, query):
    """`text` escaped, with each word that the query's words match (in any form) in <mark>."""
    stems = set(query_stems(query))
    return mark_safe(_marked(str(text or ""), stems))  # noqa: S308 - every part is escaped


def page_text(page, skip_fields=("title", "summary")):
    """The searchable text of a page, as the index sees it, without the fields that a result shows anyway."""
    texts = []
    for field in page.get_search_fields():
        if not isinstance(field, SearchField) or field.field_name in skip_fields:
            continue
        value = field.get_value(page)
        if isinstance(value, (list, tuple)):
            texts.extend(str(item) for item in value if item)
        elif value:
            texts.append(str(value))
    # Rich text is indexed without its tags; what is left may still hold entities such as &nbsp;.
    return " ".join(html.unescape(strip_tags(" ".join(texts))).split())


def excerpt(page, query, length=EXCERPT_LENGTH):
    """About `length` characters of the page's text around the first word the query matches,
    highlighted; empty if the page's text (other than its title and summary, which results show
    on their own) has none."""
    stems = set(query_stems(query))
    text = page_text(page)
    first = next((match for match in WRITTEN_WORD_RE.finditer(text) if stem(match.group()) in stems), None)
    if first is None:
        return ""
    start = max(0, first.start() - length // 3)
    if start:
        # Start at a word boundary, not inside a word.
        space = text.find(" ", start, first.start())
        start = space + 1 if space != -1 else first.start()
    end = min(len(text), start + length)
    if end < len(text):
        space = text.rfind(" ", first.end(), end)
        end = space if space != -1 else end
    before = "… " if start else ""
    after = " …" if end < len(text) else ""
    return mark_safe(before + _marked(text[start:end], stems) + after)  # noqa: S308 - every part is escaped
