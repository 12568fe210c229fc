"""Image uploads in the admin: real images are kept, anything else is refused with a message."""

import io

import pytest
from PIL import Image as PILImage

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from wagtail.images import get_image_model


def _png_bytes():
    buffer = io.BytesIO()
    PILImage.new("RGB", (40, 30), "#2a5d8f").save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.mark.django_db
def test_the_image_model_is_the_projects_own():
    assert get_image_model()._meta.label == "home.CustomImage"


@pytest.mark.django_db
def test_a_png_upload_becomes_an_image(admin_client):
    upload = SimpleUploadedFile("branch.png", _png_bytes(), content_type="image/png")
    response = admin_client.post(reverse("wagtailimages:add"), {"title": "Отделение", "file": upload})
    assert response.status_code == 302
    image = get_image_model().objects.get()
    assert (image.width, image.height) == (40, 30)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("report.pdf", b"%PDF-1.4 not an image"),
        ("photo.png", b"this is plain text pretending to be a PNG"),
        ("script.svg", b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>"),
    ],
)
def test_a_non_image_upload_is_refused_with_a_message(admin_client, name, content):
    """The form comes back with an error on the file field and no image is stored."""
    upload = SimpleUploadedFile(name, content, content_type="image/png")
    response = admin_client.post(reverse("wagtailimages:add"), {"title": "Не картинка", "file": upload})
    assert response.status_code == 200
    assert response.context["form"].errors["file"]
    assert not get_image_model().objects.exists()


@pytest.mark.django_db
def test_an_image_over_the_pixel_cap_is_refused(admin_client):
    """A 48-megapixel PNG (a small file of one colour) is refused with a message; nothing is stored."""
    buffer = io.BytesIO()
    PILImage.new("1", (8000, 6000)).save(buffer, format="PNG")
    upload = SimpleUploadedFile("huge.png", buffer.getvalue(), content_type="image/png")
    response = admin_client.post(reverse("wagtailimages:add"), {"title": "Огромная", "file": upload})
    assert response.status_code == 200
    assert response.context["form"].errors["file"]
    assert not get_image_model().objects.exists()


@pytest.mark.django_db
def test_a_truncated_image_is_refused(admin_client):
    """A PNG cut off half-way is refused with a message; nothing is stored."""
    upload = SimpleUploadedFile("cut.png", _png_bytes()[:60], content_type="image/png")
    response = admin_client.post(reverse("wagtailimages:add"), {"title": "Обрезанная", "file": upload})
    assert response.status_code == 200
    assert response.context["form"].errors["file"]
    assert not get_image_model().objects.exists()
