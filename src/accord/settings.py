"""The one Settings object, read from ACCORD_* environment variables and passed in."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from pydantic import field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEVELOPMENT_SECRET = "accord-development-secret-do-not-use-in-production"
WEBHOOK_SOURCE = re.compile(r"[a-z0-9][a-z0-9_-]{0,59}")
MIN_WEBHOOK_SECRET_LENGTH = 16


class Settings(BaseSettings):
    """Everything that differs between installations."""

    model_config = SettingsConfigDict(env_prefix="ACCORD_", extra="ignore")

    env: Literal["development", "production"] = "development"
    workspace: Path = Path("accord-data")
    database_url: str | None = None
    # Where reviews read (DuckDB in the workspace unless set), and how often `accord serve` syncs it (0: never).
    warehouse_url: str | None = None
    sync_minutes: int = 5
    secret_key: str = DEVELOPMENT_SECRET
    host: str = "127.0.0.1"
    port: int = 8000
    session_hours: int = 12
    # Meta (Instagram/Facebook) webhooks: the token typed into the app dashboard, and the app secret that signs.
    meta_verify_token: str | None = None
    meta_app_secret: str | None = None
    # Other signed webhooks: {"source": "shared secret"}, from ACCORD_WEBHOOK_SECRETS as JSON.
    webhook_secrets: dict[str, str] = {}
    webhook_tolerance_seconds: int = 300
    # Sites (scheme://host[:port]) allowed to send the website tracker's events; empty = this app's own origin.
    tracker_origins: list[str] = []
    # Outbound email. Without a host, email is recorded but cannot be sent.
    smtp_host: str | None = None
    smtp_port: int = 25
    smtp_username: str | None = None
    smtp_password: str | None = None
    smtp_starttls: bool = False
    mail_from: str = "Accord <accord@localhost>"
    # Where people reach this installation, for links in emails (unsubscribe).
    public_url: str = "http://127.0.0.1:8000"

    @field_validator("database_url")
    @classmethod
    def _blank_is_none(cls, value: str | None) -> str | None:
        return value or None

    @field_validator("meta_verify_token", "meta_app_secret", "smtp_host", "smtp_username", "smtp_password")
    @classmethod
    def _blank_meta_is_unset(cls, value: str | None) -> str | None:
        return value or None

    @field_validator("webhook_secrets")
    @classmethod
    def _usable_webhook_secrets(cls, value: dict[str, str]) -> dict[str, str]:
        for source, secret in value.items():
            if not WEBHOOK_SOURCE.fullmatch(source) or source == "meta":
                raise ValueError(f"webhook source {source!r} must be 1-60 of a-z, 0-9, '_' or '-', and not 'meta'")
            # An empty or short secret would let anyone who knows the scheme sign deliveries.
            if len(secret) < MIN_WEBHOOK_SECRET_LENGTH:
                raise ValueError(
                    f"the webhook secret for {source!r} needs at least {MIN_WEBHOOK_SECRET_LENGTH} characters"
                )
        return value

    @field_validator("tracker_origins")
    @classmethod
    def _plain_origins(cls, value: list[str]) -> list[str]:
        origins = []
        for origin in value:
            origin = origin.strip().rstrip("/").lower()
            parts = urlsplit(origin)
            if origin != "*" and (parts.scheme not in ("http", "https") or not parts.netloc or parts.path):
                raise ValueError(
                    f"tracker origin {origin!r} must be scheme://host[:port], such as https://shop.example"
                )
            origins.append(origin)
        return origins

    @model_validator(mode="after")
    def _no_default_secret_in_production(self) -> "Settings":
        if self.env == "production" and (self.secret_key == DEVELOPMENT_SECRET or len(self.secret_key) < 32):
            raise ValueError("ACCORD_SECRET_KEY must be set to a secret of your own (32+ characters) in production")
        return self

    @property
    def sqlite_path(self) -> Path:
        """Where the embedded SQLite store lives."""
        return self.workspace / "accord.sqlite3"

    @property
    def effective_database_url(self) -> str:
        """ACCORD_DATABASE_URL, or the embedded SQLite file in the workspace."""
        return self.database_url or f"sqlite:///{self.sqlite_path}"

    @property
    def uses_embedded_store(self) -> bool:
        """True when the store is the workspace's SQLite file."""
        return self.database_url is None
