"""Hooks of the practice exchange: a practice's reader is counted for "most read", and a new
case-study library gets the review workflow of submitted practices."""

from wagtail import hooks

from .models import CaseStudyIndexPage, CaseStudyPage
from .practices import case_study_read_record, case_study_review_setup


@hooks.register("before_serve_page")
def record_case_study_read(page, request, serve_args, serve_kwargs):
    if isinstance(page, CaseStudyPage):
        case_study_read_record(reader=request.user, page=page)


@hooks.register("after_create_page")
def give_new_library_the_review(request, page):
    if isinstance(page.specific, CaseStudyIndexPage):
        case_study_review_setup(index=page)
