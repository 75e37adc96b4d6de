"""Staff accounts: passwords, second factors (TOTP, passkeys, recovery codes), roles and office
scopes, server-side sessions, and the one place where permissions are checked."""
