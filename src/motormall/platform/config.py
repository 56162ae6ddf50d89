"""Settings from `MOTORMALL_*` environment variables (documented in the README)."""

from __future__ import annotations

import secrets
from functools import lru_cache
from pathlib import Path

from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="MOTORMALL_", extra="ignore")

    var_dir: Path = Path("var")
    database_url: str = ""  # empty: SQLite file under var_dir
    redis_url: str = ""  # empty: embedded job queue on SQLite storage
    secret_key: str = ""  # empty: generated once and kept under var_dir
    rate_limits: str = "on"
    # run the job consumer inside `serve` (the embedded default); off when a worker runs apart
    embedded_worker: bool = True
    token_ttl_hours: int = 24 * 7
    max_upload_bytes: int = 5 * 1024 * 1024
    default_currency: str = "CNY"
    default_timezone: str = "Asia/Shanghai"
    idempotency_ttl_hours: int = 24
    login_failures_allowed: int = 5  # per account and per address, per window
    login_failure_window_s: int = 900
    db_pool_size: int = 16

    @property
    def effective_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.var_dir / 'motormall.db').as_posix()}"

    @property
    def media_dir(self) -> Path:
        return self.var_dir / "media"

    @property
    def rate_limits_on(self) -> bool:
        return self.rate_limits.lower() not in {"off", "0", "false", "no"}

    @property
    def effective_secret_key(self) -> str:
        if self.secret_key:
            return self.secret_key
        path = self.var_dir / "secret_key"
        if not path.exists():
            self.var_dir.mkdir(parents=True, exist_ok=True)
            path.write_text(secrets.token_urlsafe(48))
            path.chmod(0o600)
        return path.read_text().strip()


@lru_cache
def get_settings() -> Settings:
    return Settings()
