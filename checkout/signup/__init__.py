"""Email sign-up without a gift: /signup, the office's notice, double opt-in where needed."""
