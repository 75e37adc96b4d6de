"""The support console: find a donor, see everything about their giving on one page, act with
a reason; every look and every action goes into the audit log."""
