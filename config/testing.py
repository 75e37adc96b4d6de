"""Settings for the test suite (name it in CHECKOUT_CONFIG, or pass overrides to create_app)."""

TESTING = True
SECRET_KEY = "testing-not-secret"  # noqa: S105 - tests only
WTF_CSRF_ENABLED = True
RATELIMIT_ENABLED = True
