"""Configuration from the environment (``SHIELDWALL_*``)."""

from __future__ import annotations

from functools import lru_cache

from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SHIELDWALL_", extra="ignore")

    database_url: str = "sqlite:///var/shieldwall.db"
    host: str = "127.0.0.1"
    port: int = 8000
    # Rows per page when a list endpoint is not told otherwise.
    page_size: int = 50


@lru_cache
def get_settings() -> Settings:
    return Settings()
