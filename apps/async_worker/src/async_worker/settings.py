"""Settings from the environment; names are fixed in docs/CONTRACT.md."""

from urllib.parse import quote

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(extra="ignore")

    worker_http_port: int = Field(8001, ge=1, le=65535)
    worker_http_host: str = "0.0.0.0"
    worker_demo_interval_seconds: float = Field(0, ge=0)
    worker_batch_size: int = Field(1000, ge=1)
    kafka_consumer_group: str = "async-worker"

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
