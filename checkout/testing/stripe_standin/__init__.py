"""A local stand-in for Stripe's API and Stripe.js, on 127.0.0.1, for the demo and the tests.

Run it with `python -m checkout.testing.stripe_standin --port 12111`; drive its clock and
triggers with `checkout.testing.stripe_standin.control.StandinControl`. See README.md here for
what it implements and how it differs from Stripe.
"""

#: The API version whose object shapes the stand-in serves (the one stripe==16.1.0 pins).
API_VERSION = "2026-10-28.endive"
