from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from school.backups import BackupError, backup_open, backup_restore

from .backup import database_of


class Command(BaseCommand):
    help = (
        "Restore a backup made by `backup` (its directory) into the site's database and MEDIA_ROOT. "
        "The backup is checked whole first; both targets must be empty unless --force, which replaces "
        "what is there. The database is restored in one transaction: a failure leaves it as it was."
    )

    def add_arguments(self, parser):
        parser.add_argument("backup", help="The backup's directory, e.g. backups/20260301T020000Z.")
        parser.add_argument(
            "--force",
            action="store_true",
            help="Drop the tables already in the database and empty MEDIA_ROOT before restoring.",
        )
        parser.add_argument(
            "--database-url", help="The PostgreSQL database to restore into (default: the site's database)."
        )

    def handle(self, *args, backup, force, database_url, **options):
        try:
            database = database_of(database_url)
            checked = backup_open(backup)
            self.stdout.write(f"{checked.path}/ is whole: checksums match, pg_restore read the dump to the end.")
            backup_restore(backup=checked, database=database, media_root=settings.MEDIA_ROOT, force=force)
        except BackupError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(
            f"Restored {checked.path}/ into the database {database.describe()} and "
            f"{checked.manifest.get('media_files', 0)} media files into {settings.MEDIA_ROOT}. "
            "Run `manage.py migrate` if this code is newer than the backup, and empty the cache."
        )
