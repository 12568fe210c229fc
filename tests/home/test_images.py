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
