"""`manage.py rundemo [addr:port]`: the development server for the demo. It applies migrations,
loads the demo the first time (an existing demo is left as it is: `make seed` loads it again), and
prints the demo logins once it listens, last, with the address it really serves."""

from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.commands.runserver import Command as RunserverCommand

from .seed_demo_content import DEMO_PASSWORD, DEMO_USERNAMES, logins_table


class Command(RunserverCommand):
    help = "Migrate, load the demo if it is missing, serve the site (runserver) and print the demo logins."

    def handle(self, *args, **options):
        call_command("migrate", interactive=False, verbosity=0)
        if get_user_model().objects.filter(username__in=DEMO_USERNAMES).count() < len(DEMO_USERNAMES):
            self.stdout.write("Loading the demo course, its people and their progress (the first time only)…")
            for command in ("seed_demo_content", "seed_demo_mentorships", "seed_demo_progress"):
                call_command(command, verbosity=0)
        super().handle(*args, **options)

    def on_bind(self, server_port):
        super().on_bind(server_port)
        # Listening on every interface: this machine's own address is the one to open.
        every_interface = self.addr in {"0", "0.0.0.0"}  # noqa: S104 - read, not bound
        host = f"[{self.addr}]" if self._raw_ipv6 else ("127.0.0.1" if every_interface else self.addr)
        base_url = f"{self.protocol}://{host}:{server_port}"
        self.stdout.write(
            f"\nThe demo is at {base_url}/\nDemo logins (password {DEMO_PASSWORD} for everyone):\n"
            f"{logins_table(base_url)}\n"
        )
