from django.core.paginator import Paginator
from django.template.response import TemplateResponse

from wagtail.models import Page

from .models import CaseStudyPage, CoursePage, LessonPage
from .search import MAX_QUERY_LENGTH, query_words, search_pages


SEARCHABLE_PAGE_TYPES = (LessonPage, CaseStudyPage, CoursePage)
RESULTS_PER_PAGE = 10


def search(request):
    """Site search over courses, lessons and case studies that anyone may see.

    The query is shown back as typed; only its words are searched for (courses.search)."""
    query = request.GET.get("query", "").strip()[:MAX_QUERY_LENGTH]
    results_page = None
    if query_words(query):
        results = search_pages(Page.objects.live().public().type(*SEARCHABLE_PAGE_TYPES), query)
        results_page = Paginator(results, RESULTS_PER_PAGE).get_page(request.GET.get("page"))
        # One query per page type to show each result's summary, instead of one per result.
        specific = {page.pk: page for page in Page.objects.filter(pk__in=[r.pk for r in results_page]).specific()}
        results_page.object_list = [specific[r.pk] for r in results_page if r.pk in specific]
    return TemplateResponse(request, "search/search.html", {"search_query": query, "results": results_page})
