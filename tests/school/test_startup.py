"""What a worker loads at start: the spreadsheet library only when an export asks for it."""

import subprocess
import sys

from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from django.conf import settings

from school.spreadsheets import SHEET_ILLEGAL_CHARACTERS


def test_the_site_loads_without_the_spreadsheet_library():
    """The WSGI application with every URL and admin hook resolved imports no openpyxl."""
    script = (
        "import sys, django; django.setup()\n"
        "from django.urls import get_resolver\n"
        "import school.wsgi\n"
        "get_resolver().url_patterns\n"
        "print('openpyxl' in sys.modules)\n"
    )
    result = subprocess.run(  # noqa: S603 - this interpreter, our own script
        [sys.executable, "-W", "ignore", "-c", script],
        capture_output=True,
        text=True,
        check=True,
        cwd=settings.BASE_DIR,
        env={"DJANGO_SETTINGS_MODULE": "school.settings.test", "PATH": "/usr/bin:/bin"},
    )
    assert result.stdout.strip() == "False", result.stderr


def test_the_sheets_control_character_pattern_is_openpyxls():
    assert SHEET_ILLEGAL_CHARACTERS.pattern == ILLEGAL_CHARACTERS_RE.pattern
    assert SHEET_ILLEGAL_CHARACTERS.sub("", "a\x00b\x0bc\td\n") == "abc\td\n"
