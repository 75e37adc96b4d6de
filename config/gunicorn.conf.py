"""gunicorn's settings for production: `gunicorn -c config/gunicorn.conf.py wsgi:app`.

Each value can be overridden on the command line or with GUNICORN_CMD_ARGS. The app itself is
configured by CHECKOUT_CONFIG and CHECKOUT_* variables (README, "How production runs").
"""

import os

from checkout.site.access_log import gunicorn_logger_class

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("GUNICORN_WORKERS", "4"))
# Donors' requests are short; Stripe calls have their own timeouts inside (the SDK's).
timeout = 30
graceful_timeout = 30
keepalive = 5
# Access log on stdout, without link tokens (checkout/site/access_log.py).
accesslog = "-"
logger_class = gunicorn_logger_class()
# The proxy in front terminates TLS; the app trusts TRUSTED_PROXY_COUNT of its headers.
forwarded_allow_ips = os.environ.get("GUNICORN_FORWARDED_ALLOW_IPS", "127.0.0.1")
