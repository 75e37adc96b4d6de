"""The append-only audit log: who looked at or did what, when, from where, and why.

Its own package, beside staff and the donor portal, so both can write to it without
importing each other. The database refuses UPDATE and DELETE on its rows (triggers, migration
0018), erasure of a donor's personal data inside the free text aside.
"""
