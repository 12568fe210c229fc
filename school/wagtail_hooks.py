from django.utils.translation import gettext_lazy as _

from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import IndexView, SnippetViewSet, SnippetViewSetGroup

from .models import Branch, Region
from .spreadsheets import FormulaSafeExportMixin


class OrganisationIndexView(FormulaSafeExportMixin, IndexView):
    pass


class RegionViewSet(SnippetViewSet):
    model = Region
    index_view_class = OrganisationIndexView
    icon = "site"
    list_display = ["name", "code"]
    list_export = ["code", "name"]
    search_fields = ["name", "code"]
    ordering = ["name"]


class BranchViewSet(SnippetViewSet):
    model = Branch
    index_view_class = OrganisationIndexView
    icon = "group"
    list_display = ["number", "name", "region"]
    # Dotted paths (Wagtail reads them with multigetattr), headed with the columns that
    # import_branches reads, so that an export can be edited and loaded again.
    list_export = ["region.code", "region.name", "number", "name"]
    export_headings = {
        "region.code": "region_code",
        "region.name": "region_name",
        "number": "branch_number",
        "name": "branch_name",
    }
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
