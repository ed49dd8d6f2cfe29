"""Settings, read from the environment with the prefix ``WANGGE_``.

Built inside the app factory or the CLI command that needs them, never at import time.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
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

    @property
    def pg_dir(self) -> Path:
        return self.data_dir.resolve() / "pg"
