"""The one Settings object, read from ACCORD_* environment variables and passed in."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEVELOPMENT_SECRET = "accord-development-secret-do-not-use-in-production"


class Settings(BaseSettings):
    """Everything that differs between installations."""

    model_config = SettingsConfigDict(env_prefix="ACCORD_", extra="ignore")

    env: Literal["development", "production"] = "development"
    workspace: Path = Path("accord-data")
    database_url: str | None = None
    secret_key: str = DEVELOPMENT_SECRET
    host: str = "127.0.0.1"
    port: int = 8000
    session_hours: int = 12

    @field_validator("database_url")
    @classmethod
    def _blank_is_none(cls, value: str | None) -> str | None:
        return value or None

    @model_validator(mode="after")
    def _no_default_secret_in_production(self) -> "Settings":
        if self.env == "production" and self.secret_key == DEVELOPMENT_SECRET:
            raise ValueError("ACCORD_SECRET_KEY must be set to a secret of your own in production")
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
