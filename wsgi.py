"""The WSGI entry point: `flask --app wsgi run`, or `gunicorn wsgi:app` in production."""

from checkout import create_app

app = create_app()
