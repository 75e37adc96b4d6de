"""A starting point for production: name it in CHECKOUT_CONFIG and set secrets in the environment.

The app refuses to start in production without CHECKOUT_SECRET_KEY, CHECKOUT_EVIDENCE_HASH_KEY,
DATABASE_URL (PostgreSQL), and each office's Stripe keys and webhook secret (the variable names
are in config/offices.toml).
"""

ENV = "production"
# Set both for your deployment (the app refuses to start without them), e.g. in the
# environment: CHECKOUT_TRUSTED_PROXY_COUNT=1, CHECKOUT_TRUSTED_HOSTS='["give.ijm.org"]'.
TRUSTED_PROXY_COUNT = None
TRUSTED_HOSTS = None
STRIPE_API_BASE = "https://api.stripe.com"
STRIPE_JS_URL = "https://js.stripe.com/v3/"
SESSION_COOKIE_SECURE = True
PREFERRED_URL_SCHEME = "https"
# Several web processes share rate-limit counters through Redis.
RATELIMIT_STORAGE_URI = "redis://127.0.0.1:6379/0"
# Receipts go out by SMTP over TLS; the password comes from CHECKOUT_SMTP_PASSWORD.
MAIL_TRANSPORT = "smtp"
SMTP_SECURITY = "starttls"
# Who may read /metrics: set CHECKOUT_METRICS_ALLOWED_NETWORKS='["10.0.5.0/24"]' (the
# monitoring network) or CHECKOUT_METRICS_BEARER_TOKEN; the app refuses to start without one.
METRICS_ALLOWED_NETWORKS: list[str] = []
