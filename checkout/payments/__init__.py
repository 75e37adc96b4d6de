"""Payments through Stripe: the gateway, the pay step, webhooks."""
