from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import DEFAULT_DB_ALIAS, connections

from school.backups import BackupError, Database, backup_create


class Command(BaseCommand):
    help = (
        "Back up the site: a consistent PostgreSQL dump (pg_dump, custom format) and an archive of "
        "MEDIA_ROOT, with their checksums, into a new directory named by the UTC time under --directory."
    )

    def add_arguments(self, parser):
        parser.add_argument("--directory", default="backups", help="Where backups go (default: backups).")
        parser.add_argument("--database-url", help="The PostgreSQL database to back up (default: the site's database).")

    def handle(self, *args, directory, database_url, **options):
        try:
            database = database_of(database_url)
            backup = backup_create(database=database, directory=directory, media_root=settings.MEDIA_ROOT)
        except BackupError as error:
            raise CommandError(str(error)) from error
        files = backup.manifest["files"]
        self.stdout.write(
            f"Backed up the database {database.describe()} and {backup.manifest['media_files']} media files "
            f"into {backup.path}/ (dump {files['database.dump']['bytes']:,} bytes, "
            f"media {files['media.tar.gz']['bytes']:,} bytes)."
        )


def database_of(database_url):
    """The database a URL names, or the site's own."""
    if database_url:
        return Database.from_url(database_url)
    return Database.from_settings(connections[DEFAULT_DB_ALIAS].settings_dict)
