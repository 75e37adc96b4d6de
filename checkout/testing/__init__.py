"""Test infrastructure: the local Stripe stand-in and shared pytest plugins; never imported by
production code (a test scans `checkout/` to prove it)."""
