"""Settings from the environment (12-factor); names are fixed in docs/CONTRACT.md."""

from functools import lru_cache
from urllib.parse import quote

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


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

    @property
    def tls_enabled(self) -> bool:
        return bool(self.api_tls_cert_file and self.api_tls_key_file)


@lru_cache
def get_settings() -> Settings:
    return Settings()
