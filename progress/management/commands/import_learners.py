"""Import learners and their mentors from a CSV file: the admin's "Import learners" from the shell."""

import os

from django.core.management.base import BaseCommand, CommandError

from progress.imports import (
    COLUMNS,
    MAX_FILE_SIZE,
    ImportFileError,
    decode_csv_file,
    learner_import_apply,
    learner_import_plan,
)


class Command(BaseCommand):
    help = (
        "Create or update learners and assign their mentors from a CSV file with a header row and the columns "
        f"{', '.join(COLUMNS)} (username or email identifies the learner; blank cells change nothing). "
        "UTF-8 or Windows-1251, comma or semicolon separated. Prints what each row does; a file with any "
        "error imports nothing and the command exits with status 1. --dry-run only prints the preview."
    )

    def add_arguments(self, parser):
        parser.add_argument("csv_path", help="The CSV file to import.")
        parser.add_argument("--dry-run", action="store_true", help="Validate and print the preview; change nothing.")

    def handle(self, *args, csv_path, dry_run, **options):
        text = self.read_text(csv_path)
        try:
            plan = learner_import_plan(text=text) if dry_run else learner_import_apply(text=text)
        except ImportFileError as error:
            raise CommandError(f"{csv_path}: {error.message}") from error
        for row in plan.rows:
            if row.errors:
                for error in row.errors:
                    self.stderr.write(self.style.ERROR(f"Row {row.number}: {error}"))
            else:
                actions = "; ".join(str(action) for action in row.actions)
                self.stdout.write(f"Row {row.number}: {row.username or row.email}: {actions}")
        if plan.has_errors:
            raise CommandError(f"{len(plan.error_rows)} rows have errors: nothing was imported.")
        if dry_run:
            self.stdout.write(
                f"Dry run: {plan.created_count} to create, {plan.updated_count} to update, "
                f"{plan.mentors_count} mentors to assign, {plan.unchanged_count} unchanged. Nothing was changed."
            )
        else:
            self.stdout.write(
                self.style.SUCCESS(
                    f"Imported: {plan.created_count} created, {plan.updated_count} updated, "
                    f"{plan.mentors_count} mentors assigned, {plan.unchanged_count} unchanged."
                )
            )

    def read_text(self, csv_path):
        try:
            with open(csv_path, "rb") as csv_file:
                size = os.fstat(csv_file.fileno()).st_size
                data = csv_file.read(MAX_FILE_SIZE + 1)
        except OSError as error:
            raise CommandError(f"Cannot read {csv_path}: {error.strerror}.") from error
        try:
            return decode_csv_file(data, size=max(size, len(data)))
        except ImportFileError as error:
            raise CommandError(f"{csv_path}: {error.message}") from error
