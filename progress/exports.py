"""Spreadsheet exports of progress figures: CSV streamed row by row, XLSX in constant memory.

Every cell a person typed (names, titles) may start with "=", "+", "-" or "@", which a spreadsheet
would run as a formula; such cells are written with a leading apostrophe, as OWASP advises."""

import csv

from django.http import StreamingHttpResponse


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value):
    """A cell value a spreadsheet shows as text: strings that start like a formula get a leading "'"."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


class _Echo:
    """csv.writer writes into this and gets the line back, so rows can be streamed."""

    def write(self, value):
        return value


def csv_streaming_response(*, filename, header, rows):
    """A CSV download streamed row by row: memory stays flat however many rows `rows` yields.
    Starts with a UTF-8 BOM so that Excel reads Cyrillic right."""
    writer = csv.writer(_Echo())

    def lines():
        yield "\ufeff" + writer.writerow([spreadsheet_safe(cell) for cell in header])
        for row in rows:
            yield writer.writerow([spreadsheet_safe(cell) for cell in row])

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
