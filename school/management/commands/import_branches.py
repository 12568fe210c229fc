import csv

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from school.models import Branch, Region


REQUIRED_COLUMNS = ("region_code", "region_name", "branch_number")


class Command(BaseCommand):
    help = (
        "Load regions and primary branches from a UTF-8 CSV file with the columns "
        "region_code, region_name, branch_number and optionally branch_name. "
        "Existing rows are updated; the whole file is refused if any row is bad."
    )

    def add_arguments(self, parser):
        parser.add_argument("csv_path")

    def handle(self, *args, csv_path, **options):
        rows = self.read_rows(csv_path)
        regions_created = branches_created = 0
        with transaction.atomic():
            for row in rows:
                region, created = Region.objects.update_or_create(
                    code=row["region_code"], defaults={"name": row["region_name"]}
                )
                regions_created += created
                _branch, created = Branch.objects.update_or_create(
                    region=region, number=row["branch_number"], defaults={"name": row.get("branch_name", "")}
                )
                branches_created += created
        self.stdout.write(
            f"{len(rows)} rows read: {regions_created} regions and {branches_created} branches created, "
            "the rest updated."
        )

    def read_rows(self, csv_path):
        try:
            with open(csv_path, encoding="utf-8-sig", newline="") as csv_file:
                reader = csv.DictReader(csv_file)
                missing = [column for column in REQUIRED_COLUMNS if column not in (reader.fieldnames or [])]
                if missing:
                    raise CommandError(f"The file lacks the columns: {', '.join(missing)}.")
                rows = [{key: (value or "").strip() for key, value in row.items() if key} for row in reader]
        except (OSError, UnicodeDecodeError) as error:
            raise CommandError(f"Cannot read {csv_path}: {error}") from error
        for line_number, row in enumerate(rows, start=2):
            empty = [column for column in REQUIRED_COLUMNS if not row.get(column)]
            if empty:
                raise CommandError(f"Line {line_number}: empty {', '.join(empty)}.")
        return rows
