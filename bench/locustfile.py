"""Donors for bench/load_test.py: each walks the wizard and pays, as a browser does.

Runs in locust's own virtualenv (.venv/locust, `make locust`), so it imports nothing of the
app: it reads what each page shows (CSRF tokens, the notice shown, the review page's pay
form, the publishable key) and posts what a donor would. The pay step is the browser's: a
ConfirmationToken made at the stand-in with the publishable key (Stripe.js's call), posted to
`POST /donate/pay/confirm`. A mix of DE and UK donors, once and monthly, card and SEPA debit.
STANDIN_URL names the stand-in.
"""

from __future__ import annotations

import os
import random

from donor_pages import DONORS, amount_form, csrf, details_form, pay_form, pay_page, token_params
from locust import HttpUser, between, task

STANDIN_URL = os.environ["STANDIN_URL"].rstrip("/")
#: (office, frequency, method, weight): what the donors choose.
MIX = [
    ("DE", "once", "card", 4),
    ("DE", "once", "sepa_debit", 2),
    ("DE", "monthly", "sepa_debit", 2),
    ("UK", "once", "card", 2),
    ("UK", "monthly", "card", 2),
]


class Donor(HttpUser):
    """One donor after another: a new browser session each time."""

    wait_time = between(0.5, 2.0)

    @task
    def give(self) -> None:
        office, frequency, method, _ = random.choices(MIX, weights=[m[3] for m in MIX])[0]
        self.client.cookies.clear()
        headers = {"Accept-Language": DONORS[office][0]}
        page = self._get("/donate/amount", headers)
        page = self._post(
            "/donate/amount", amount_form(page, frequency), headers, "/donate/details"
        )
        page = self._post("/donate/details", details_form(page, office), headers, "/donate/method")
        chosen = {"csrf_token": csrf(page), "method": method}
        review = self._post("/donate/method", chosen, headers, "/donate/review")
        page = self._post("/donate/pay", pay_form(review), headers, "/donate/pay")
        key, token_csrf = pay_page(page)
        token = self._confirmation_token(key, method)
        with self.client.post(
            "/donate/pay/confirm",
            json={"confirmation_token": token},
            headers={**headers, "X-CSRFToken": token_csrf},
            name="POST /donate/pay/confirm",
            catch_response=True,
        ) as answer:
            outcome = answer.json().get("outcome") if answer.ok else None
            if outcome != "done":
                answer.failure(f"confirm said {outcome!r}: {answer.text[:200]}")
                return
            redirect = answer.json()["redirect"]
        with self.client.get(
            redirect, headers=headers, name="GET /donate/return/[id]", catch_response=True
        ) as thanks:
            if thanks.status_code != 200 or "/donate/thanks/" not in thanks.url:
                thanks.failure(f"{thanks.status_code} at {thanks.url}, not the thank-you page")

    def _get(self, path: str, headers: dict[str, str]) -> str:
        with self.client.get(
            path, headers=headers, name=f"GET {path}", catch_response=True
        ) as response:
            if response.status_code != 200:
                response.failure(f"{response.status_code}")
            return response.text

    def _post(self, path: str, data: dict[str, str], headers: dict[str, str], to: str) -> str:
        """POST a step's form and follow where it leads (the wizard's dispatcher sends the
        donor on to the first unfinished step), as a browser does; that page."""
        with self.client.post(
            path,
            data=data,
            headers=headers,
            name=f"POST {path}",
            allow_redirects=False,
            catch_response=True,
        ) as response:
            if response.status_code != 302:
                response.failure(f"{response.status_code}: {response.text[:200]}")
                raise AssertionError(f"{path} answered {response.status_code}")
            location = response.headers["Location"]
        with self.client.get(
            location, headers=headers, name=f"GET {to} (after POST {path})", catch_response=True
        ) as page:
            if page.status_code != 200 or not page.url.endswith(to):
                page.failure(f"{page.status_code} at {page.url}, not {to}")
                raise AssertionError(f"{path} did not lead to {to}")
            return page.text

    def _confirmation_token(self, publishable_key: str, method: str) -> str:
        """What Stripe.js does when the donor presses pay: POST /v1/confirmation_tokens."""
        response = self.client.post(
            f"{STANDIN_URL}/v1/confirmation_tokens",
            data=token_params(method),
            headers={"Authorization": f"Bearer {publishable_key}"},
            name="stand-in: POST /v1/confirmation_tokens",
        )
        response.raise_for_status()
        return str(response.json()["id"])
