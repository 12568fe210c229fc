"""gunicorn settings for the production stack: `gunicorn -c gunicorn.conf.py school.wsgi`.

Everything a host may need to change comes from the environment.
"""

import multiprocessing
import os


bind = f"{os.environ.get('HOST', '0.0.0.0')}:{os.environ.get('PORT', '8000')}"  # noqa: S104 (behind the balancer)

# Sync workers, the usual 2 × cores + 1, capped so that a big host does not open more database
# connections than PostgreSQL's max_connections allows for all app hosts together.
workers = int(os.environ.get("WEB_CONCURRENCY", min(2 * multiprocessing.cpu_count() + 1, 12)))

# A request that takes longer is stuck (the database connect timeout is 5 s): the worker is replaced.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = 30
# Longer than nothing, shorter than the load balancer's idle timeout, so the balancer closes first.
keepalive = 5

# Recycle each worker after about a thousand requests; the jitter keeps them from restarting together.
max_requests = 1000
max_requests_jitter = 100

# Import Django once in the master and fork the workers from it: less memory (shared pages), fast
# worker restarts after max_requests, and a broken setting stops the start instead of making every
# worker crash in turn. Nothing opens a database connection at import; a code change needs a full
# restart (not HUP), which a release does anyway.
preload_app = True

# Access and error logs to stdout/stderr, for the service manager or container runtime to collect.
accesslog = "-"
errorlog = "-"
# The balancer's X-Forwarded-For first: the client's address, not the balancer's.
access_log_format = '%({x-forwarded-for}i)s %(h)s "%(r)s" %(s)s %(b)s %(M)sms "%(a)s"'

# gunicorn's runtime control socket (gunicornc) is not used: the service manager signals the master.
# Off, so that several servers on one host do not claim the same default socket path.
control_socket_disable = True
