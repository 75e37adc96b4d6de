"""Configuration in layers, and the refusals that keep production off unsafe defaults."""

from __future__ import annotations

import contextlib
import ipaddress
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Config

from checkout.core.errors import ConfigurationError
from checkout.offices import OfficeRegistry
from checkout.paths import CONFIG_DIR, project_path

ENV_PREFIX = "CHECKOUT"
DEFAULTS_FILE = CONFIG_DIR / "default.py"
_DEFAULT_SECRET_KEYS = frozenset({"", "dev-only-not-secret", "testing-not-secret"})
_DEFAULT_EVIDENCE_KEYS = frozenset({"", "dev-only-evidence-key", "testing-evidence-key"})
#: Webhook secrets the demo and the stand-in publish (`whsec_demo_de`, `whsec_standin_de`).
_PUBLISHED_WEBHOOK_SECRETS = ("whsec_demo_", "whsec_standin_")


def load_config(
    config: Config, overrides: Mapping[str, Any] | None, environ: Mapping[str, str]
) -> None:
    """Fill `config` from defaults, the CHECKOUT_CONFIG file, CHECKOUT_* variables, overrides."""
    config.from_pyfile(str(DEFAULTS_FILE))
    config_file = environ.get(f"{ENV_PREFIX}_CONFIG")
    if config_file:
        config.from_pyfile(str(config_file_path(config_file)))
    _load_prefixed_environment(config, environ)
    if overrides:
        config.update(overrides)
    if not config.get("DATABASE_URL") and environ.get("DATABASE_URL"):
        config["DATABASE_URL"] = environ["DATABASE_URL"]


def config_file_path(value: str) -> Path:
    """The file CHECKOUT_CONFIG names: absolute, or relative to the working directory, or to the
    project root (the README's `CHECKOUT_CONFIG=config/production.py` works from anywhere).

    Flask would read a relative name from the instance folder, where no such file is.
    """
    path = Path(value)
    candidates = [path] if path.is_absolute() else [Path.cwd() / path, project_path(path)]
    for candidate in candidates:
        if candidate.is_file():
            return candidate.resolve()
    raise ConfigurationError(f"CHECKOUT_CONFIG: no such file: {value}")


def _load_prefixed_environment(config: Config, environ: Mapping[str, str]) -> None:
    """Apply CHECKOUT_NAME=value as NAME (JSON when it parses), like Flask's own loader."""
    prefix = f"{ENV_PREFIX}_"
    for key in sorted(environ):
        if not key.startswith(prefix) or key == f"{ENV_PREFIX}_CONFIG":
            continue
        value: Any = environ[key]
        with contextlib.suppress(ValueError):
            value = json.loads(value)
        config[key.removeprefix(prefix)] = value


def is_production(config: Mapping[str, Any]) -> bool:
    """True when the settings say this process serves real donors."""
    return str(config.get("ENV", "")).lower() == "production"


def production_problems(
    config: Mapping[str, Any], registry: OfficeRegistry, environ: Mapping[str, str]
) -> list[str]:
    """Every reason this configuration must not serve real donors, each naming its setting."""
    problems = _secret_key_problems(config) + _evidence_key_problems(config)
    problems += _database_problems(config) + _public_url_problems(config)
    problems += _stripe_base_problems(config) + _mail_problems(config)
    problems += _web_problems(config) + _metrics_problems(config)
    for office in registry:
        problems += _office_stripe_problems(office.code, office.stripe, environ)
        if office.example:
            problems.append(
                f"office {office.code}: its legal data in the offices file is still the shipped "
                "EXAMPLE (set example = false once its legal name, address, registration "
                "numbers and signatory are the office's own)"
            )
    return problems


def refuse_unsafe_production(
    config: Mapping[str, Any], registry: OfficeRegistry, environ: Mapping[str, str]
) -> None:
    """Raise ConfigurationError listing every problem when production settings are unsafe."""
    if not is_production(config):
        return
    problems = production_problems(config, registry, environ)
    if problems:
        raise ConfigurationError("refusing to start in production:\n  - " + "\n  - ".join(problems))


def _secret_key_problems(config: Mapping[str, Any]) -> list[str]:
    key = config.get("SECRET_KEY")
    if not key:
        return ["SECRET_KEY is missing: set CHECKOUT_SECRET_KEY"]
    if str(key) in _DEFAULT_SECRET_KEYS:
        return ["SECRET_KEY is a published default: set CHECKOUT_SECRET_KEY to a random value"]
    if len(str(key)) < 32:
        return ["SECRET_KEY is shorter than 32 characters: set a longer CHECKOUT_SECRET_KEY"]
    return []


def _evidence_key_problems(config: Mapping[str, Any]) -> list[str]:
    """The key of the ledger's IP hashes and the suppression list: secret, and never rotated."""
    key = str(config.get("EVIDENCE_HASH_KEY") or "")
    if key in _DEFAULT_EVIDENCE_KEYS:
        return [
            "EVIDENCE_HASH_KEY is missing or a published default: "
            "set CHECKOUT_EVIDENCE_HASH_KEY to a random value"
        ]
    if len(key) < 32:
        return ["EVIDENCE_HASH_KEY is shorter than 32 characters: set a longer one"]
    if key == str(config.get("SECRET_KEY")):
        return ["EVIDENCE_HASH_KEY equals SECRET_KEY: rotating one must not change the other"]
    return []


def _public_url_problems(config: Mapping[str, Any]) -> list[str]:
    """Links in emails (withdraw, confirm) must reach this app from a donor's mailbox."""
    url = str(config.get("PUBLIC_BASE_URL") or "")
    host = url.removeprefix("https://").split("/")[0].split(":")[0]
    if not url.startswith("https://") or host in {"", "localhost", "127.0.0.1"}:
        return [f"PUBLIC_BASE_URL is {url!r}: set the https:// address donors reach this app at"]
    return []


def _database_problems(config: Mapping[str, Any]) -> list[str]:
    url = str(config.get("DATABASE_URL") or "")
    if not url:
        return ["DATABASE_URL is missing: production runs on PostgreSQL"]
    if url.startswith("sqlite"):
        return ["DATABASE_URL points at SQLite: production runs on PostgreSQL"]
    return []


def _stripe_base_problems(config: Mapping[str, Any]) -> list[str]:
    problems = []
    base = str(config.get("STRIPE_API_BASE") or "").rstrip("/")
    expected = str(config.get("STRIPE_API_BASE_PRODUCTION", "https://api.stripe.com"))
    if base != expected:
        problems.append(f"STRIPE_API_BASE is {base!r}: production talks to {expected}")
    script = str(config.get("STRIPE_JS_URL") or "")
    if not script.startswith("https://js.stripe.com/"):
        problems.append(f"STRIPE_JS_URL is {script!r}: production loads https://js.stripe.com/v3/")
    return problems


def _mail_problems(config: Mapping[str, Any]) -> list[str]:
    """Receipts must reach donors: real SMTP, encrypted, from the charity's own domain."""
    problems = []
    if config.get("MAIL_TRANSPORT") != "smtp":
        problems.append("MAIL_TRANSPORT is not 'smtp': receipts would only be written to files")
    if config.get("SMTP_SECURITY") == "none":
        problems.append("SMTP_SECURITY is 'none': use starttls or tls")
    if "example.org" in str(config.get("MAIL_FROM", "")):
        problems.append("MAIL_FROM is the example address: set CHECKOUT_MAIL_FROM")
    if str(config.get("MAIL_MESSAGE_DOMAIN", "")).endswith(".invalid"):
        problems.append("MAIL_MESSAGE_DOMAIN is a placeholder: set the charity's mail domain")
    return problems


def _web_problems(config: Mapping[str, Any]) -> list[str]:
    """Cookies over HTTPS only, links in https, shared limits, and the proxies said out loud."""
    problems = []
    if config.get("SESSION_COOKIE_SECURE") is not True:
        problems.append(
            "SESSION_COOKIE_SECURE is not True: the session cookie would travel in clear"
        )
    if config.get("PREFERRED_URL_SCHEME") != "https":
        problems.append("PREFERRED_URL_SCHEME is not 'https'")
    if str(config.get("RATELIMIT_STORAGE_URI", "")).startswith("memory://"):
        problems.append(
            "RATELIMIT_STORAGE_URI is memory://: each web process would count card attempts "
            "alone; set a redis:// address"
        )
    proxies = config.get("TRUSTED_PROXY_COUNT")
    if isinstance(proxies, bool) or not isinstance(proxies, int) or proxies < 0:
        problems.append(
            f"TRUSTED_PROXY_COUNT is {proxies!r}: set how many proxies stand before the app "
            "(0 if none), so limits and evidence see the donor's own address"
        )
    if not config.get("TRUSTED_HOSTS"):
        problems.append("TRUSTED_HOSTS is not set: name the host names donors reach the app at")
    return problems


def _metrics_problems(config: Mapping[str, Any]) -> list[str]:
    """/metrics is for the monitoring system only: a network, or a long bearer token."""
    networks = config.get("METRICS_ALLOWED_NETWORKS") or []
    token = str(config.get("METRICS_BEARER_TOKEN") or "")
    problems = []
    if not networks and not token:
        problems.append(
            "METRICS_ALLOWED_NETWORKS and METRICS_BEARER_TOKEN are both unset: say who may "
            "read /metrics (the monitoring network, or a token of 32 characters or more)"
        )
    if token and len(token) < 32:
        problems.append("METRICS_BEARER_TOKEN is shorter than 32 characters")
    for network in networks:
        try:
            ipaddress.ip_network(str(network))
        except ValueError:
            problems.append(f"METRICS_ALLOWED_NETWORKS: {network!r} is not a network")
    return problems


def _office_stripe_problems(code: str, stripe: Any, environ: Mapping[str, str]) -> list[str]:
    problems: list[str] = []
    for variable in (stripe.secret_key_env, stripe.publishable_key_env, stripe.webhook_secret_env):
        if not environ.get(variable):
            problems.append(f"{variable} is missing (office {code})")
    secret = environ.get(stripe.secret_key_env, "")
    if secret.startswith(("sk_test_", "rk_test_")):
        problems.append(f"{stripe.secret_key_env} is a test key (office {code})")
    publishable = environ.get(stripe.publishable_key_env, "")
    if publishable.startswith("pk_test_"):
        problems.append(f"{stripe.publishable_key_env} is a test key (office {code})")
    webhook_secret = environ.get(stripe.webhook_secret_env, "")
    if webhook_secret.startswith(_PUBLISHED_WEBHOOK_SECRETS):
        problems.append(
            f"{stripe.webhook_secret_env} is the demo's published secret (office {code})"
        )
    return problems
