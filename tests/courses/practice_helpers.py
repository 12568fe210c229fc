"""What the practice-exchange tests share: a library with topics, a learner placed in a branch, photos."""

import io
from types import SimpleNamespace

import pytest
from PIL import Image as PILImage

from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile

from courses.factories import CaseStudyIndexPageFactory, TopicFactory
from courses.practices import CASE_STUDY_MODERATORS_GROUP, case_study_review_setup
from school.factories import UserFactory
from school.models import Branch, Region


def image_bytes(image_format="JPEG", size=(64, 48), mode="RGB", **save_options):
    buffer = io.BytesIO()
    PILImage.new(mode, size, "#2a5d8f").save(buffer, format=image_format, **save_options)
    return buffer.getvalue()


def photo(name="yard.jpg", image_format="JPEG", **kwargs):
    content_type = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp", "GIF": "image/gif"}[image_format]
    return SimpleUploadedFile(name, image_bytes(image_format, **kwargs), content_type=content_type)


def practice_data(exchange, **overrides):
    data = {
        "title": "Единый журнал обращений",
        "topics": [exchange.topic.pk],
        "region": exchange.region.pk,
        "branch_number": exchange.branch.number,
        "summary": "Свели записи в один журнал.",
        "problem": "Обращения терялись в тетрадях.",
        "actions": "- Завели таблицу\n- Назначили ответственных",
        "results": "63 обращения за год, 48 решены.",
    }
    data.update(overrides)
    return data


@pytest.fixture(name="exchange")
def exchange_fixture(home_page):
    """A practice library with two topics, a region with a branch, a learner placed there, a moderator."""
    region = Region.objects.create(code="52", name="Нижегородская область")
    other_region = Region.objects.create(code="77", name="Москва")
    branch = Branch.objects.create(region=region, number="12", name="Ивановка")
    learner = UserFactory(username="secretary", full_name="Анна Петрова", region=region, branch=branch)
    moderator = UserFactory(username="moderator", full_name="Ольга Лебедева", is_staff=True)
    moderator.groups.add(Group.objects.get(name=CASE_STUDY_MODERATORS_GROUP))
    index = CaseStudyIndexPageFactory(parent=home_page)
    # As migration courses.0005 does for a library that exists when it runs (or the admin, when one is made).
    case_study_review_setup(index=index)
    return SimpleNamespace(
        index=index,
        topic=TopicFactory(name="Работа с обращениями", slug="obrashcheniya"),
        other_topic=TopicFactory(name="Гранты", slug="granty"),
        region=region,
        other_region=other_region,
        branch=branch,
        learner=learner,
        moderator=moderator,
    )
