"""Settings, read from the environment with the prefix ``WANGGE_``.

Built inside the app factory or the CLI command that needs them, never at import time.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Everything the service can be told from outside.

    With no ``database_url`` the service runs its own embedded PostGIS in
    ``data_dir / "pg"``, listening on a Unix socket only.
    """

    model_config = SettingsConfigDict(env_prefix="WANGGE_", extra="ignore")

    database_url: str | None = Field(
        default=None, description="SQLAlchemy URL of an external PostGIS; unset = embedded."
    )
    data_dir: Path = Field(default=Path("./var"), description="Where the embedded PostGIS lives.")
    pg_bin: Path | None = Field(
        default=None,
        description="PostgreSQL 15 bin directory for the embedded server; default Debian's.",
    )
    host: str = "127.0.0.1"
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
    def _tianditu_needs_key(self) -> Settings:
        if self.basemap == "tianditu" and not self.tianditu_key:
            raise ValueError("WANGGE_BASEMAP=tianditu needs WANGGE_TIANDITU_KEY (the Tianditu tk)")
        return self

    @property
    def pg_dir(self) -> Path:
        return self.data_dir.resolve() / "pg"
