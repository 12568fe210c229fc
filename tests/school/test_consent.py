"""Consent to the personal-data processing notice: asked at the first visit after login, stored with its date
and version, asked again for a new version; the admin, files and JSON endpoints are not held up."""

import json

import pytest

from django.contrib.auth.models import Group
from django.db import connection
from django.test.utils import CaptureQueriesContext

from wagtail.models import Site

from school.factories import UserFactory
from school.models import ConsentRecord, PersonalDataNotice


pytestmark = pytest.mark.django_db

CONSENT = "/accounts/consent/"
NOTICE_TEXT = "<p>Школа обрабатывает ФИО, регион и ход обучения.</p>"


def set_notice(version, text=NOTICE_TEXT):
    notice = PersonalDataNotice.for_site(Site.objects.get(is_default_site=True))
    notice.version = version
    notice.text = text
    notice.save()
    return notice


@pytest.fixture
def notice(home_page):
    return set_notice("2026-01")


def accept(client, version="2026-01", next_url="/my/"):
    return client.post(CONSENT, {"accept": "yes", "version": version, "next": next_url})


class ConsentAskedTests:
    def test_a_learner_who_has_not_accepted_is_sent_to_the_notice_and_back(self, learner_client, learner, notice):
        """The first page after login leads to the notice, which leads back where the learner was going."""
        response = learner_client.get("/my/")
        assert response.status_code == 302
        assert response["Location"] == f"{CONSENT}?next=%2Fmy%2F"
        page = learner_client.get(response["Location"])
        assert page.status_code == 200
        assert "Школа обрабатывает ФИО" in page.content.decode()
        response = accept(learner_client)
        assert (response.status_code, response["Location"]) == (302, "/my/")
        assert learner_client.get("/my/").status_code == 200

    def test_accepting_stores_the_date_and_the_version(self, learner_client, learner, notice):
        accept(learner_client)
        [record] = ConsentRecord.objects.filter(user=learner)
        assert record.version == "2026-01"
        assert record.accepted_at is not None

    def test_accepting_twice_keeps_one_record_with_the_first_date(self, learner_client, learner, notice):
        accept(learner_client)
        first = ConsentRecord.objects.get(user=learner).accepted_at
        accept(learner_client)
        assert list(ConsentRecord.objects.filter(user=learner).values_list("accepted_at", flat=True)) == [first]

    def test_a_new_version_asks_again_and_keeps_the_old_record(self, learner_client, learner, notice):
        accept(learner_client)
        assert learner_client.get("/my/").status_code == 200
        set_notice("2026-02", text="<p>Новая редакция.</p>")
        response = learner_client.get("/my/")
        assert response.status_code == 302 and response["Location"].startswith(CONSENT)
        accept(learner_client, version="2026-02")
        assert sorted(ConsentRecord.objects.filter(user=learner).values_list("version", flat=True)) == [
            "2026-01",
            "2026-02",
        ]
        assert learner_client.get("/my/").status_code == 200

    def test_a_consent_given_in_another_session_is_found(self, client, learner, notice):
        ConsentRecord.objects.create(user=learner, version="2026-01")
        client.force_login(learner)
        assert client.get("/my/").status_code == 200

    def test_visitors_who_are_not_signed_in_are_not_asked(self, client, notice):
        assert client.get("/").status_code == 200

    def test_without_a_notice_nobody_is_asked(self, learner_client, home_page):
        """Until editors write the notice and give it a version there is nothing to accept."""
        assert learner_client.get("/my/").status_code == 200
        set_notice("", text=NOTICE_TEXT)
        assert learner_client.get("/my/").status_code == 200


class ConsentBadInputTests:
    def test_not_ticking_the_box_records_nothing(self, learner_client, learner, notice):
        response = learner_client.post(CONSENT, {"version": "2026-01", "next": "/my/"})
        assert response.status_code == 200
        assert not ConsentRecord.objects.exists()
        assert learner_client.get("/my/").status_code == 302

    def test_accepting_a_version_no_longer_current_records_nothing(self, learner_client, learner, notice):
        """The notice changed while the page was open: the new text is shown, nothing is recorded."""
        response = learner_client.post(CONSENT, {"accept": "yes", "version": "2025-old", "next": "/my/"})
        assert response.status_code == 200
        assert "Школа обрабатывает ФИО" in response.content.decode()
        assert not ConsentRecord.objects.exists()

    def test_next_cannot_lead_to_another_site(self, learner_client, notice):
        response = accept(learner_client, next_url="https://evil.example.org/")
        assert response.status_code == 302
        assert response["Location"] == "/my/start/"

    def test_the_consent_page_needs_a_login(self, client, notice):
        response = client.get(CONSENT)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]
        assert not ConsentRecord.objects.exists()


class ConsentExemptionTests:
    def test_json_endpoints_answer_403_json(self, learner_client, notice):
        response = learner_client.get("/my/", headers={"accept": "application/json"})
        assert response.status_code == 403
        assert response.json()["consent_url"] == CONSENT
        response = learner_client.post("/my/outbox/", data="{}", content_type="application/json")
        assert response.status_code == 403
        assert response.json()["consent_url"] == CONSENT

    @pytest.mark.parametrize("url", ["/healthz", "/sw.js", "/offline/", "/my/data.json"])
    def test_service_addresses_work_without_consent(self, learner_client, notice, url):
        assert learner_client.get(url).status_code == 200

    def test_signing_out_works_without_consent(self, learner_client, notice):
        response = learner_client.post("/accounts/logout/")
        assert response.status_code == 302
        assert not response["Location"].startswith(CONSENT)

    def test_staff_in_the_admin_are_not_held_up(self, client, notice):
        staff = UserFactory(username="editor", is_staff=True, is_superuser=True)
        client.force_login(staff)
        assert client.get("/admin/").status_code == 200


class ConsentCostTests:
    def test_an_accepted_consent_costs_no_query_on_later_requests(self, learner_client, learner, notice):
        """After acceptance the version comes from the cache and the acceptance from the session."""
        accept(learner_client)
        learner_client.get("/my/")  # the cache holds the notice's version now
        with CaptureQueriesContext(connection) as queries:
            assert learner_client.get("/my/").status_code == 200
        sql = " ".join(query["sql"] for query in queries.captured_queries)
        assert "school_personaldatanotice" not in sql
        assert "school_consentrecord" not in sql


class NoticeEditingTests:
    def test_editors_edit_the_notice_in_the_settings(self, client, notice):
        """Members of the Editors group may change the notice (migration school.0003)."""
        editor = UserFactory(username="editor", is_staff=False)
        editor.groups.add(Group.objects.get(name="Editors"))
        client.force_login(editor)
        site = Site.objects.get(is_default_site=True)
        url = f"/admin/settings/school/personaldatanotice/{site.pk}/"
        assert client.get(url).status_code == 200
        response = client.post(url, {"version": "2026-03", "text": '{"blocks": [], "entityMap": {}}'})
        assert response.status_code == 302
        assert PersonalDataNotice.for_site(site).version == "2026-03"

    def test_a_notice_without_a_version_is_refused(self, client, notice):
        staff = UserFactory(username="admin", is_staff=True, is_superuser=True)
        client.force_login(staff)
        site = Site.objects.get(is_default_site=True)
        url = f"/admin/settings/school/personaldatanotice/{site.pk}/"
        block = {"key": "a", "type": "unstyled", "text": "Текст", "depth": 0}
        block.update(inlineStyleRanges=[], entityRanges=[])
        text = json.dumps({"blocks": [block], "entityMap": {}})
        response = client.post(url, {"version": " ", "text": text})
        assert response.status_code == 200
        assert PersonalDataNotice.for_site(site).version == "2026-01"
