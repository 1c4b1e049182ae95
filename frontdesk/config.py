"""Configuration from FRONTDESK_* environment variables (see docs/configuration.md)."""

from __future__ import annotations

import contextlib
import secrets
from functools import cached_property
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="FRONTDESK_", extra="ignore")

    data_dir: Path = Field(Path("var"), description="Where the SQLite file, secret key and uploads live.")
    database_url: str | None = Field(None, description="sqlite:///PATH or postgresql://USER@HOST/DB")
    secret_key: str | None = Field(None, description="Signs visitor tokens; generated under data_dir when unset.")
    allowed_origins: Annotated[list[str], NoDecode] = Field(
        default_factory=lambda: ["*"], description="Origins allowed to embed the widget; '*' for any."
    )
    redis_url: str | None = None
    public_url: str | None = Field(None, description="The URL agents use to reach the console.")
    cookie_secure: bool = False
    session_days: int = Field(14, ge=1, le=365)
    # Limits: what a visitor or agent may send.
    max_message_chars: int = Field(4000, ge=1, le=100_000)
    message_rate: float = Field(5.0, gt=0, description="Sustained messages per second per socket/user.")
    message_burst: int = Field(20, ge=1)
    socket_queue_size: int = Field(1000, ge=10)
    busy_timeout_ms: int = Field(5000, ge=0)
    log_level: Literal["debug", "info", "warning", "error"] = "info"
    log_format: Literal["text", "json"] = Field("text", description="json: one JSON object per line")
    metrics_token: SecretStr | None = Field(
        None, description="/metrics needs 'Authorization: Bearer …'; unset: only direct requests from loopback."
    )
    api_docs: bool = Field(True, description="Serve the API explorer at /api/v1/docs (assets from the package).")
    # The HTTP server (frontdesk serve, frontdesk/server.py).
    max_header_bytes: int = Field(64 * 1024, ge=4096, le=1024**2, description="Largest request head (431 past it).")
    header_timeout_seconds: float = Field(10.0, gt=0, le=300, description="A request head must arrive within this.")
    max_connections: int = Field(10_000, ge=100, description="HTTP requests get 503 past this many open connections.")
    # Routing and presence.
    agent_offline_grace_seconds: float = Field(60.0, ge=0, description="Sockets gone this long: agent set offline.")
    visitor_leave_grace_seconds: float = Field(30.0, ge=0, description="A queued visitor gone this long: missed chat.")
    # Outgoing e-mail (offline messages). Without a host, mail stays queued in the database.
    smtp_host: str | None = None
    smtp_port: int = Field(25, ge=1, le=65535)
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_starttls: bool = False
    mail_from: str = "frontdesk <frontdesk@localhost>"
    transcript_mails_per_hour: int = Field(
        100, ge=0, le=100_000, description="Transcript e-mails the whole site may queue in an hour (0: none)."
    )
    # Attachments (docs/architecture/attachments.md): stored under data_dir/attachments.
    attachment_max_bytes: int = Field(10 * 1024 * 1024, ge=1, le=1024**3, description="Largest file in a chat.")
    attachment_types: Annotated[list[str], NoDecode] = Field(
        default_factory=lambda: ["png", "jpeg", "gif", "webp", "pdf", "txt", "csv", "zip", "docx", "xlsx"],
        description="Comma-separated kinds of file allowed in chats (sniffed from their content).",
    )
    avatar_max_bytes: int = Field(1024 * 1024, ge=1, le=20 * 1024**2, description="Largest agent photo.")
    image_max_pixels: int = Field(
        25_000_000, ge=1, le=400_000_000, description="Larger images (width × height) are kept as downloads, not shown."
    )

    # Tracking (docs/architecture/visitors.md): a city database for the live view's locations.
    geoip_city_db: str | None = Field(
        None, description="A MaxMind/DB-IP City .mmdb file: visitors' cities (countries need no file)."
    )

    @field_validator("allowed_origins", mode="before")
    @classmethod
    def _split_origins(cls, value: object) -> object:
        if isinstance(value, str):
            return [o.strip().rstrip("/") for o in value.split(",") if o.strip()]
        return value

    @field_validator("attachment_types", mode="before")
    @classmethod
    def _split_types(cls, value: object) -> object:
        from frontdesk.domain.file_types import KINDS

        if isinstance(value, str):
            value = [t.strip().lower() for t in value.split(",") if t.strip()]
        if isinstance(value, list):
            unknown = [t for t in value if t not in KINDS]
            if unknown:
                raise ValueError(f"unknown file kind {unknown[0]!r}; known: {', '.join(KINDS)}")
        return value

    def resolved_database_url(self) -> str:
        return self.database_url or f"sqlite:///{(self.data_dir / 'frontdesk.db').resolve()}"

    @cached_property
    def signing_key(self) -> bytes:
        if self.secret_key:
            return self.secret_key.encode()
        from frontdesk.store.files import create_private, make_private, private_dir

        path = self.data_dir / "secret_key"
        if not path.exists():
            private_dir(self.data_dir)
            with contextlib.suppress(FileExistsError), create_private(path) as f:  # mode 600 from the start
                f.write(secrets.token_urlsafe(48).encode())
        make_private(path)
        return path.read_text().strip().encode()

    def origin_allowed(self, origin: str | None) -> bool:
        if "*" in self.allowed_origins:
            return True
        return origin is not None and origin.rstrip("/") in self.allowed_origins
