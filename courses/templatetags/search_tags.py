"""Search highlighting for templates: {% load search_tags %}.

{{ page.title|highlight:search_query }}
{% search_excerpt page search_query as passage %}{% if passage %}<p>{{ passage }}</p>{% endif %}
"""

from django import template

from courses.search import excerpt, highlight


register = template.Library()


@register.filter(name="highlight")
def highlight_filter(text, query):
    """The text, escaped, with the words that the query matches in <mark>."""
    return highlight(text, query)


@register.simple_tag
def search_excerpt(page, query):
    """A highlighted passage of the page's text around the first word the query matches, or ""."""
    return excerpt(page, query)
