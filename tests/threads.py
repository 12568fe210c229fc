"""Running a piece of a test as another worker would: in a thread with its own database connection."""

import threading

from django.db import connection


def in_another_connection(function):
    """Run `function` in a thread, with its own database connection: another worker's request."""
    result = {}

    def run():
        try:
            result["value"] = function()
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(timeout=60)
    return result.get("value")
