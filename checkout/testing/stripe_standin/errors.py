"""Stripe's error object, raised anywhere in the stand-in and rendered by the app."""

from __future__ import annotations

from typing import Any


class StripeError(Exception):
    """An error answered in Stripe's shape: `{"error": {type, message, code, param, ...}}`."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        type: str = "invalid_request_error",
        code: str | None = None,
        param: str | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.type = type
        self.code = code
        self.param = param
        self.extra = extra

    def body(self) -> dict[str, Any]:
        """The JSON body Stripe would send for this error."""
        error: dict[str, Any] = {"type": self.type, "message": self.message}
        if self.code:
            error["code"] = self.code
            error["doc_url"] = f"https://stripe.com/docs/error-codes/{self.code.replace('_', '-')}"
        if self.param:
            error["param"] = self.param
        error.update(self.extra)
        return {"error": error}


def invalid(message: str, *, param: str | None = None, code: str | None = None) -> StripeError:
    """A 400 invalid_request_error."""
    return StripeError(400, message, param=param, code=code)


def missing(kind: str, ident: str, param: str = "id") -> StripeError:
    """The 404 Stripe answers for an id that does not exist in this account."""
    return StripeError(404, f"No such {kind}: '{ident}'", code="resource_missing", param=param)


def unsupported(what: str) -> StripeError:
    """A loud refusal for a real Stripe feature that the stand-in does not implement.

    Better than silently ignoring it: a test that relies on it fails here and says why.
    """
    return StripeError(
        400, f"The local Stripe stand-in does not implement {what}.", code="standin_unsupported"
    )


def unexpected_state(message: str) -> StripeError:
    """Stripe's 400 for an action the object's current status does not allow."""
    return StripeError(400, message, code="payment_intent_unexpected_state")
