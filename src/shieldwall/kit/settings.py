"""Configuration from the environment (``SHIELDWALL_*``)."""

from __future__ import annotations

from functools import lru_cache
from typing import Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SHIELDWALL_", extra="ignore")

    database_url: str = "sqlite:///var/shieldwall.db"
    host: str = "127.0.0.1"
    port: int = 8000
    # Rows per page when a list endpoint is not told otherwise.
    page_size: int = 50
    # Mark the session cookie Secure (set this when served over HTTPS).
    secure_cookies: bool = False
    # How long a browser session and an OAuth2 password-flow token last.
    session_hours: int = 12
    token_hours: int = 12
    # Failed sign-ins allowed per account and per address within the window.
    login_failures_per_account: int = 5
    login_failures_per_address: int = 20
    login_failure_window_minutes: int = 15
    # Where `shieldwall audit anchor` appends the chain's head; keep it off the database host.
    audit_anchor_file: str = "var/audit-anchors.txt"
    # Files uploaded to the imports page, kept by their SHA-256 between the check and the apply.
    import_dir: str = "var/imports"
    # How long a change waits for the database's locks (SQLite's write lock, PostgreSQL's row
    # locks) before it is refused with 503 and Retry-After.
    busy_timeout_seconds: float = 10.0
    # The database connections each serving process keeps open (pool_size), the extra ones it
    # may open under a burst and close after (max_overflow), and how long a request waits for
    # one before it is refused (pool_timeout_seconds). On PostgreSQL, keep
    # workers × (pool_size + max_overflow) below the server's max_connections (README).
    pool_size: int = Field(default=10, ge=1, le=1000)
    max_overflow: int = Field(default=10, ge=0, le=1000)
    pool_timeout_seconds: float = Field(default=30.0, gt=0, le=3600)
    # Processes that `shieldwall serve` answers requests with (one is one process, no
    # supervisor); `--workers` overrides it.
    workers: int = Field(default=1, ge=1, le=64)
    # The longest a personal access token may live; asking for no expiry gets this.
    personal_token_max_days: int = Field(default=90, ge=1, le=3650)
    # Request bodies larger than this are refused with 413 before they are parsed;
    # multipart/form-data bodies (file uploads) have the larger limit.
    max_body_bytes: int = Field(default=1024 * 1024, ge=1024)
    max_upload_bytes: int = Field(default=20 * 1024 * 1024, ge=1024)
    # The council's time limit from a request for crisis consultations to the meeting, in
    # hours (the NATO-Ukraine Council's crisis meetings followed the request by 2 to 7 days).
    crisis_consultation_hours: float = Field(default=168.0, gt=0, le=24 * 365)
    # Mail (notifications). Without a host, mail is kept in the outbox, pending, until one is
    # configured; nothing is lost. The port defaults by security: 25, 587 (starttls), 465 (tls).
    smtp_host: str | None = None
    smtp_port: int | None = Field(default=None, ge=1, le=65535)
    smtp_security: Literal["none", "starttls", "tls"] = "starttls"
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_timeout_seconds: float = Field(default=10.0, gt=0, le=300)
    mail_from: str = "shieldwall@localhost"
    # Links in mail are made absolute with this (e.g. https://shieldwall.example.org).
    base_url: str = ""
    # A claimed mail is leased for this long: no other worker sends it meanwhile. It must
    # exceed a batch's worst case (mail_batch_size × smtp_timeout_seconds).
    mail_lease_seconds: int = Field(default=300, ge=10)
    mail_batch_size: int = Field(default=20, ge=1, le=1000)
    # The scheduler: how often it runs each feature's jobs, and whether `serve` runs it too.
    scheduler_interval_seconds: float = Field(default=15.0, gt=0, le=86400)
    run_scheduler: bool = True
    # The clearing house: whether a line arriving after a request's need-by date may be
    # proposed (``discount``: its units count for half) or not (``forbid``); and how long the
    # solver may search before it answers with the best allocation found and its gap.
    matching_late: Literal["forbid", "discount"] = "forbid"
    matching_time_limit_seconds: float = Field(default=30.0, ge=1, le=3600)

    @field_validator("smtp_host", "smtp_username", mode="before")
    @classmethod
    def _blank_is_none(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value


@lru_cache
def get_settings() -> Settings:
    return Settings()
