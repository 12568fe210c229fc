"""The image upload form of the admin: a damaged file is a form error, not a server error."""

from django.core.exceptions import ValidationError
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from wagtail.images.fields import WagtailImageField
from wagtail.images.forms import BaseImageForm


IMAGE_DAMAGED = _("The image file is damaged or incomplete. Save it again and upload the new file.")


class CheckedImageField(WagtailImageField):
    def to_python(self, data):
        try:
            return super().to_python(data)
        except ValidationError:
            raise
        except Exception as error:  # Pillow raises OSError, SyntaxError, struct.error… for a cut-off file
            raise ValidationError(IMAGE_DAMAGED, code="invalid_image") from error


class ImageForm(BaseImageForm):
    file = CheckedImageField(label=capfirst(_("file")))
