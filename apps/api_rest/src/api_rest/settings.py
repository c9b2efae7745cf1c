"""Settings from the environment (12-factor); names are fixed in docs/CONTRACT.md."""

import math
import os
from functools import lru_cache
from pathlib import Path
from urllib.parse import quote

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

MAX_WORKERS = 64


def available_cpus(cgroup: Path = Path("/sys/fs/cgroup")) -> int:
    """CPUs this process may use: its affinity, capped by a cgroup CPU quota (a container limit)."""
    cpus = len(os.sched_getaffinity(0))
    quota = None
    try:  # cgroup v2: "max 100000" or "<quota> <period>"
        q, period = (cgroup / "cpu.max").read_text().split()[:2]
        quota = None if q == "max" else int(q) / int(period)
    except (OSError, ValueError):
        try:  # cgroup v1
            q = int((cgroup / "cpu" / "cpu.cfs_quota_us").read_text())
            quota = q / int((cgroup / "cpu" / "cpu.cfs_period_us").read_text()) if q > 0 else None
        except (OSError, ValueError, ZeroDivisionError):
            quota = None
    if quota is not None:
        cpus = min(cpus, max(1, math.ceil(quota)))
    return max(1, cpus)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(extra="ignore")

    api_port: int = Field(8000, ge=1, le=65535)
    api_host: str = "0.0.0.0"
    api_tls_port: int = Field(8443, ge=1, le=65535)
    api_tls_cert_file: str | None = None
    api_tls_key_file: str | None = None
    api_max_body_bytes: int = Field(16_384, ge=1024)
    api_db_pool_min: int = Field(2, ge=1)
    api_db_pool_max: int = Field(10, ge=1)
    api_shutdown_timeout_seconds: int = Field(20, ge=1)
    # None = auto: one per available CPU (see available_cpus); read it through `workers`.
    api_workers: int | None = None

    database_url: str | None = None
    postgres_host: str = "localhost"
    postgres_port: int = 5432
    postgres_db: str = "shipay"
    postgres_user: str = "shipay"
    postgres_password: str = ""
    postgres_sslmode: str = "prefer"

    kafka_bootstrap_servers: str = "localhost:9092"
    kafka_topic_partitions: int = Field(3, ge=1)
    kafka_topic_replication_factor: int = Field(1, ge=1)
    outbox_poll_interval_seconds: float = Field(0.5, gt=0)
    outbox_batch_size: int = Field(500, ge=1)

    log_level: str = "INFO"

    @property
    def dsn(self) -> str:
        if self.database_url:
            return self.database_url
        auth = quote(self.postgres_user, safe="")
        if self.postgres_password:
            auth += ":" + quote(self.postgres_password, safe="")
        return (
            f"postgresql://{auth}@{self.postgres_host}:{self.postgres_port}/"
            f"{quote(self.postgres_db, safe='')}?sslmode={self.postgres_sslmode}"
        )

    @field_validator("api_workers", mode="before")
    @classmethod
    def _workers(cls, value):
        if value is None or (isinstance(value, str) and value.strip().lower() in ("", "auto")):
            return None
        text = str(value).strip()
        if isinstance(value, bool) or not text.isdigit() or not 1 <= int(text) <= MAX_WORKERS:
            raise ValueError(f"must be 'auto' or a whole number from 1 to {MAX_WORKERS}, got {value!r}")
        return int(text)

    @property
    def workers(self) -> int:
        """Server processes: API_WORKERS, or one per available CPU when it is auto/unset."""
        return self.api_workers or min(available_cpus(), MAX_WORKERS)

    @property
    def tls_enabled(self) -> bool:
        return bool(self.api_tls_cert_file and self.api_tls_key_file)


@lru_cache
def get_settings() -> Settings:
    return Settings()
