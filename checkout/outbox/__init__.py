"""The outbox: side effects after commit, run by workers with retries.

Infrastructure: it imports no feature. Features register handlers by name and enqueue by
name, so every import arrow still points down (architecture, decision 6).
"""
