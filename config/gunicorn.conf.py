"""gunicorn's settings for production: `gunicorn -c config/gunicorn.conf.py wsgi:app`.

Each value can be overridden on the command line or with GUNICORN_CMD_ARGS. The app itself is
configured by CHECKOUT_CONFIG and CHECKOUT_* variables (README, "How production runs").
"""

import os

# The app's modules are imported here, in the master, so every worker forks with them
# loaded (shared copy-on-write, and a worker restarted after a crash answers at once); the app
# itself, with its database pool, is made in each worker. Not `preload_app`.
import checkout.factory  # noqa: F401
from checkout.observability.gunicorn_hooks import forget_dead_processes, metrics_of_exited
from checkout.site.access_log import gunicorn_logger_class

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("GUNICORN_WORKERS", "4"))
# Donors' requests are short; Stripe calls have their own timeouts inside (the SDK's).
timeout = 30
graceful_timeout = 30
keepalive = 5
# Access log on stdout, without link tokens (checkout/site/access_log.py), with the request
# id the app gave each answer (the same id is on the app's own JSON lines).
accesslog = "-"
access_log_format = '%(h)s "%(r)s" %(s)s %(b)s %(M)sms request_id=%({x-request-id}o)s'
logger_class = gunicorn_logger_class()
# The proxy in front terminates TLS; the app trusts TRUSTED_PROXY_COUNT of its headers.
forwarded_allow_ips = os.environ.get("GUNICORN_FORWARDED_ALLOW_IPS", "127.0.0.1")

# /metrics adds up every process's counts when PROMETHEUS_MULTIPROC_DIR names a folder shared
# by the web processes and the workers of this machine (README, "How production runs").
on_starting = forget_dead_processes
child_exit = metrics_of_exited
