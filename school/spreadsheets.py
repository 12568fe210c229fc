"""Spreadsheet exports that a spreadsheet program opens safely.

A cell a person typed (a name, a title) may start with "=", "+", "-" or "@", which a spreadsheet
would run as a formula; such cells are written with a leading apostrophe, as OWASP advises.
Wagtail's XLSX export already marks them as text; its CSV export does not."""

import re


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# Control characters the XML of a sheet cannot hold (openpyxl's ILLEGAL_CHARACTERS_RE): defined here so
# that no page but an XLSX export loads openpyxl (several megabytes in every worker).
SHEET_ILLEGAL_CHARACTERS = re.compile(r"[\000-\010]|[\013-\014]|[\016-\037]")


def spreadsheet_safe(value):
    """A cell value a spreadsheet shows as text: strings that start like a formula get a leading "'"."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


class FormulaSafeExportMixin:
    """For Wagtail index views with `list_export`: CSV cells are written formula-safe."""

    def preprocess_field_value(self, field, value, export_format):
        value = super().preprocess_field_value(field, value, export_format)
        if export_format == self.FORMAT_CSV:
            return spreadsheet_safe(value)
        return value
