from django.utils.translation import gettext_lazy as _

from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet, SnippetViewSetGroup

from .models import Branch, Region


class RegionViewSet(SnippetViewSet):
    model = Region
    icon = "site"
    list_display = ["name", "code"]
    list_export = ["code", "name"]
    search_fields = ["name", "code"]
    ordering = ["name"]


class BranchViewSet(SnippetViewSet):
    model = Branch
    icon = "group"
    list_display = ["number", "name", "region"]
    list_export = ["region__code", "number", "name"]
    list_filter = ["region"]
    search_fields = ["name", "number"]

    def get_queryset(self, request):
        return Branch.objects.select_related("region")


class OrganisationViewSetGroup(SnippetViewSetGroup):
    items = (RegionViewSet, BranchViewSet)
    menu_icon = "site"
    menu_label = _("Organisation")
    menu_name = "organisation"


register_snippet(OrganisationViewSetGroup)
