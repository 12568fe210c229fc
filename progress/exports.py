"""Spreadsheet exports of progress figures: CSV streamed row by row, XLSX in constant memory.

Every cell goes through school.spreadsheets.spreadsheet_safe, so a typed "=..." never runs as a formula."""

import csv
import tempfile
from datetime import datetime

from django.http import FileResponse, StreamingHttpResponse
from django.utils import timezone

from school.spreadsheets import SHEET_ILLEGAL_CHARACTERS, spreadsheet_safe


XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _local(value, tz):
    """Date-times in the site's time zone, without it (spreadsheets keep no time zones)."""
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.astimezone(tz).replace(tzinfo=None)
    return value


class _Echo:
    """csv.writer writes into this and gets the line back, so rows can be streamed."""

    def write(self, value):
        return value


def _csv_cell(value, tz):
    if isinstance(value, datetime):
        return _local(value, tz).strftime("%Y-%m-%d %H:%M")
    return spreadsheet_safe(value)


def csv_streaming_response(*, filename, header, rows):
    """A CSV download streamed row by row: memory stays flat however many rows `rows` yields.
    Starts with a UTF-8 BOM so that Excel reads Cyrillic right; date-times are local, to the minute."""
    writer = csv.writer(_Echo())
    tz = timezone.get_current_timezone()  # now, while the request's time zone is active

    def lines():
        yield "\ufeff" + writer.writerow([_csv_cell(cell, tz) for cell in header])
        for row in rows:
            yield writer.writerow([_csv_cell(cell, tz) for cell in row])

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _xlsx_cell(value, tz):
    if isinstance(value, str):
        # Control characters are not allowed in the XML of a sheet.
        return spreadsheet_safe(SHEET_ILLEGAL_CHARACTERS.sub("", value))
    return _local(value, tz)


def xlsx_response(*, filename, sheet_title, header, rows):
    """An XLSX download from openpyxl's write-only workbook: rows are written to a temporary file as
    `rows` yields them, and the finished file is sent from disk in blocks, so memory stays flat."""
    from openpyxl import Workbook  # here: only an export needs it

    tz = timezone.get_current_timezone()
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=sheet_title[:31])
    sheet.append([_xlsx_cell(cell, tz) for cell in header])
    for row in rows:
        sheet.append([_xlsx_cell(cell, tz) for cell in row])
    output = tempfile.TemporaryFile()  # noqa: SIM115 - FileResponse closes it once sent
    workbook.save(output)
    output.seek(0)
    return FileResponse(output, as_attachment=True, filename=filename, content_type=XLSX_CONTENT_TYPE)
