"""Transfers to the national offices: numbered, immutable batches of donors, gifts and consent."""
