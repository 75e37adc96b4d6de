"""The donor portal under /account: sign-in links, giving history, receipts and statements,
recurring gifts, contact details, consent and the donor's own data."""
