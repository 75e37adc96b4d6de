"""Consent as evidence: every notice text ever shown, and an append-only ledger of decisions."""
