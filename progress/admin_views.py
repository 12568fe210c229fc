"""Index and inspect views of the admin listings of learners' records, built for millions of rows:
related objects come in the same query, the count stops at a cap, every offered ordering has an
index behind it, and exports are read in chunks with formula-looking CSV cells neutralised."""

import codecs
import datetime

from django.contrib.admin.utils import unquote
from django.db.models import QuerySet, TextField
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _

from wagtail.admin.paginator import WagtailPaginator
from wagtail.admin.views.generic import IndexView, InspectView
from wagtail.fields import StreamField

from school.spreadsheets import SHEET_ILLEGAL_CHARACTERS, FormulaSafeExportMixin

from .permissions import learner_records_visible_to


YES = _("Yes")
NO = _("No")
EMPTY_VALUE = "—"
MORE_THAN_CAP = _("More than %(count)s %(items)s: filter or search to narrow them down")


class CappedCountPaginator(WagtailPaginator):
    """Counts rows only up to `cap`, so a page of a table of millions costs the same as one of
    thousands; past the cap the listing offers the first `cap` rows (50 pages of 20) and says there
    are more. A low cap also keeps a sparse filter cheap: a coordinator's region is about 1/89 of
    the rows, and finding 1,001 of them through the learners' index takes ~12 ms at 1.2M
    completions, where 10,001 took a parallel scan of the table (~130 ms)."""

    cap = 1000

    @cached_property
    def _counted(self):
        rows = self.object_list
        if isinstance(rows, QuerySet):
            # SELECT COUNT(*) FROM (SELECT id ... LIMIT cap + 1): no ordering, no joined columns.
            return rows.order_by().values("pk")[: self.cap + 1].count()
        return min(len(rows), self.cap + 1)

    @cached_property
    def count(self):
        return min(self._counted, self.cap)

    @cached_property
    def is_capped(self):
        return self._counted > self.cap

    @cached_property
    def items_count_label(self):
        if self.is_capped:
            count = number_format(self.cap, force_grouping=True)
            return MORE_THAN_CAP % {"count": count, "items": self.verbose_name_plural}
        return super().items_count_label


class ExportRows:
    """An export's queryset read in chunks, so memory stays flat however many rows it has. The
    export reads the headings' labels from `model`."""

    chunk_size = 2000

    def __init__(self, queryset):
        self.queryset = queryset
        self.model = queryset.model

    def __iter__(self):
        return self.queryset.iterator(chunk_size=self.chunk_size)


def without_large_columns(model, relations):
    """`defer()` arguments for the text and StreamField columns of the related pages (a lesson's
    body): a listing row or an export shows their titles only."""
    deferred = []
    for relation in relations:
        if "__" in relation:
            continue
        related_model = model._meta.get_field(relation).related_model
        deferred += [
            f"{relation}__{field.name}"
            for field in related_model._meta.concrete_fields
            if isinstance(field, StreamField | TextField)
        ]
    return deferred


def local_time(value):
    """A date-time in the site's time zone, without it: spreadsheets keep no time zones, and Wagtail
    would write UTC."""
    return timezone.localtime(value).replace(tzinfo=None) if timezone.is_aware(value) else value


class ListingIndexView(FormulaSafeExportMixin, IndexView):
    """A listing that stays fast at millions of rows. Set on the view (the viewset passes them):
    `list_select_related`, the relations its columns and exports read; `sortable_fields`, the
    columns offered for sorting (those with an index), or None for Wagtail's default."""

    paginator_class = CappedCountPaginator
    list_select_related = ()
    sortable_fields = None
    custom_value_preprocess = {
        **IndexView.custom_value_preprocess,
        datetime.datetime: {
            IndexView.FORMAT_XLSX: local_time,
            IndexView.FORMAT_CSV: lambda value: local_time(value).strftime("%Y-%m-%d %H:%M:%S"),
        },
    }

    def get_base_queryset(self):
        queryset = super().get_base_queryset().select_related(*self.list_select_related)
        return queryset.defer(*without_large_columns(self.model, self.list_select_related))

    @cached_property
    def columns(self):
        columns = super().columns
        if self.sortable_fields is not None:
            for column in columns:
                if column.sort_key not in self.sortable_fields:
                    column.sort_key = None
        return columns

    def order_queryset(self, queryset):
        """Ends every ordering with the primary key, so that pages neither repeat nor skip rows."""
        queryset = super().order_queryset(queryset)
        ordering = queryset.query.order_by
        if ordering and ordering[-1] not in ("pk", "-pk"):
            queryset = queryset.order_by(*ordering, "-pk")
        return queryset

    def get(self, request, *args, **kwargs):
        # An export needs neither the table nor the page's context (which would load every row
        # into memory to count them): the filtered, searched, ordered rows go straight out.
        if self.is_export:
            return self.as_spreadsheet(self.get_queryset(), request.GET["export"])
        return super().get(request, *args, **kwargs)

    def as_spreadsheet(self, queryset, spreadsheet_format):
        return super().as_spreadsheet(ExportRows(queryset), spreadsheet_format)

    def stream_csv(self, queryset):
        """Starts with a UTF-8 byte order mark, so that Excel reads Cyrillic right."""
        lines = super().stream_csv(queryset)  # encoded lines
        yield codecs.BOM_UTF8 + next(lines)
        yield from lines

    def preprocess_field_value(self, field, value, export_format):
        value = super().preprocess_field_value(field, value, export_format)
        if export_format == self.FORMAT_XLSX and isinstance(value, str):
            # Control characters (say, pasted into a name) are not allowed in a sheet's XML.
            value = SHEET_ILLEGAL_CHARACTERS.sub("", value)
        return value

    def write_csv_response(self, queryset):
        response = super().write_csv_response(queryset)
        response["Content-Type"] = "text/csv; charset=utf-8"
        return response


class LearnerRecordIndexView(ListingIndexView):
    """Enrolments, completions, attempts: a regional coordinator's listing (and its exports)
    holds their own region's learners only."""

    def get_base_queryset(self):
        return learner_records_visible_to(self.request.user, super().get_base_queryset())


class ReadableInspectView(InspectView):
    """Wagtail's inspect view, with yes / no and a dash where it would print True, False and None."""

    def get_field_display_value(self, field_name, field):
        value = super().get_field_display_value(field_name, field)
        if value is None:
            return EMPTY_VALUE
        if isinstance(value, bool):
            return YES if value else NO
        return value


class LearnerRecordInspectView(ReadableInspectView):
    """Another region's record is not found (404) for a regional coordinator."""

    list_select_related = ()

    def get_object(self, queryset=None):
        records = self.model._default_manager.select_related(*self.list_select_related)
        records = records.defer(*without_large_columns(self.model, self.list_select_related))
        return get_object_or_404(learner_records_visible_to(self.request.user, records), pk=unquote(str(self.pk)))
