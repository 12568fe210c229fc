"""Bounded load on one URL: `python -m bench.load` reads a JSON job on stdin, prints JSON results.

It runs in its own process, apart from `bench run`, so that the threads sending requests never
wait for the measuring process's GIL (nor it for theirs). Standard library only: it starts fast
and needs nothing installed. Each connection sends its next request as soon as the previous
response has been read to the end; gunicorn's sync workers close the connection after every
response, and http.client then opens a new one, as a browser behind a proxy would.

Job: {"port": int, "method": "GET", "path": str, "headers": {...}, "connections": int, "seconds": float}
Result: {"requests": int, "seconds": float, "statuses": {"200": int, ...}, "errors": [str, ...]}
"""

import http.client
import json
import sys
import threading
import time
from collections import Counter


def connection_run(job, deadline, statuses, errors, lock):
    connection = http.client.HTTPConnection("127.0.0.1", job["port"], timeout=120)
    seen = Counter()
    problems = []
    while time.perf_counter() < deadline:
        try:
            connection.request(job["method"], job["path"], headers=job["headers"])
            response = connection.getresponse()
            response.read()
            seen[str(response.status)] += 1
            if response.will_close:
                connection.close()
        except (OSError, http.client.HTTPException) as error:
            problems.append(f"{type(error).__name__}: {error}")
            connection.close()
    connection.close()
    with lock:
        statuses.update(seen)
        errors.extend(problems[:3])


def main():
    job = json.load(sys.stdin)
    statuses = Counter()
    errors = []
    lock = threading.Lock()
    started = time.perf_counter()
    deadline = started + job["seconds"]
    threads = [
        threading.Thread(target=connection_run, args=(job, deadline, statuses, errors, lock))
        for _connection in range(job["connections"])
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # Until the last response in flight at the deadline was read: every counted request fits in it.
    seconds = time.perf_counter() - started
    json.dump(
        {"requests": sum(statuses.values()), "seconds": seconds, "statuses": dict(statuses), "errors": errors},
        sys.stdout,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
