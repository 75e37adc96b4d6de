"""Receipts: numbering per office and year, a country-correct PDF, email, void and reissue."""
