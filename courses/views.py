import re

from django.core.paginator import Paginator
from django.template.response import TemplateResponse

from wagtail.models import Page

from .models import CaseStudyPage, CoursePage, LessonPage


SEARCHABLE_PAGE_TYPES = (LessonPage, CaseStudyPage, CoursePage)
RESULTS_PER_PAGE = 10
MAX_QUERY_LENGTH = 200


def clean_search_query(raw):
    """Lower-case words only: quotes, symbols and upper-case AND/OR/NOT are full-text syntax to the backends."""
    return " ".join(re.sub(r"[\W_]+", " ", raw[:MAX_QUERY_LENGTH]).lower().split())


def search(request):
    """Site search over courses, lessons and case studies that anyone may see."""
    query = clean_search_query(request.GET.get("query", ""))
    results_page = None
    if query:
        results = Page.objects.live().public().type(*SEARCHABLE_PAGE_TYPES).search(query)
        results_page = Paginator(results, RESULTS_PER_PAGE).get_page(request.GET.get("page"))
        # One query per page type to show each result's summary, instead of one per result.
        specific = {page.pk: page for page in Page.objects.filter(pk__in=[r.pk for r in results_page]).specific()}
        results_page.object_list = [specific[r.pk] for r in results_page if r.pk in specific]
    return TemplateResponse(request, "search/search.html", {"search_query": query, "results": results_page})
