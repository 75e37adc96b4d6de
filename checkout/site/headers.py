"""Security headers on every response, and no caching of pages that may show personal data.

A small after-request hook rather than a library: the policy is a handful of fixed strings,
and the only moving part is where Stripe.js lives (Stripe's hosts in production, the local
stand-in in the demo and tests), which comes from the configuration.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from flask import Flask, request
from werkzeug.wrappers import Response

#: The hosts Stripe documents for Stripe.js and the Payment Element under a CSP
#: (https://docs.stripe.com/security/guide#content-security-policy).
STRIPE_SOURCES = {
    "script-src": ["https://js.stripe.com", "https://*.js.stripe.com"],
    "frame-src": ["https://js.stripe.com", "https://*.js.stripe.com", "https://hooks.stripe.com"],
    "connect-src": ["https://api.stripe.com"],
    "img-src": ["https://*.stripe.com"],
}
#: Browser features no page of ours uses; payment stays open to Stripe's frames (wallets).
PERMISSIONS_POLICY = (
    "accelerometer=(), camera=(), geolocation=(), gyroscope=(), magnetometer=(), "
    'microphone=(), usb=(), payment=(self "https://js.stripe.com")'
)
HSTS = "max-age=63072000; includeSubDomains"


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else ""


def stripe_sources(config: Mapping[str, Any]) -> dict[str, list[str]]:
    """Where Stripe.js and its API are: Stripe's documented hosts, or the stand-in's origins."""
    script = _origin(str(config.get("STRIPE_JS_URL", "")))
    if script == "https://js.stripe.com":
        return STRIPE_SOURCES
    api = _origin(str(config.get("STRIPE_API_BASE", "")))
    origins = [origin for origin in dict.fromkeys([script, api]) if origin]
    return dict.fromkeys(("script-src", "frame-src", "connect-src", "img-src"), origins)


def content_security_policy(config: Mapping[str, Any]) -> str:
    """The policy for every page: our own files plus Stripe's, nothing inline for scripts."""
    stripe = stripe_sources(config)
    directives = {
        "default-src": ["'self'"],
        "script-src": ["'self'", *stripe["script-src"]],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:", *stripe["img-src"]],
        "font-src": ["'self'"],
        "connect-src": ["'self'", *stripe["connect-src"]],
        "frame-src": stripe["frame-src"],
        "worker-src": ["'self'"],
        "form-action": ["'self'"],
        "base-uri": ["'none'"],
        "object-src": ["'none'"],
        "frame-ancestors": ["'none'"],
    }
    return "; ".join(f"{name} {' '.join(values)}" for name, values in directives.items())


def init_app(app: Flask, production: bool) -> None:
    """Add the headers to every response of `app`."""
    policy = content_security_policy(app.config)
    fixed = {
        "Content-Security-Policy": policy,
        "X-Frame-Options": "DENY",
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "strict-origin-when-cross-origin",
        "Permissions-Policy": PERMISSIONS_POLICY,
        "Cross-Origin-Opener-Policy": "same-origin-allow-popups",
    }
    if production:
        fixed["Strict-Transport-Security"] = HSTS

    def add_headers(response: Response) -> Response:
        for name, value in fixed.items():
            response.headers.setdefault(name, value)
        if request.endpoint != "static":
            # Pages and answers may show a donor's name, email or gift: never kept by a
            # browser's or a proxy's cache (the back button then asks the server again).
            response.headers["Cache-Control"] = "no-store"
        return response

    app.after_request(add_headers)
