"""Donations and their payments: the records that follow Stripe's truth."""
