"""A learner submits a practice at /practices/submit/: a draft case study owned by them, sent to the
"Case study review" workflow; every bad input is refused with a message and creates nothing."""

import io

import pytest
from PIL import Image as PILImage

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django.urls import reverse

from wagtail.images import get_image_model
from wagtail.models import WorkflowState

from courses.forms import TOPICS_REQUIRED
from courses.models import CaseStudyPage
from courses.practices import CASE_STUDY_WORKFLOW, html_to_plain_text, plain_text_to_html

from .practice_helpers import exchange_fixture, image_bytes, photo, practice_data  # noqa: F401 - the "exchange" fixture


pytestmark = pytest.mark.django_db

SUBMIT_URL = "/practices/submit/"


def _nothing_created():
    return not CaseStudyPage.objects.exists() and not get_image_model().objects.exists()


@pytest.fixture
def learner_client(client, exchange):
    client.force_login(exchange.learner)
    return client


class PracticeSubmitTests:
    def test_the_address_is_the_one_people_use(self):
        """The form lives at /practices/submit/, a URL name templates and tests share."""
        assert reverse("practice_submit") == SUBMIT_URL

    def test_anonymous_visitor_is_sent_to_log_in(self, client, exchange):
        """A visitor is asked to log in and comes back to the form; nothing is created by a POST."""
        response = client.get(SUBMIT_URL)
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/?next=/practices/submit/")
        response = client.post(SUBMIT_URL, practice_data(exchange))
        assert response.status_code == 302
        assert "/accounts/login/" in response["Location"]
        assert _nothing_created()

    def test_region_and_branch_come_from_the_profile(self, learner_client, exchange):
        """The form opens with the learner's region chosen and branch number filled in."""
        response = learner_client.get(SUBMIT_URL)
        assert response.status_code == 200
        form = response.context["form"]
        assert form["region"].value() == exchange.region.pk
        assert form["branch_number"].value() == "12"
        assert response["Cache-Control"].startswith("max-age=0")

    def test_a_practice_becomes_a_draft_in_review_owned_by_the_learner(self, learner_client, exchange):
        """The page is a draft child of the library, owned by the learner, in the review workflow,
        with its photo stored as a Wagtail image; the learner lands on /my/ where it shows as in review."""
        data = practice_data(exchange, photos=[photo("yard.jpg")])
        response = learner_client.post(SUBMIT_URL, data)
        assert response.status_code == 302
        assert response["Location"] == "/my/#my-practices"

        page = CaseStudyPage.objects.get()
        assert page.get_parent().pk == exchange.index.pk
        assert (page.owner, page.live, page.region, page.branch) == (
            exchange.learner,
            False,
            exchange.region,
            exchange.branch,
        )
        assert list(page.topics.all()) == [exchange.topic]
        assert page.problem == "<p>Обращения терялись в тетрадях.</p>"
        assert page.actions == "<ul><li>Завели таблицу</li><li>Назначили ответственных</li></ul>"
        state = WorkflowState.objects.get()
        assert state.status == WorkflowState.STATUS_IN_PROGRESS
        assert state.workflow.name == CASE_STUDY_WORKFLOW
        assert state.requested_by == exchange.learner
        image = get_image_model().objects.get()
        assert page.image == image
        assert image.uploaded_by_user == exchange.learner

        dashboard = learner_client.get("/my/")
        section = dashboard.content.decode()
        assert "Единый журнал обращений" in section
        assert "practice-status--in_review" in section

    def test_photos_are_re_encoded_without_their_metadata(self, learner_client, exchange):
        """A JPEG with EXIF data (a GPS position, a camera) is stored re-encoded, without it."""
        exif = PILImage.Exif()
        exif[0x010F] = "Phone maker"  # Make
        exif[0x8825] = {2: (55, 45, 0)}  # GPS latitude
        upload = SimpleUploadedFile("gps.jpg", image_bytes("JPEG", exif=exif.tobytes()), content_type="image/jpeg")
        assert b"Phone maker" in upload.read()
        upload.seek(0)
        learner_client.post(SUBMIT_URL, practice_data(exchange, photos=[upload]))
        image = get_image_model().objects.get()
        with image.open_file() as stored:
            content = stored.read()
        assert b"Phone maker" not in content
        assert not PILImage.open(io.BytesIO(content)).getexif()

    def test_up_to_five_photos_in_jpeg_png_and_webp(self, learner_client, exchange):
        """Five photos of the three formats are all kept, in order, the first being the card's picture."""
        photos = [
            photo("1.jpg"),
            photo("2.png", "PNG"),
            photo("3.webp", "WEBP"),
            photo("4.jpeg"),
            photo("5.png", "PNG"),
        ]
        response = learner_client.post(SUBMIT_URL, practice_data(exchange, photos=photos))
        assert response.status_code == 302
        page = CaseStudyPage.objects.get()
        gallery = list(page.gallery_images.order_by("sort_order"))
        assert len(gallery) == 5
        assert page.image_id == gallery[0].image_id
        assert [item.image.file.name.rsplit(".", 1)[-1] for item in gallery] == ["jpg", "png", "webp", "jpg", "png"]

    def test_empty_required_fields_are_form_errors(self, learner_client, exchange):
        """An empty form comes back with an error on each required field; nothing is created."""
        response = learner_client.post(SUBMIT_URL, {"region": "", "branch_number": ""})
        assert response.status_code == 200
        errors = response.context["form"].errors
        assert set(errors) == {"title", "topics", "region", "problem", "actions", "results"}
        assert errors["topics"] == [str(TOPICS_REQUIRED)]
        assert b"error-summary" in response.content
        assert _nothing_created()

    def test_an_unknown_branch_number_is_a_form_error(self, learner_client, exchange):
        """A branch number the region does not have is refused with a message; nothing is created."""
        response = learner_client.post(SUBMIT_URL, practice_data(exchange, branch_number="999"))
        assert response.status_code == 200
        assert response.context["form"].errors["branch_number"]
        assert _nothing_created()

    @pytest.mark.parametrize(
        ("name", "content", "content_type"),
        [
            ("report.jpg", b"%PDF-1.4 not an image at all", "image/jpeg"),
            ("script.svg", b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>", "image/svg+xml"),
            ("report.pdf", b"%PDF-1.4", "application/pdf"),
            ("cut.png", image_bytes("PNG")[:60], "image/png"),
            ("anim.gif", image_bytes("GIF", mode="P"), "image/gif"),
            ("renamed.png", image_bytes("JPEG"), "image/png"),
        ],
        ids=["not-an-image", "svg", "pdf", "truncated", "gif", "wrong-extension"],
    )
    def test_a_file_that_is_not_an_allowed_photo_is_refused(
        self, learner_client, exchange, name, content, content_type
    ):
        """The form comes back with an error naming the file; no page and no image is stored."""
        upload = SimpleUploadedFile(name, content, content_type=content_type)
        response = learner_client.post(SUBMIT_URL, practice_data(exchange, photos=[upload]))
        assert response.status_code == 200
        errors = response.context["form"].errors["photos"]
        assert any(name in error for error in errors)
        assert _nothing_created()

    def test_an_image_over_the_size_limit_is_refused(self, learner_client, exchange):
        """The site's image upload limit (WAGTAILIMAGES_MAX_UPLOAD_SIZE) holds for photos too."""
        big = photo("big.png", "PNG", size=(400, 400), mode="RGB")
        with override_settings(WAGTAILIMAGES_MAX_UPLOAD_SIZE=1000):
            response = learner_client.post(SUBMIT_URL, practice_data(exchange, photos=[big]))
        assert response.status_code == 200
        assert any("big.png" in error for error in response.context["form"].errors["photos"])
        assert _nothing_created()

    @pytest.mark.parametrize("size", [(8000, 6000), (15000, 15000)], ids=["over-the-cap", "decompression-bomb"])
    def test_a_decompression_bomb_is_refused(self, learner_client, exchange, size):
        """A small file that decodes to a huge bitmap (over WAGTAILIMAGES_MAX_IMAGE_PIXELS, or past
        Pillow's own bomb limit) is refused before it is decoded; nothing is stored."""
        buffer = io.BytesIO()
        PILImage.new("1", size).save(buffer, format="PNG")
        assert len(buffer.getvalue()) < 1_000_000
        bomb = SimpleUploadedFile("bomb.png", buffer.getvalue(), content_type="image/png")
        response = learner_client.post(SUBMIT_URL, practice_data(exchange, photos=[bomb]))
        assert response.status_code == 200
        assert any("bomb.png" in error for error in response.context["form"].errors["photos"])
        assert _nothing_created()

    def test_six_photos_are_refused(self, learner_client, exchange):
        """More than five photos: one clear error, nothing stored (not even the first five)."""
        photos = [photo(f"{number}.jpg") for number in range(6)]
        response = learner_client.post(SUBMIT_URL, practice_data(exchange, photos=photos))
        assert response.status_code == 200
        [error] = response.context["form"].errors["photos"]
        assert "5" in error and "6" in error
        assert _nothing_created()

    def test_html_in_text_fields_is_shown_escaped(self, learner_client, client, exchange):
        """Script and markup typed into the form are stored escaped and shown as text, never run,
        on /my/ and on the published page."""
        script = "<script>alert('x')</script><b>жирный</b>"
        learner_client.post(
            SUBMIT_URL,
            practice_data(exchange, title=f"Двор {script}", summary=script, problem=script, results=script),
        )
        page = CaseStudyPage.objects.get()
        assert "<script>" not in page.problem
        assert page.problem == "<p>&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;&lt;b&gt;жирный&lt;/b&gt;</p>"
        dashboard = learner_client.get("/my/").content.decode()
        assert "<script>alert" not in dashboard
        assert "&lt;script&gt;alert" in dashboard
        page.save_revision().publish()
        shown = client.get(page.url).content.decode()
        assert "<script>alert" not in shown
        assert "<b>жирный" not in shown
        assert "&lt;script&gt;alert" in shown

    def test_no_practice_takes_the_form_address(self, learner_client, exchange):
        """A practice titled "submit" gets another slug, so /practices/submit/ stays the form."""
        learner_client.post(SUBMIT_URL, practice_data(exchange, title="Submit"))
        assert CaseStudyPage.objects.get().slug != "submit"


class PlainTextTests:
    def test_paragraphs_lists_and_line_breaks(self):
        """Blank lines part paragraphs, "-" and "1." lines make lists, other line breaks stay."""
        text = "Первая строка\nвторая\n\n- раз\n- два\n\n1. один\n2. два"
        html = plain_text_to_html(text)
        assert html == (
            "<p>Первая строка<br/>вторая</p><ul><li>раз</li><li>два</li></ul><ol><li>один</li><li>два</li></ol>"
        )
        assert html_to_plain_text(html) == "Первая строка\nвторая\n\n- раз\n- два\n\n1. один\n2. два"
