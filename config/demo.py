"""The demo's settings: `make demo` names this file in CHECKOUT_CONFIG.

The card-testing limits in config/default.py are production's: three declines cancel a
payment, five an hour block an address. A newcomer trying every test card in the demo would
meet them within minutes, so here they are generous (each still applies, just later). Never
name this file in production: it is for one person on 127.0.0.1.
"""

CARD_DECLINES_PER_INTENT = 10
CARD_DECLINES_PER_DRAFT = "30 per hour"
CARD_DECLINES_PER_ADDRESS = "100 per hour"
CARD_DECLINES_PER_EMAIL = "100 per day"
CARD_DECLINES_PER_FINGERPRINT = "50 per day"
CONFIRM_RATE_LIMIT = "120 per minute"
PAY_RATE_LIMIT = "100 per hour"
WIZARD_RATE_LIMIT = "300 per minute"
CARD_BREAKER_MIN_FAILURES = 100
