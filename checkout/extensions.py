"""Flask extensions, created unbound here and bound to an app in create_app."""

from __future__ import annotations

import hashlib
import hmac

from flask import current_app, request
from flask_babel import Babel
from flask_limiter import Limiter
from flask_login import LoginManager
from flask_wtf.csrf import CSRFProtect


def hashed_remote_address() -> str:
    """The client's address as a keyed hash: rate-limit keys in Redis hold no IP address."""
    key = str(current_app.config["SECRET_KEY"]).encode()
    address = (request.remote_addr or "unknown").encode()
    return hmac.new(key, address, hashlib.sha256).hexdigest()[:32]


csrf = CSRFProtect()
babel = Babel()
# No default limits: each endpoint that creates or changes state names its own.
limiter = Limiter(key_func=hashed_remote_address, default_limits=[])
#: Set on a view whose requests are counted by `checkout.counters.limit_per_address` instead.
COUNTED_BY_COUNTERS = "counted_by_checkout_counters"


@limiter.request_filter
def counted_by_our_counters() -> bool:
    """Flask-Limiter skips its per-request work for views our own counters limit."""
    view = current_app.view_functions.get(request.endpoint or "")
    return bool(getattr(view, COUNTED_BY_COUNTERS, False))


# Staff consoles only (checkout/staff): donors never sign in with a password.
login_manager = LoginManager()
