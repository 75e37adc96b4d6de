"""Finance: each office's Stripe payouts and their balance transactions, kept, matched to our
payments, refunds and disputes, reconciled, shown to finance staff and exported for the books.

Arrows point one way: finance reads payments, donations and receipts; payments never import
finance, and tell it about payouts through the listener registered in payments/payouts.py.
"""
