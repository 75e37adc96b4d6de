"""Default settings: safe for the embedded demo and tests, refused in production.

Loaded first; then the Python file named by CHECKOUT_CONFIG; then CHECKOUT_* environment
variables (CHECKOUT_SECRET_KEY sets SECRET_KEY; values are parsed as JSON when they can be).
Secrets never live here: Stripe keys are read from the environment variables that
config/offices.toml names for each office.
"""

# "development" for the demo and tests; "production" turns on the start-up refusals in
# checkout/settings.py (default secret key, test Stripe keys, the stand-in's address, SQLite).
ENV = "development"

# Signs the session cookie and CSRF tokens. This value is public, hence refused in production.
SECRET_KEY = "dev-only-not-secret"  # noqa: S105 - a known default, refused in production

# Keys the hashes the consent ledger keeps instead of IP addresses and the suppression list's
# email hashes, and signs the consent links in emails. Unlike SECRET_KEY it must never be
# rotated: hashes made under another key no longer match, and links in old receipts would
# stop working. Refused in production when left at this default.
EVIDENCE_HASH_KEY = "dev-only-evidence-key"

# How many proxies (a TLS terminator, a load balancer) stand before the app and add
# X-Forwarded-For / X-Forwarded-Proto. Rate limits and the consent ledger's IP evidence use the
# address the outermost trusted proxy saw. None (unset) is refused in production; 0 is a valid
# explicit value (nothing in front). A number larger than the real one lets donors forge
# their address, so count exactly.
TRUSTED_PROXY_COUNT = None
# Host names the app answers to (Flask's TRUSTED_HOSTS): a request for another Host is refused
# with 400. Required in production, e.g. ["give.ijm.org"]; None accepts any (demo, tests).
TRUSTED_HOSTS = None

# Links in emails: the address donors reach this app at (no trailing slash), how long a link
# to confirm an email opt-in (double opt-in) stays valid, and how long the withdrawal and Gift
# Aid cancellation links in receipts work (days).
PUBLIC_BASE_URL = "http://127.0.0.1:5000"
CONSENT_CONFIRM_LINK_DAYS = 14
CONSENT_LINK_DAYS = 3650

# SQLAlchemy URL. Empty means the SQLite file instance/checkout.sqlite3. DATABASE_URL in the
# environment (the usual name on hosting platforms) is honoured when this is empty.
DATABASE_URL = ""

# The offices registry, relative to the project root unless absolute.
OFFICES_FILE = "config/offices.toml"

# The SHA-256 of every notice text released under each version (`flask --app wsgi consent
# lock-notices` adds new versions). The app refuses to start when a text differs from the one
# locked under its version, and in production when a configured version is not locked yet.
NOTICE_LOCK_FILE = "config/notices.lock"

# Where Stripe's API is. The default is the local stand-in that `make demo` starts; production
# must use Stripe's own address.
STRIPE_API_BASE = "http://127.0.0.1:12111"
STRIPE_API_BASE_PRODUCTION = "https://api.stripe.com"

# Languages: the donor's choice (switcher or ?lang=) wins over Accept-Language.
BABEL_DEFAULT_LOCALE = "en"
BABEL_DEFAULT_TIMEZONE = "UTC"

# Cookies: the session cookie holds only ids (never personal data); it is signed, not
# encrypted. HTTPS-only in production, see config/production.py.
SESSION_COOKIE_NAME = "checkout_session"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = False
PERMANENT_SESSION_LIFETIME = 60 * 60 * 24  # seconds

# CSRF tokens for every form (Flask-WTF); valid for the life of the session.
WTF_CSRF_ENABLED = True
WTF_CSRF_TIME_LIMIT = None

# Rate limits (Flask-Limiter). memory:// is right for one process; with several web
# processes use a shared store, e.g. "redis://127.0.0.1:6379/0".
RATELIMIT_STORAGE_URI = "memory://"
RATELIMIT_HEADERS_ENABLED = True
# When the shared store (Redis) cannot be reached, count in each process's memory rather than
# refuse donations; the log says so, and /healthz reports "ratelimit": "degraded".
RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True

# Requests larger than this are refused with 413 before a view sees them (bytes). Stripe's
# webhooks have their own limit: an event carries a whole object (an invoice with its lines).
MAX_CONTENT_LENGTH = 64 * 1024
WEBHOOK_MAX_CONTENT_LENGTH = 1024 * 1024

# The charity's name as donors know it, shown in the page header and emails.
CHARITY_NAME = "International Justice Mission"

# The wizard: a draft left alone this long is gone (a new visit starts afresh), and
# `flask --app wsgi drafts purge` erases what was typed into it (minutes).
DRAFT_IDLE_MINUTES = 60
# `flask --app wsgi retention run` erases what was typed into drafts that never reached
# payment after this many days (donors are erased after their office's retention_years).
RETENTION_DRAFT_DAYS = 30
# Stored Stripe events (ids, states and amounts only) lose even that after this many days; the
# event id stays so a late redelivery is still recognised.
STRIPE_EVENT_KEEP_DAYS = 90
# The nightly retention run commits after each batch of this many donors (or events).
RETENTION_BATCH_SIZE = 200
# Step submissions per client address (Flask-Limiter syntax).
WIZARD_RATE_LIMIT = "30 per minute"
# Where "How was it for you?" on the thank-you page leads; empty: an email to the office.
FEEDBACK_URL = ""

# Stripe.js: the stand-in serves it beside its API; production loads Stripe's own.
STRIPE_JS_URL = "http://127.0.0.1:12111/v3/"
# The SDK retries conflicts and server errors itself, with backoff (tests set 0).
STRIPE_MAX_NETWORK_RETRIES = 2
# Attempts to start a payment per client address: card testers try many cards quickly.
PAY_RATE_LIMIT = "10 per hour;30 per day"
# Card testing (checkout/payments/card_testing.py, breaker.py, proof_of_work.py). Every card
# attempt reaches Stripe only through our server (POST /donate/pay/confirm), which counts
# declines per PaymentIntent, draft, client address, email and card fingerprint, in the shared
# counters (RATELIMIT_STORAGE_URI: Redis in production). These are production values; the demo
# (config/demo.py) is more generous so a newcomer can try every test card.
# Declines after which a PaymentIntent is cancelled (the donor is told to start again).
CARD_DECLINES_PER_INTENT = 3
# Declines after which further attempts are refused for a while (Flask-Limiter syntax).
CARD_DECLINES_PER_DRAFT = "3 per hour"
CARD_DECLINES_PER_ADDRESS = "5 per hour;10 per day"
CARD_DECLINES_PER_EMAIL = "5 per day"
CARD_DECLINES_PER_FINGERPRINT = "3 per day"
# Confirmation requests per client address, whatever their outcome.
CONFIRM_RATE_LIMIT = "20 per minute;60 per hour"
# The site-wide breaker: when, over the window, at least MIN_FAILURES card attempts failed
# (declined or refused by the limits above) and they are at least RATE of all attempts, new
# payment starts need a solved proof-of-work challenge for HOLD; it then switches off by itself
# unless the rate is still high.
CARD_BREAKER_WINDOW = "10 minutes"
CARD_BREAKER_MIN_FAILURES = 20
CARD_BREAKER_RATE = 0.5
CARD_BREAKER_HOLD = "15 minutes"
# The challenge (ALTCHA, PBKDF2/SHA-256): iterations per guess (about 256 guesses on average,
# a second or two in a browser) and how long a challenge may be solved and used.
PROOF_OF_WORK_COST = 5000
PROOF_OF_WORK_MINUTES = 20

# How often the page Stripe.js returns to may ask Stripe about one donation (webhooks bring
# the rest): reloading it must not turn into a stream of calls to Stripe.
RETURN_SYNC_LIMIT = "3 per minute"

# The outbox worker: a message failing this many times is parked as dead for staff to see
# (`flask outbox dead`, `flask outbox retry ID`); retries back off from this many seconds,
# doubling, with jitter; a claimed message whose worker died is taken again after the lease.
OUTBOX_MAX_ATTEMPTS = 8
OUTBOX_BACKOFF_SECONDS = 30
OUTBOX_LEASE_SECONDS = 300
# Emails a worker sends at once (a batch's receipts), one kept SMTP connection each: sending is
# mostly waiting for the server, more so with a remote relay.
MAIL_SEND_THREADS = 4

# The domain part of the stable Message-ID of each receipt email ("<receipt.DE-2026-000001@…>"),
# so a resend after a crash is recognisable as the same message.
MAIL_MESSAGE_DOMAIN = "receipts.checkout.invalid"

# Mail (receipts and other emails, sent by the outbox worker through checkout/mail).
# "file" writes each message as an .eml file (the demo and tests need no mail server; a resend
# overwrites the same file); "smtp" delivers through the SMTP_* server below (production).
MAIL_TRANSPORT = "file"
# Where the "file" transport writes; empty means instance/mail. Relative to the project root.
MAIL_FILE_DIR = ""
# The From address of every email. EXAMPLE: the charity's own sending address goes here (its
# domain needs SPF/DKIM records that allow the SMTP server used).
MAIL_FROM = "IJM <receipts@example.org>"
# The SMTP server (a relay or the provider's submission service) for MAIL_TRANSPORT = "smtp".
SMTP_HOST = "127.0.0.1"
SMTP_PORT = 587
# "starttls" (port 587: upgrade a plain connection), "tls" (port 465: TLS from the start) or
# "none" (a relay on loopback only: receipts carry personal data, and a password is refused).
SMTP_SECURITY = "starttls"
# Login at the server; an empty username sends without logging in.
SMTP_USERNAME = ""
# A secret: never written here or in a file; set CHECKOUT_SMTP_PASSWORD in the environment.
SMTP_PASSWORD = ""
# Seconds to wait for the server to connect or answer before the attempt fails (and the
# outbox retries later with backoff).
SMTP_TIMEOUT = 30

# Transfers to the offices (`flask --app wsgi offices export --office DE`). A gift goes into a
# batch only once its money has been kept this many days, so a refund for fraud, which staff
# usually make within days, lands before the gift could be sent (a batch cannot be recalled).
OFFICE_EXPORT_HOLD_DAYS = 7
# `flask --app wsgi retention run` erases a batch's files (names, addresses, emails) this many
# days after it was made; its number, counts and SHA-256 hashes stay as proof of what was sent.
OFFICE_EXPORT_KEEP_DAYS = 90
# Where the batch files are written; empty means instance/exports/<OFFICE>. Relative to the
# project root.
OFFICE_EXPORT_DIR = ""

# Staff consoles (/staff). Their session cookie is their own (name, path /staff), holds only a
# random token whose hash the database keeps, and ends after this many idle minutes or hours
# in all. Sensitive actions (refunds, staff administration, audit exports) ask for the second
# factor again when the last proof is older than STAFF_REAUTH_MINUTES. An enrolment link works
# for STAFF_ENROLMENT_HOURS.
STAFF_SESSION_COOKIE_NAME = "checkout_staff"
STAFF_IDLE_MINUTES = 30
STAFF_ABSOLUTE_HOURS = 12
STAFF_REAUTH_MINUTES = 10
STAFF_ENROLMENT_HOURS = 24
# Failed sign-ins allowed per typed address and per client address (Flask-Limiter syntax);
# unknown addresses count like known ones, so the answer is the same.
STAFF_ACCOUNT_RATE_LIMIT = "5 per 15 minutes"
STAFF_ADDRESS_RATE_LIMIT = "30 per 15 minutes"
# Wrong second-factor codes allowed per account before it must wait.
STAFF_FACTOR_RATE_LIMIT = "5 per 15 minutes"
# Passkeys: the relying party id (a host name) and origin; empty means this request's host
# and origin, right when the console is reached at one address (set both behind a proxy).
STAFF_PASSKEY_RP_ID = ""
STAFF_PASSKEY_ORIGIN = ""
# How long the link works that lets a donor confirm another address for a copy of a receipt.
SUPPORT_ADDRESS_LINK_HOURS = 72

# The donor portal (/account). Donors sign in with a link emailed to them: usable once, for
# PORTAL_LINK_MINUTES. The portal's session cookie is its own (name, path /account), holds
# only a random token whose hash the database keeps, and ends after this many idle minutes or
# hours in all.
PORTAL_SESSION_COOKIE_NAME = "checkout_portal"
PORTAL_LINK_MINUTES = 20
PORTAL_IDLE_MINUTES = 30
PORTAL_ABSOLUTE_HOURS = 12
# Sign-in links asked for per typed address (known or not: the answer is the same, and over
# the limit no email goes) and sign-in requests per client address (Flask-Limiter syntax).
PORTAL_EMAIL_RATE_LIMIT = "3 per 20 minutes;10 per day"
PORTAL_ADDRESS_RATE_LIMIT = "10 per hour;50 per day"
# Changes to recurring gifts per client address, and attempts to save a new card or bank
# account (each reaches Stripe) per client address.
PORTAL_CHANGE_RATE_LIMIT = "30 per hour"
PORTAL_SETUP_RATE_LIMIT = "5 per hour;10 per day"
# Email sign-up (/signup) without a gift: per typed address (the same answer over the limit,
# and no email) and per client address.
SIGNUP_EMAIL_RATE_LIMIT = "3 per day"
SIGNUP_ADDRESS_RATE_LIMIT = "10 per hour;50 per day"

# Logs: one JSON object per line on standard error ("json"), each with its request id, at
# this level. "" leaves Python's logging as it is (the test suite captures it itself).
LOG_FORMAT = "json"
LOG_LEVEL = "INFO"

# GET /metrics (Prometheus) answers only requests from these networks (the client's address
# as TRUSTED_PROXY_COUNT sees it) or carrying "Authorization: Bearer <METRICS_BEARER_TOKEN>".
# Production refuses to start with neither set; the token comes from the environment
# (CHECKOUT_METRICS_BEARER_TOKEN), at least 32 characters.
METRICS_ALLOWED_NETWORKS = ["127.0.0.0/8", "::1/128"]
METRICS_BEARER_TOKEN = ""
# GET /readyz answers 503 while the oldest due outbox message (a Stripe event to apply, a
# receipt to send) has waited this many seconds.
READY_OUTBOX_LAG_SECONDS = 120

# Error reports to Sentry: empty sends nothing. Set CHECKOUT_SENTRY_DSN to the project's DSN;
# personal data is scrubbed before a report leaves (checkout/observability/error_reports.py).
SENTRY_DSN = ""
# The environment reports are filed under; empty means ENV.
SENTRY_ENVIRONMENT = ""

# Finance reconciliation (checkout/finance): a receipt may take this long after its payment
# before it is missing; a charge may take this long to reach a payout (bank debits become
# available days after they are submitted) before it is missing at Stripe.
FINANCE_RECEIPT_GRACE_HOURS = 48
FINANCE_PAYOUT_GRACE_DAYS = 7
