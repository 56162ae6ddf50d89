"""Settings from `MOTORMALL_*` environment variables (documented in the README)."""

from __future__ import annotations

import base64
import secrets
from functools import lru_cache
from pathlib import Path

from pydantic import field_validator
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
    # a live token is believed this many seconds without a database read; a revocation reaches
    # other processes within it (the revoking process forgets at once); 0 reads every time
    token_cache_s: float = 5.0
    max_upload_bytes: int = 5 * 1024 * 1024
    default_currency: str = "CNY"
    default_timezone: str = "Asia/Shanghai"
    idempotency_ttl_hours: int = 24
    login_failures_allowed: int = 5  # per account (or per known device), per window
    login_address_failures_allowed: int = 100  # per address over all accounts (carrier NATs)
    login_failure_window_s: int = 900
    login_device_days: int = 365  # a device that logged in is exempt this long
    registrations_per_address: int = 20  # per window: so registration cannot enumerate at speed
    registration_window_s: int = 3600
    password_reset_minutes: int = 60  # a reset link works once, for this long
    # customer notifications: e-mail when an SMTP URL is given (smtp://, smtps://, and
    # ?starttls=true), text messages through a provider ("log" writes them to the log)
    smtp_url: str = ""
    smtp_from: str = "motormall <no-reply@motormall.local>"
    sms_provider: str = "log"  # log | off
    db_pool_size: int = 16
    # a PostgreSQL streaming replica for browsing reads that may lag a second (stock search,
    # the catalogue, dashboards); empty: every read goes to database_url
    database_replica_url: str = ""
    # published files (dealers' photos, listing illustrations): empty keeps them under
    # var_dir/media; s3://bucket[/prefix] puts them in an S3-compatible store all nodes share
    files_url: str = ""
    files_endpoint_url: str = ""  # MinIO or another S3-compatible server; empty: AWS
    files_region: str = ""
    # deliver dealers' webhooks to loopback/private/link-local addresses (off: public only)
    webhook_allow_private: bool = False
    # abuse limits (all off with rate_limits=off): per client address and server process
    photo_searches_per_minute: int = 20
    registrations_per_hour: int = 10
    metrics_token: str = ""  # set: /metrics wants `Authorization: Bearer <token>`
    trust_proxy: bool = False  # believe X-Forwarded-Proto/-For (only behind your own proxy)
    # orders and payments
    max_live_orders: int = 2  # reserved or paid, not yet handed over, per customer
    order_hold_minutes: int = 15  # a reservation lapses unless the deposit is paid in time
    deposit_amount: str = "5000.00"
    return_window_days: int = 7
    return_mileage_km: int = 300
    dealer_commission_rate: str = "0.03"  # of the price, to the dealer credited with the sale
    payment_provider: str = "sandbox"  # sandbox | alipay
    public_url: str = "http://127.0.0.1:8000"  # where providers send buyers back and notify
    sandbox_secret: str = ""  # empty: derived from the secret key
    sandbox_chaos: bool = False  # deliver notifications late, twice, out of order
    alipay_app_id: str = ""
    alipay_app_private_key: str = ""  # PEM
    alipay_public_key: str = ""  # PEM, Alipay's key that signs notifications
    alipay_gateway: str = "https://openapi.alipay.com/gateway.do"
    # the merchant's own Alipay account (2088...): a notification naming another is refused
    alipay_seller_id: str = ""
    # agreement (recurring debit) sign-up: the scene Alipay assigned to the merchant's contract
    alipay_sign_scene: str = "DEFAULT|DEFAULT"
    # finance: where credit scores come from (scorecard: built in; bureau: the URL below)
    credit_provider: str = "scorecard"
    credit_bureau_url: str = ""
    credit_bureau_key: str = ""
    # vision (figures behind the defaults: docs/model-card.md)
    model_dir: Path | None = None  # built ONNX backbones; empty: var_dir/models
    vision_threads: int = 0  # onnxruntime threads per model; 0: one per core
    face_match_threshold: float = 0.54  # fused distance (1 - cosine) at or below: same person
    face_review_upper: float = 0.64  # between the threshold and this: a person decides
    face_processes: int = 2  # threads that describe a check's frames side by side
    # identity data at rest (customers/vault.py): comma-separated Fernet keys, the first
    # encrypts, all decrypt; empty: one key derived from the secret key
    identity_keys: str = ""

    @field_validator("identity_keys")
    @classmethod
    def _fernet_keys(cls, value: str) -> str:
        """Refused at start-up, not at the first customer's upload."""
        for n, key in enumerate((k.strip() for k in value.split(",") if k.strip()), 1):
            try:
                raw = base64.urlsafe_b64decode(key.encode())
            except (ValueError, TypeError):
                raw = b""
            if len(raw) != 32:
                raise ValueError(
                    f"key {n} is not a Fernet key (32 bytes, URL-safe base64: "
                    "python -c 'from cryptography.fernet import Fernet; "
                    "print(Fernet.generate_key().decode())')"
                )
        return value

    @field_validator("files_url")
    @classmethod
    def _files_url(cls, value: str) -> str:
        if value and not (value.startswith("s3://") and value[5:].split("/")[0]):
            raise ValueError(
                "use s3://bucket[/prefix], or leave it empty for files under var_dir/media"
            )
        return value

    # analytics: a dashboard read copies at most this many new events itself before it
    # answers (more: it answers from the copy and says how old it is; the job catches up)
    analytics_catch_up_on_read: int = 20_000

    @property
    def analytics_dir(self) -> Path:
        return self.var_dir / "analytics"

    @property
    def effective_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.var_dir / 'motormall.db').as_posix()}"

    @property
    def media_dir(self) -> Path:
        return self.var_dir / "media"

    @property
    def models_dir(self) -> Path:
        return self.model_dir or self.var_dir / "models"

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


_current: Settings | None = None


def use_settings(settings: Settings | None) -> None:
    """Make `settings` the process's settings (the app and its jobs then agree)."""
    global _current
    _current = settings


def get_settings() -> Settings:
    return _current or _from_environment()


@lru_cache
def _from_environment() -> Settings:
    return Settings()
