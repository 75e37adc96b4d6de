"""The portal's session cookie: its own name and path, never the wizard's or the console's.

Flask asks the session interface for the cookie's name and path on each request; under
/account it answers with the portal's cookie, so a donor's wizard cookie, the portal's and a
staff member's console cookie never mix, and the portal's is not sent to other pages.
"""

from __future__ import annotations

from flask import Flask, has_request_context, request

from checkout.staff.cookies import StaffAwareSessionInterface

PORTAL_PATH = "/account"


def is_portal_request() -> bool:
    """True while serving a page under /account."""
    if not has_request_context():
        return False
    path = request.path  # read once: the session interface asks several times a request
    return path == PORTAL_PATH or path.startswith(PORTAL_PATH + "/")


class PortalAwareSessionInterface(StaffAwareSessionInterface):
    """The staff-aware sessions, with the portal's cookie name and path under /account."""

    def get_cookie_name(self, app: Flask) -> str:
        """PORTAL_SESSION_COOKIE_NAME under /account."""
        if is_portal_request():
            return str(app.config["PORTAL_SESSION_COOKIE_NAME"])
        return super().get_cookie_name(app)

    def get_cookie_path(self, app: Flask) -> str:
        """/account for the portal's cookie."""
        return PORTAL_PATH if is_portal_request() else super().get_cookie_path(app)

    def get_cookie_httponly(self, app: Flask) -> bool:
        """The portal's cookie is never readable by scripts."""
        return True if is_portal_request() else super().get_cookie_httponly(app)
