"""StreamField blocks shared by every page type."""

from django.utils.translation import gettext_lazy as _

from wagtail import blocks
from wagtail.documents.blocks import DocumentChooserBlock
from wagtail.embeds.blocks import EmbedBlock
from wagtail.images.blocks import ImageBlock


class BlockGroups:
    TEXT = _("Text")
    MEDIA = _("Media")
    LEARNING = _("Learning")


RICH_TEXT_FEATURES = ["bold", "italic", "ol", "ul", "link", "document-link"]


class HeadingBlock(blocks.CharBlock):
    class Meta:
        icon = "title"
        template = "blocks/heading_block.html"
        group = BlockGroups.TEXT
        label = _("Heading")
        form_classname = "title"
        preview_value = _("How to hold a reception of residents")


class ParagraphBlock(blocks.RichTextBlock):
    def __init__(self, **kwargs):
        kwargs.setdefault("features", RICH_TEXT_FEATURES)
        super().__init__(**kwargs)

    class Meta:
        icon = "pilcrow"
        template = "blocks/paragraph_block.html"
        group = BlockGroups.TEXT
        label = _("Text")
        preview_value = "<p>Приём граждан проводится по заранее объявленному графику.</p>"


class CaptionedImageBlock(blocks.StructBlock):
    image = ImageBlock(label=_("image"))
    caption = blocks.CharBlock(label=_("caption"), required=False, max_length=255)

    class Meta:
        icon = "image"
        template = "blocks/captioned_image_block.html"
        group = BlockGroups.MEDIA
        label = _("Image")


class VideoBlock(blocks.StructBlock):
    video = EmbedBlock(label=_("video link"), help_text=_("A link to the video, e.g. on VK Video or RuTube."))
    caption = blocks.CharBlock(label=_("caption"), required=False, max_length=255)

    class Meta:
        icon = "media"
        template = "blocks/video_block.html"
        group = BlockGroups.MEDIA
        label = _("Video")


class DocumentBlock(blocks.StructBlock):
    document = DocumentChooserBlock(label=_("document"))
    title = blocks.CharBlock(
        label=_("link text"), required=False, max_length=255, help_text=_("Leave empty to use the document title.")
    )

    class Meta:
        icon = "doc-full"
        template = "blocks/document_block.html"
        group = BlockGroups.MEDIA
        label = _("Document")


class CalloutBlock(blocks.StructBlock):
    kind = blocks.ChoiceBlock(
        label=_("kind"),
        choices=[("tip", _("Tip")), ("note", _("Note")), ("warning", _("Warning"))],
        default="tip",
    )
    title = blocks.CharBlock(label=_("title"), required=False, max_length=255)
    text = ParagraphBlock(label=_("text"))

    class Meta:
        icon = "help"
        template = "blocks/callout_block.html"
        group = BlockGroups.TEXT
        label = _("Callout / tip")
        preview_value = {"kind": "tip", "title": "Совет", "text": "<p>Записывайте каждое обращение.</p>"}


class BaseStreamBlock(blocks.StreamBlock):
    """Rich content for any page: text, headings, media and callouts."""

    heading = HeadingBlock()
    paragraph = ParagraphBlock()
    image = CaptionedImageBlock()
    video = VideoBlock()
    document = DocumentBlock()
    callout = CalloutBlock()
