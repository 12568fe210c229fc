"""A secretary signs in, accepts the personal-data notice, and downloads a copy of their data from /my/."""

import json
import re

import pytest

from wagtail.models import Site

from progress.services import enrolment_start, lesson_mark_complete
from school.factories import UserFactory
from school.models import ConsentRecord, PersonalDataNotice


pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_login_consent_dashboard_and_download(live_server, phone_page, course_tree):
    learner = UserFactory(username="secretary", full_name="Анна Петрова")
    enrolment_start(learner=learner, course=course_tree.course)
    lesson_mark_complete(learner=learner, lesson=course_tree.lesson_one)
    notice = PersonalDataNotice.for_site(Site.objects.get(is_default_site=True))
    notice.version = "2026-01"
    notice.text = "<p>Школа обрабатывает ФИО, регион и ход обучения.</p>"
    notice.save()
    page = phone_page
    base = live_server.url

    # Signing in leads to the notice first.
    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=username]", "secretary")
    page.fill("input[name=password]", "password")
    page.locator("main form button[type=submit]").click()
    page.wait_for_url("**/accounts/consent/**")
    assert "Школа обрабатывает ФИО" in page.content()

    # Accepting leads on to the dashboard; the date and the version are kept.
    page.get_by_role("checkbox").check()
    page.get_by_role("button", name=re.compile("Принять|Accept")).click()
    page.wait_for_url("**/my/")
    [record] = ConsentRecord.objects.filter(user=learner)
    assert record.version == "2026-01"

    # The dashboard's link downloads the export, a readable JSON file.
    with page.expect_download() as download_info:
        page.get_by_role("link", name=re.compile("Скачать мои данные|Download my data")).click()
    download = download_info.value
    assert download.suggested_filename.startswith(f"personal-data-{learner.pk}-")
    with open(download.path(), encoding="utf-8") as export_file:
        data = json.load(export_file)
    assert data["profile"]["full_name"] == "Анна Петрова"
    assert [row["lesson"] for row in data["lesson_completions"]] == [course_tree.lesson_one.title]
    assert data["consents"][0]["version"] == "2026-01"
