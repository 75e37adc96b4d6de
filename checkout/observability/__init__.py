"""Seeing what the service does: JSON logs with request ids, Prometheus metrics, readiness,
and optional error reports to Sentry. Nothing here holds or sends personal data."""
