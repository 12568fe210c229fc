"""Blocks of a lesson body: the shared content blocks plus the learning ones."""

from django.utils.translation import gettext_lazy as _

from wagtail import blocks

from home.blocks import BaseStreamBlock, BlockGroups, ParagraphBlock


class PracticalTaskBlock(blocks.StructBlock):
    """Something the secretary does in their own branch after reading the lesson."""

    title = blocks.CharBlock(label=_("title"), max_length=255)
    instructions = ParagraphBlock(label=_("instructions"))
    estimated_minutes = blocks.IntegerBlock(label=_("estimated minutes"), required=False, min_value=1)

    class Meta:
        icon = "tasks"
        template = "blocks/practical_task_block.html"
        group = BlockGroups.LEARNING
        label = _("Practical task")
        preview_value = {
            "title": "Составьте график приёма",
            "instructions": "<p>Определите дни и часы приёма на ближайший квартал.</p>",
            "estimated_minutes": 20,
        }


class LessonStreamBlock(BaseStreamBlock):
    task = PracticalTaskBlock()
