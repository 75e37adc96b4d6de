"""Flask extensions, created unbound here and bound to an app in create_app."""

from __future__ import annotations

from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_wtf.csrf import CSRFProtect

csrf = CSRFProtect()
babel = Babel()
# No default limits: each endpoint that creates or changes state names its own.
limiter = Limiter(key_func=get_remote_address, default_limits=[])
# Staff consoles only (checkout/staff): donors never sign in with a password.
login_manager = LoginManager()
