"""The staff consoles' session cookie: its own name and path, never the donors' cookie.

Flask's session interface is asked for the cookie's name and path on each request; under
/staff it answers with the staff cookie, so a donor's wizard cookie and a staff member's
console cookie never mix, and the console's cookie is not even sent to donor pages.
"""

from __future__ import annotations

from flask import Flask, has_request_context, request
from flask.sessions import SecureCookieSessionInterface

STAFF_PATH = "/staff"


def is_staff_request() -> bool:
    """True while serving a page under /staff."""
    if not has_request_context():
        return False
    path = request.path  # read once: the session interface asks several times a request
    return path == STAFF_PATH or path.startswith(STAFF_PATH + "/")


class StaffAwareSessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, with the staff cookie's name and path under /staff."""

    def get_cookie_name(self, app: Flask) -> str:
        """STAFF_SESSION_COOKIE_NAME under /staff, SESSION_COOKIE_NAME elsewhere."""
        if is_staff_request():
            return str(app.config["STAFF_SESSION_COOKIE_NAME"])
        return super().get_cookie_name(app)

    def get_cookie_path(self, app: Flask) -> str:
        """/staff for the staff cookie."""
        return STAFF_PATH if is_staff_request() else super().get_cookie_path(app)

    def get_cookie_httponly(self, app: Flask) -> bool:
        """The staff cookie is never readable by scripts."""
        return True if is_staff_request() else super().get_cookie_httponly(app)
