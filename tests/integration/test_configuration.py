"""Configuration layers, and each reason production refuses to start."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest

from checkout import create_app
from checkout.core.errors import ConfigurationError
from checkout.offices import load_registry
from checkout.paths import CONFIG_DIR

REGISTRY = load_registry(CONFIG_DIR / "offices.toml")
PG_URL = "postgresql://checkout@db.internal/checkout"
#: The shipped offices file as a charity would deploy it: its legal data filled in.
FILLED_IN = Path(tempfile.mkdtemp()) / "offices.toml"
FILLED_IN.write_text(
    (CONFIG_DIR / "offices.toml")
    .read_text(encoding="utf-8")
    .replace("example = true", "example = false"),
    encoding="utf-8",
)


def production_environ() -> dict[str, str]:
    """A complete, safe production environment: every office's live keys and secrets."""
    environ = {
        # The README's own form: a path relative to the project, whatever the working folder.
        "CHECKOUT_CONFIG": "config/production.py",
        "CHECKOUT_TRUSTED_PROXY_COUNT": "1",
        "CHECKOUT_TRUSTED_HOSTS": '["give.ijm.charity"]',
        "CHECKOUT_METRICS_ALLOWED_NETWORKS": '["10.0.5.0/24"]',
        "CHECKOUT_RATELIMIT_STORAGE_URI": "redis://cache.internal:6379/0",
        "CHECKOUT_SECRET_KEY": "k" * 48,
        "CHECKOUT_EVIDENCE_HASH_KEY": "e" * 48,
        "CHECKOUT_PUBLIC_BASE_URL": "https://give.ijm.charity",
        "DATABASE_URL": PG_URL,
        "CHECKOUT_STRIPE_API_BASE": "https://api.stripe.com",
        "CHECKOUT_STRIPE_JS_URL": "https://js.stripe.com/v3/",
        "CHECKOUT_MAIL_TRANSPORT": "smtp",
        "CHECKOUT_SMTP_HOST": "smtp.charity.example",
        "CHECKOUT_MAIL_FROM": "IJM <receipts@ijm.charity>",
        "CHECKOUT_MAIL_MESSAGE_DOMAIN": "ijm.charity",
        "CHECKOUT_OFFICES_FILE": str(FILLED_IN),
    }
    for office in REGISTRY:
        environ[office.stripe.secret_key_env] = f"sk_live_{office.code}"
        environ[office.stripe.publishable_key_env] = f"pk_live_{office.code}"
        environ[office.stripe.webhook_secret_env] = f"whsec_{office.code}"
    return environ


def refusal(environ: dict[str, str]) -> str:
    with pytest.raises(ConfigurationError) as refused:
        create_app(environ=environ)
    return str(refused.value)


def test_a_complete_production_environment_starts() -> None:
    app = create_app(environ=production_environ())
    assert app.config["ENV"] == "production"
    assert app.config["DATABASE_URL"] == PG_URL


@pytest.mark.parametrize(
    ("change", "named"),
    [
        ({"CHECKOUT_SECRET_KEY": None}, "SECRET_KEY is a published default"),
        ({"CHECKOUT_SECRET_KEY": ""}, "SECRET_KEY is missing"),
        ({"CHECKOUT_SECRET_KEY": "dev-only-not-secret"}, "SECRET_KEY is a published default"),
        ({"CHECKOUT_SECRET_KEY": "short-but-custom"}, "SECRET_KEY is shorter than 32"),
        ({"CHECKOUT_EVIDENCE_HASH_KEY": None}, "EVIDENCE_HASH_KEY is missing or a published"),
        ({"CHECKOUT_EVIDENCE_HASH_KEY": "e" * 20}, "EVIDENCE_HASH_KEY is shorter than 32"),
        ({"CHECKOUT_EVIDENCE_HASH_KEY": "k" * 48}, "EVIDENCE_HASH_KEY equals SECRET_KEY"),
        ({"CHECKOUT_PUBLIC_BASE_URL": None}, "PUBLIC_BASE_URL is 'http://127.0.0.1:5000'"),
        ({"CHECKOUT_PUBLIC_BASE_URL": "https://localhost:8443"}, "PUBLIC_BASE_URL is"),
        ({"DATABASE_URL": None}, "DATABASE_URL is missing"),
        ({"DATABASE_URL": "sqlite:////srv/checkout.db"}, "DATABASE_URL points at SQLite"),
        (
            {"CHECKOUT_STRIPE_API_BASE": "http://127.0.0.1:12111"},
            "STRIPE_API_BASE is 'http://127.0.0.1:12111'",
        ),
        ({"CHECKOUT_STRIPE_API_BASE": "https://stripe.example"}, "STRIPE_API_BASE"),
        (
            {"CHECKOUT_STRIPE_JS_URL": "http://127.0.0.1:12111/v3/"},
            "STRIPE_JS_URL is 'http://127.0.0.1:12111/v3/'",
        ),
        ({"CHECKOUT_MAIL_TRANSPORT": "file"}, "MAIL_TRANSPORT is not 'smtp'"),
        ({"CHECKOUT_SMTP_SECURITY": "none"}, "SMTP_SECURITY is 'none'"),
        ({"CHECKOUT_MAIL_FROM": None}, "MAIL_FROM is the example address"),
        ({"CHECKOUT_MAIL_MESSAGE_DOMAIN": None}, "MAIL_MESSAGE_DOMAIN is a placeholder"),
        ({"CHECKOUT_SESSION_COOKIE_SECURE": "false"}, "SESSION_COOKIE_SECURE is not True"),
        ({"CHECKOUT_PREFERRED_URL_SCHEME": "http"}, "PREFERRED_URL_SCHEME is not 'https'"),
        ({"CHECKOUT_RATELIMIT_STORAGE_URI": "memory://"}, "RATELIMIT_STORAGE_URI is memory://"),
        ({"CHECKOUT_TRUSTED_PROXY_COUNT": None}, "TRUSTED_PROXY_COUNT is None"),
        ({"CHECKOUT_TRUSTED_PROXY_COUNT": "-1"}, "TRUSTED_PROXY_COUNT is -1"),
        ({"CHECKOUT_TRUSTED_PROXY_COUNT": '"one"'}, "TRUSTED_PROXY_COUNT is 'one'"),
        ({"CHECKOUT_TRUSTED_HOSTS": None}, "TRUSTED_HOSTS is not set"),
        (
            {"CHECKOUT_METRICS_ALLOWED_NETWORKS": None},
            "METRICS_ALLOWED_NETWORKS and METRICS_BEARER_TOKEN are both unset",
        ),
        (
            {"CHECKOUT_METRICS_ALLOWED_NETWORKS": None, "CHECKOUT_METRICS_BEARER_TOKEN": "short"},
            "METRICS_BEARER_TOKEN is shorter than 32 characters",
        ),
        (
            {"CHECKOUT_METRICS_ALLOWED_NETWORKS": '["the office"]'},
            "METRICS_ALLOWED_NETWORKS: 'the office' is not a network",
        ),
        # Without the production file, a bare CHECKOUT_ENV=production keeps the demo's cookie.
        ({"CHECKOUT_CONFIG": None, "CHECKOUT_ENV": "production"}, "SESSION_COOKIE_SECURE"),
    ],
)
def test_production_refuses_unsafe_settings(change: dict[str, str | None], named: str) -> None:
    environ = production_environ()
    for key, value in change.items():
        if value is None:
            environ.pop(key)
        else:
            environ[key] = value
    assert named in refusal(environ)


OFFICE_CODES = [office.code for office in REGISTRY]


@pytest.mark.parametrize("code", OFFICE_CODES)
@pytest.mark.parametrize("which", ["secret_key_env", "publishable_key_env", "webhook_secret_env"])
def test_production_refuses_a_missing_stripe_setting(code: str, which: str) -> None:
    variable = getattr(REGISTRY.get(code).stripe, which)
    environ = production_environ()
    environ.pop(variable)
    message = refusal(environ)
    assert f"{variable} is missing (office {code})" in message


@pytest.mark.parametrize("code", OFFICE_CODES)
def test_production_refuses_a_test_secret_key(code: str) -> None:
    variable = REGISTRY.get(code).stripe.secret_key_env
    environ = production_environ() | {variable: "sk_test_123"}
    assert f"{variable} is a test key (office {code})" in refusal(environ)


@pytest.mark.parametrize("code", OFFICE_CODES)
@pytest.mark.parametrize("secret", ["whsec_demo_{code}", "whsec_standin_{code}"])
def test_production_refuses_the_demos_published_webhook_secrets(code: str, secret: str) -> None:
    variable = REGISTRY.get(code).stripe.webhook_secret_env
    environ = production_environ() | {variable: secret.format(code=code.lower())}
    assert f"{variable} is the demo's published secret (office {code})" in refusal(environ)


def test_no_proxy_in_front_is_a_valid_explicit_answer() -> None:
    app = create_app(environ=production_environ() | {"CHECKOUT_TRUSTED_PROXY_COUNT": "0"})
    assert app.config["TRUSTED_PROXY_COUNT"] == 0


def test_the_readme_config_path_works_from_any_working_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    app = create_app(environ=production_environ())
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["STRIPE_JS_URL"] == "https://js.stripe.com/v3/"


def test_production_refuses_a_test_publishable_key() -> None:
    variable = REGISTRY.get("DE").stripe.publishable_key_env
    environ = production_environ() | {variable: "pk_test_123"}
    assert f"{variable} is a test key (office DE)" in refusal(environ)


@pytest.mark.parametrize("code", ["DE", "AU"])
def test_production_refuses_an_office_whose_legal_data_is_still_the_example(
    tmp_path: Path, code: str
) -> None:
    shipped = (CONFIG_DIR / "offices.toml").read_text(encoding="utf-8")
    one_left = tmp_path / "offices.toml"
    marker = f"[offices.{code}]\nexample = true"
    assert marker in shipped
    filled = shipped.replace("example = true", "example = false")
    one_left.write_text(filled.replace(f"[offices.{code}]\nexample = false", marker))
    refused = refusal({**production_environ(), "CHECKOUT_OFFICES_FILE": str(one_left)})
    assert f"office {code}: its legal data in the offices file is still the shipped EXAMPLE" in (
        refused
    )
    others = [o.code for o in REGISTRY if o.code != code]
    assert not any(f"office {other}: its legal data" in refused for other in others)


def test_the_shipped_offices_file_is_refused_in_production() -> None:
    shipped = str(CONFIG_DIR / "offices.toml")
    refused = refusal({**production_environ(), "CHECKOUT_OFFICES_FILE": shipped})
    for office in REGISTRY:
        assert f"office {office.code}: its legal data" in refused


def test_every_problem_is_listed_at_once() -> None:
    message = refusal({"CHECKOUT_ENV": "production"})
    assert "SECRET_KEY" in message
    assert "DATABASE_URL" in message
    assert "STRIPE_API_BASE" in message
    for office in REGISTRY:
        assert office.stripe.secret_key_env in message


def test_development_starts_on_defaults() -> None:
    app = create_app(environ={})
    assert app.config["ENV"] == "development"
    assert app.config["DATABASE_URL"].endswith("instance/checkout.sqlite3")


def test_layers_apply_in_order(tmp_path: Path) -> None:
    config_file = tmp_path / "site.py"
    config_file.write_text('CHARITY_NAME = "From file"\nMAX_CONTENT_LENGTH = 1000\n')
    environ = {"CHECKOUT_CONFIG": str(config_file), "CHECKOUT_MAX_CONTENT_LENGTH": "2000"}
    app = create_app(environ=environ)
    assert app.config["CHARITY_NAME"] == "From file"  # file over default
    assert app.config["MAX_CONTENT_LENGTH"] == 2000  # environment over file, parsed as JSON
    app = create_app({"MAX_CONTENT_LENGTH": 3000}, environ=environ)
    assert app.config["MAX_CONTENT_LENGTH"] == 3000  # overrides over environment


def test_a_missing_config_file_is_refused_by_name(tmp_path: Path) -> None:
    missing = tmp_path / "nope.py"
    with pytest.raises(ConfigurationError, match="CHECKOUT_CONFIG: no such file"):
        create_app(environ={"CHECKOUT_CONFIG": str(missing)})


def test_plain_database_url_is_honoured() -> None:
    app = create_app(environ={"DATABASE_URL": "postgresql://u@h/db"})
    assert app.config["DATABASE_URL"] == "postgresql://u@h/db"


def test_a_bad_offices_file_stops_the_app(tmp_path: Path) -> None:
    broken = tmp_path / "offices.toml"
    broken.write_text("[offices.DE]\nname = 'Deutschland'\n")
    with pytest.raises(ConfigurationError) as refused:
        create_app({"OFFICES_FILE": str(broken)}, environ={})
    assert str(broken) in str(refused.value)
    assert "DE" in str(refused.value)


def test_production_starts_with_a_metrics_token_alone() -> None:
    environ = production_environ()
    environ.pop("CHECKOUT_METRICS_ALLOWED_NETWORKS")
    environ["CHECKOUT_METRICS_BEARER_TOKEN"] = "m" * 40
    assert create_app(environ=environ).config["METRICS_ALLOWED_NETWORKS"] == []
