"""Settings from environment variables, with embedded defaults for development."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

DEV_SECRET = "dev-only-secret-change-me"  # noqa: S105 (refused in production)


def _bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _int(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


def _list(name: str, default: str) -> tuple[str, ...]:
    raw = os.environ.get(name, default)
    return tuple(item.strip().lower() for item in raw.split(",") if item.strip())


def from_environment(instance_path: str) -> dict:
    """Build the configuration mapping; the instance folder holds the embedded defaults."""
    env = os.environ.get("PORTAL_ENV", "development")
    sqlite_path = Path(instance_path) / "qa_portal.sqlite3"
    database_url = _database_url(os.environ.get("DATABASE_URL"), sqlite_path)
    return {
        "PORTAL_ENV": env,
        "SECRET_KEY": os.environ.get("SECRET_KEY", DEV_SECRET),
        "SQLALCHEMY_DATABASE_URI": database_url,
        # A server's connection may be dropped while it waits in the pool; a SQLite file's not.
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": not database_url.startswith("sqlite")},
        # Cookies: HTTP-only always, SameSite=Lax, Secure outside development.
        "SESSION_COOKIE_NAME": "qa_portal_session",
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": _bool("SESSION_COOKIE_SECURE", env == "production"),
        "REMEMBER_COOKIE_DURATION": timedelta(days=30),
        "PERMANENT_SESSION_LIFETIME": timedelta(days=_int("SESSION_REMEMBER_DAYS", 30)),
        "SESSION_IDLE_MINUTES": _int("SESSION_IDLE_MINUTES", 30),
        "SESSION_ABSOLUTE_HOURS": _int("SESSION_ABSOLUTE_HOURS", 12),
        "SESSION_REMEMBER_DAYS": _int("SESSION_REMEMBER_DAYS", 30),
        # Sign-in throttling: growing waits per account and address, never a lock-out.
        "SIGN_IN_FREE_FAILURES": _int("SIGN_IN_FREE_FAILURES", 3),
        "SIGN_IN_MAX_DELAY_MINUTES": _int("SIGN_IN_MAX_DELAY_MINUTES", 15),
        "SIGN_IN_FAILURE_MEMORY_HOURS": _int("SIGN_IN_FAILURE_MEMORY_HOURS", 24),
        "SIGN_IN_ACCOUNT_ATTACK_FAILURES": _int("SIGN_IN_ACCOUNT_ATTACK_FAILURES", 100),
        "SIGN_IN_ADDRESS_SPRAY_ACCOUNTS": _int("SIGN_IN_ADDRESS_SPRAY_ACCOUNTS", 50),
        # Roles that must use two-step verification (comma-separated role values).
        "MFA_REQUIRED_ROLES": _list(
            "MFA_REQUIRED_ROLES", "admin,officer,staff" if env == "production" else ""
        ),
        "INVITATION_VALID_HOURS": _int("INVITATION_VALID_HOURS", 72),
        "PASSWORD_RESET_VALID_MINUTES": _int("PASSWORD_RESET_VALID_MINUTES", 60),
        # Forms are small; upload routes raise the limit for themselves.
        "MAX_CONTENT_LENGTH": _int("MAX_CONTENT_LENGTH", 1024 * 1024),
        "MAX_FORM_MEMORY_SIZE": _int("MAX_FORM_MEMORY_SIZE", 100 * 1024),
        "WTF_CSRF_TIME_LIMIT": None,
        "EMAIL_BACKEND": os.environ.get("EMAIL_BACKEND", "console"),
        "EMAIL_FROM": os.environ.get("EMAIL_FROM", "AP QA Portal <no-reply@example.org>"),
        "SMTP_HOST": os.environ.get("SMTP_HOST", "localhost"),
        "SMTP_PORT": _int("SMTP_PORT", 587),
        "SMTP_USERNAME": os.environ.get("SMTP_USERNAME"),
        "SMTP_PASSWORD": os.environ.get("SMTP_PASSWORD"),
        "SMTP_STARTTLS": _bool("SMTP_STARTTLS", True),
        # The address people reach the portal at: every link in an email is built on it,
        # never on the Host of a request. Required in production.
        "PUBLIC_URL": _public_url(env),
        # Host names the portal answers to; in production, PUBLIC_URL's host unless set.
        "TRUSTED_HOSTS": _optional_list("TRUSTED_HOSTS"),
        "EMAIL_MAX_ATTEMPTS": _int("EMAIL_MAX_ATTEMPTS", 8),
        "EMAIL_RETRY_SECONDS": _int("EMAIL_RETRY_SECONDS", 60),
        "PASSWORD_RESET_EMAIL_MINUTES": _int("PASSWORD_RESET_EMAIL_MINUTES", 5),
        "PASSWORD_RESET_MAX_PER_ADDRESS": _int("PASSWORD_RESET_MAX_PER_ADDRESS", 10),
        "PREFERRED_URL_SCHEME": "https" if env == "production" else "http",
        "TRUSTED_PROXIES": _int("TRUSTED_PROXIES", 0),
        # Uploads: "local" keeps files in STORAGE_LOCAL_ROOT (default <instance>/uploads).
        "STORAGE_BACKEND": os.environ.get("STORAGE_BACKEND", "local"),
        "STORAGE_LOCAL_ROOT": os.environ.get("STORAGE_LOCAL_ROOT") or None,
        "S3_BUCKET": os.environ.get("S3_BUCKET"),
        "S3_REGION": os.environ.get("S3_REGION", "eu-west-2"),
        "S3_ENDPOINT_URL": os.environ.get("S3_ENDPOINT_URL") or None,
        "S3_ACCESS_KEY_ID": os.environ.get("S3_ACCESS_KEY_ID"),
        "S3_SECRET_ACCESS_KEY": os.environ.get("S3_SECRET_ACCESS_KEY"),
        "S3_PREFIX": os.environ.get("S3_PREFIX", ""),
        "UPLOAD_MAX_BYTES": _int("UPLOAD_MAX_BYTES", 10 * 1024 * 1024),
        # An invited head keeps a visit this many days after it is published, no longer
        # (unless a pupil seen on the visit is on the roll of the head's school).
        "HEAD_VISIT_ACCESS_DAYS": _int("HEAD_VISIT_ACCESS_DAYS", 30),
        # A placement of more hours a week than this is full-time education, which only a
        # provider registered with Ofsted (as an independent school) may give.
        "FULL_TIME_HOURS": _int("FULL_TIME_HOURS", 18),
        # Term dates as JSON, {"2027/28": {"autumn": ["2027-09-02", "2027-12-17"], ...}}; a year
        # given replaces the built-in one (qa_portal/terms.py), checked when the app starts.
        "TERM_DATES": os.environ.get("TERM_DATES") or None,
        # A term's missing returns count as overdue from this many days before it ends.
        "RETURNS_OVERDUE_DAYS_BEFORE_END": _int("RETURNS_OVERDUE_DAYS_BEFORE_END", 14),
    }


def _optional_list(name: str) -> list[str] | None:
    value = os.environ.get(name, "").strip()
    return [item.strip() for item in value.split(",") if item.strip()] or None


def _public_url(env: str) -> str | None:
    url = os.environ.get("PUBLIC_URL", "").strip()
    if url or env == "production":
        return url or None
    return f"http://127.0.0.1:{_int('PORT', 5000)}"


def _database_url(url: str | None, sqlite_path: Path) -> str:
    if not url:
        return f"sqlite:///{sqlite_path}"
    # Heroku-style URLs name the old driver; psycopg 3 is the one we ship.
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


def public_url_problem(url: str | None) -> str | None:
    """Why this cannot be the portal's public address, or None when it can."""
    parts = urlsplit(url or "")
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        return "PUBLIC_URL must be the portal's address, e.g. https://qa-portal.example.org"
    if parts.query or parts.fragment:
        return "PUBLIC_URL must not have a query or fragment"
    return None


def check_production(config: dict) -> None:
    """Refuse to start in production with the development secret or no public address; there,
    requests for any other host are refused (TRUSTED_HOSTS, by default PUBLIC_URL's host)."""
    problem = public_url_problem(config.get("PUBLIC_URL"))
    if config["PORTAL_ENV"] != "production":
        if problem:
            raise RuntimeError(problem)
        return
    secret = config.get("SECRET_KEY") or ""
    if secret == DEV_SECRET or len(secret) < 32:
        raise RuntimeError(
            "SECRET_KEY must be set to a random value of 32 or more characters in production"
        )
    if problem:
        raise RuntimeError(f"{problem}: it is required in production")
    if not config.get("TRUSTED_HOSTS"):
        config["TRUSTED_HOSTS"] = [urlsplit(config["PUBLIC_URL"]).hostname]
