"""Administrators load regions and branches from CSV; a bad file changes nothing."""

import pytest

from django.core.management import CommandError, call_command

from school.models import Branch, Region


def _write(tmp_path, text, encoding="utf-8"):
    path = tmp_path / "branches.csv"
    path.write_bytes(text.encode(encoding))
    return str(path)


@pytest.mark.django_db
def test_import_creates_then_updates_without_duplicates(tmp_path):
    path = _write(
        tmp_path,
        "region_code,region_name,branch_number,branch_name\n"
        "52,Нижегородская область,12,с. Ивановка\n"
        "52,Нижегородская область,13,\n"
        "16,Республика Татарстан,1,г. Казань\n",
    )
    call_command("import_branches", path)
    call_command("import_branches", path)
    assert Region.objects.count() == 2
    assert Branch.objects.count() == 3
    assert Branch.objects.get(region__code="52", number="12").name == "с. Ивановка"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("region_code,region_name\n52,Нижегородская область\n", "branch_number"),
        ("region_code,region_name,branch_number\n52,Нижегородская область,1\n52,,2\n", "Line 3"),
    ],
)
def test_a_bad_file_is_refused_whole(tmp_path, text, message):
    with pytest.raises(CommandError, match=message):
        call_command("import_branches", _write(tmp_path, text))
    assert not Region.objects.exists()
    assert not Branch.objects.exists()


@pytest.mark.django_db
def test_a_file_that_is_not_utf8_is_refused(tmp_path):
    path = _write(tmp_path, "region_code,region_name,branch_number\n52,Нижегородская,1\n", encoding="cp1251")
    with pytest.raises(CommandError, match="Cannot read"):
        call_command("import_branches", path)
    assert not Region.objects.exists()
