"""The load test's settings (bench/load_test.py names this file in CHECKOUT_CONFIG).

All donors of a load test come from one address, 127.0.0.1, so production's per-address
limits (config/default.py: PAY_RATE_LIMIT "10 per hour", WIZARD_RATE_LIMIT "30 per minute",
the card-testing counters) would refuse them within seconds. Here, as in config/demo.py but
further, every limit is generous: each still runs its code (counted in Redis), just never
refuses. Never name this file anywhere else.
"""

WIZARD_RATE_LIMIT = "1000000 per minute"
PAY_RATE_LIMIT = "1000000 per minute"
CONFIRM_RATE_LIMIT = "1000000 per minute"
CARD_DECLINES_PER_INTENT = 1000
CARD_DECLINES_PER_DRAFT = "1000000 per hour"
CARD_DECLINES_PER_ADDRESS = "1000000 per hour"
CARD_DECLINES_PER_EMAIL = "1000000 per day"
CARD_DECLINES_PER_FINGERPRINT = "1000000 per day"
CARD_BREAKER_MIN_FAILURES = 1000000
RETURN_SYNC_LIMIT = "1000000 per minute"
