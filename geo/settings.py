"""Settings, read from the environment with the prefix ``WANGGE_``.

Built inside the app factory or the CLI command that needs them, never at import time.
"""

from __future__ import annotations

import ipaddress
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

#: The development secret: good enough on a laptop, refused when ``environment`` is production.
PLACEHOLDER_SECRET = "development-only-secret-change-me-0123456789"


class Settings(BaseSettings):
    """Everything the service can be told from outside.

    With no ``database_url`` the service runs its own embedded PostGIS in
    ``data_dir / "pg"``, listening on a Unix socket only.
    """

    model_config = SettingsConfigDict(env_prefix="WANGGE_", extra="ignore")

    database_url: str | None = Field(
        default=None, description="SQLAlchemy URL of an external PostGIS; unset = embedded."
    )
    pooler_url: str | None = Field(
        default=None,
        description=(
            "SQLAlchemy URL of a PgBouncer in transaction pooling in front of database_url: "
            "the service's statements go through it; LISTEN and migrations stay on database_url."
        ),
    )
    data_dir: Path = Field(
        default=Path("./var"),
        description="Where the embedded PostGIS lives (pg/) and photos on actions (attachments/).",
    )
    pg_bin: Path | None = Field(
        default=None,
        description="PostgreSQL 15 bin directory for the embedded server; default Debian's.",
    )
    replica_url: str | None = Field(
        default=None,
        description=(
            "SQLAlchemy URL of a streaming standby of the database: the read-only endpoints "
            "(tiles, heat, OGC items, incident listings) read there; unset = all on the primary."
        ),
    )
    embedded_replica: bool = Field(
        default=False,
        description=(
            "With the embedded database: also run a hot standby of it (pg_basebackup, in "
            "data_dir/pg-replica) and read from it as from replica_url."
        ),
    )
    replica_max_lag_s: float = Field(
        default=5.0,
        gt=0,
        le=3600,
        description="Reads go to the primary while the replica is further behind than this.",
    )
    replica_check_s: float = Field(
        default=0.5, gt=0, le=60, description="Seconds between checks of the replica's lag."
    )
    host: str = "127.0.0.1"
    trusted_proxies: str = Field(
        default="",
        description=(
            "Comma-separated addresses or networks (10.0.0.5, 10.1.0.0/16) of the reverse "
            "proxies whose X-Forwarded-For and X-Forwarded-Proto are believed; empty: none, "
            "every request's client is the address that connected."
        ),
    )
    port: int = Field(default=8000, ge=1, le=65535)
    load_sample_data: bool = Field(
        default=True, description="Load the Dalad Banner sample set into an empty database."
    )
    nearest_limit_m: float = Field(
        default=500.0,
        ge=0,
        description="How far outside every micro-grid a point may still be assigned.",
    )
    basemap: str = Field(
        default="none",
        description=(
            "Base layer under every map: none (a plain background, nothing loaded), tianditu "
            "(needs tianditu_key) or an XYZ URL template such as "
            "http://tiles.local/{z}/{x}/{y}.png."
        ),
    )
    tianditu_key: str | None = Field(
        default=None, description="Tianditu key (tk) for basemap=tianditu; it is sent to browsers."
    )

    attachment_store: Literal["file"] = Field(
        default="file",
        description=(
            "Where photos on actions are kept: file (data_dir/attachments/<sha256[:2]>/<sha256>). "
            "An S3-compatible store for production is not built yet."
        ),
    )

    environment: Literal["development", "production"] = Field(
        default="development",
        description=(
            "development allows the placeholder secret and creates the demo accounts; "
            "production refuses both."
        ),
    )
    secret_key: str = Field(
        default=PLACEHOLDER_SECRET,
        min_length=32,
        description="HMAC key signing the access, refresh and session tokens (HS256).",
    )
    access_token_minutes: int = Field(default=15, ge=1, le=24 * 60)
    refresh_token_days: int = Field(default=7, ge=1, le=90)
    session_hours: int = Field(default=10, ge=1, le=24, description="A page login lasts a shift.")
    login_rate: str = Field(
        default="10/minute",
        description="Failed sign-ins per user name and per client address.",
    )
    login_client_rate: str = Field(
        default="300/minute",
        description="Sign-ins of any outcome per client address (an office behind one gateway).",
    )
    intake_rate: str = Field(default="120/minute", description="Incident reports per account.")
    rate_limit_store: Literal["auto", "memory", "database"] = Field(
        default="auto",
        description=(
            "Where rate-limit counters live: memory (one process's, the fastest) or database "
            "(shared by every process and host); auto: memory, but database under "
            "wangge run --workers N > 1 and wangge cluster."
        ),
    )
    working_hours: str = Field(
        default="08:30-12:00,14:30-18:00",
        description="The working spans of a working day in China time (working hours and days).",
    )
    reveal_rate: str = Field(default="20/hour", description="Personal data reveals per account.")
    privacy_k: int = Field(
        default=3,
        ge=1,
        le=100,
        description=(
            "Aggregates shown to a role without access to the cases hide any count under k "
            "(indicators, heat, tiles), so a small village's single case cannot be read off."
        ),
    )
    indicator_min_sample: int = Field(
        default=5,
        ge=1,
        le=1000,
        description="A rate whose denominator is under this is 样本不足: no value, not ranked.",
    )
    whistle_max_accuracy_m: float = Field(
        default=500.0,
        gt=0,
        le=100_000,
        description="Whistle check-ins reporting a worse accuracy (metres) are refused.",
    )
    whistle_default_buffer_m: float = Field(
        default=200.0,
        gt=0,
        le=100_000,
        description="The on-site buffer (metres) of a whistle check-in sent without accuracy.",
    )
    open311_public: bool = Field(
        default=False,
        description=(
            "Open GET /open311/v2/requests.json and requests/{id}.json to civic apps without a "
            "credential, masked exactly as for staff; default closed (401)."
        ),
    )
    open311_public_area: str | None = Field(
        default=None,
        pattern=r"^[0-9]{2,19}$",
        description=(
            "The area code whose requests anonymous Open311 callers see (e.g. 150621001 for "
            "one township); unset: every place the service holds."
        ),
    )
    open311_public_rate: str = Field(
        default="60/minute", description="Anonymous Open311 reads per client address."
    )
    id_hash_key: str | None = Field(
        default=None,
        min_length=32,
        description=(
            "HMAC key of the registry's ID-number hashes (matching without serving the number); "
            "unset: derived from secret_key. Changing it needs the hashes recomputed."
        ),
    )

    @property
    def id_key(self) -> str:
        """The key the registry hashes ID numbers with (:attr:`id_hash_key`, else one
        derived from :attr:`secret_key`, so production never uses a placeholder)."""
        if self.id_hash_key:
            return self.id_hash_key
        import hashlib

        return hashlib.sha256(b"wangge-id-hash:" + self.secret_key.encode()).hexdigest()

    @field_validator(
        "login_rate", "login_client_rate", "intake_rate", "reveal_rate", "open311_public_rate"
    )
    @classmethod
    def _rate(cls, value: str) -> str:
        from limits import parse

        try:
            parse(value)
        except ValueError:
            raise ValueError(f"{value!r} is not a rate such as 10/minute") from None
        return value

    @field_validator("trusted_proxies")
    @classmethod
    def _proxies(cls, value: str) -> str:
        for item in (p.strip() for p in value.split(",") if p.strip()):
            try:
                ipaddress.ip_network(item, strict=False)
            except ValueError:
                raise ValueError(f"{item!r} is not an IP address or network") from None
        return value

    @property
    def trusted_proxy_list(self) -> list[str]:
        """The proxies named in ``trusted_proxies``, as uvicorn's ``forwarded_allow_ips``."""
        return [p.strip() for p in self.trusted_proxies.split(",") if p.strip()]

    @model_validator(mode="after")
    def _no_placeholder_in_production(self) -> Settings:
        if self.environment != "development" and self.secret_key == PLACEHOLDER_SECRET:
            raise ValueError(
                "WANGGE_SECRET_KEY is the development placeholder; set a random one of at least "
                "32 characters (python -c 'import secrets; print(secrets.token_urlsafe(48))')"
            )
        return self

    @field_validator("basemap")
    @classmethod
    def _basemap_kind(cls, value: str) -> str:
        value = value.strip()
        if value.lower() in ("none", "tianditu"):
            return value.lower()
        placeholders = all(p in value for p in ("{z}", "{x}", "{y}"))
        if placeholders and value.startswith(("http://", "https://", "/")):
            return value
        raise ValueError(
            "must be none, tianditu or an XYZ URL template with {z}, {x} and {y} "
            f"(http://, https:// or a path on this server), got {value!r}"
        )

    @model_validator(mode="after")
    def _pooler_needs_database(self) -> Settings:
        if self.pooler_url and not self.database_url:
            raise ValueError(
                "WANGGE_POOLER_URL needs WANGGE_DATABASE_URL (the direct connection LISTEN "
                "and the migrations use); wangge cluster --pgbouncer sets both"
            )
        return self

    @model_validator(mode="after")
    def _tianditu_needs_key(self) -> Settings:
        if self.basemap == "tianditu" and not self.tianditu_key:
            raise ValueError("WANGGE_BASEMAP=tianditu needs WANGGE_TIANDITU_KEY (the Tianditu tk)")
        return self

    @property
    def pg_dir(self) -> Path:
        return self.data_dir.resolve() / "pg"

    @property
    def replica_dir(self) -> Path:
        """Where the embedded standby lives (``embedded_replica``)."""
        return self.data_dir.resolve() / "pg-replica"
