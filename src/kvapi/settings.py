"""Settings from the environment (prefix KVAPI_), frozen.

`kvapi serve` reads them once, in gunicorn's master, and hands that object to the app, the
worker and its protocol; the workers fork from the master and never read the environment.
"""

from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="KVAPI_", frozen=True, extra="ignore")

    redis_url: str | None = Field(
        default=None,
        description="redis:// or rediss:// URL; unset means an embedded server (local use only)",
    )
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    workers: int | None = Field(default=None, ge=1, description="default: number of CPUs")
    log_level: str = "INFO"
    log_format: Literal["auto", "json", "console"] = Field(
        default="auto", description="auto: console lines on a terminal, JSON otherwise"
    )
    write_tokens: Annotated[tuple[str, ...], NoDecode] = ()
    max_value_bytes: int = Field(default=1_048_576, ge=1)
    redis_timeout_s: float = Field(default=1.0, gt=0)
    redis_pool_size: int = Field(default=64, ge=1)
    redis_cluster: bool = Field(
        default=False,
        description="Redis Cluster (ElastiCache cluster mode): KVAPI_REDIS_URL names any node",
    )
    rate_limit_reads: str | None = Field(default=None, description='e.g. "100/second"; unset = off')
    rate_limit_writes: str | None = Field(default=None, description='e.g. "20/second"; unset = off')
    trusted_proxies: str = Field(
        default="",
        description="comma-separated proxy addresses whose X-Forwarded-For is believed; '' = none",
    )
    cors_origins: Annotated[tuple[str, ...], NoDecode] = ()
    max_body_bytes: int | None = Field(
        default=None, ge=0, description="largest request body; default 6 x max_value_bytes + 4 KiB"
    )
    header_timeout_s: float = Field(default=10.0, gt=0)
    body_timeout_s: float = Field(default=30.0, gt=0)
    max_header_bytes: int = Field(default=65_536, ge=1024)
    graceful_timeout_s: int = Field(default=20, ge=0)
    keepalive_s: int = Field(default=5, ge=0)
    data_dir: str = ".data"
    metrics_enabled: bool = True
    access_log: bool = True

    @field_validator("write_tokens", "cors_origins", mode="before")
    @classmethod
    def _split_tokens(cls, value: object) -> object:
        if isinstance(value, str):
            return tuple(token.strip() for token in value.split(",") if token.strip())
        return value

    @field_validator("cors_origins")
    @classmethod
    def _explicit_origins(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if "*" in value:
            raise ValueError("KVAPI_CORS_ORIGINS must list origins explicitly, never '*'")
        return value

    @field_validator("rate_limit_reads", "rate_limit_writes")
    @classmethod
    def _one_limit(cls, value: str | None) -> str | None:
        from limits import parse

        if value:
            if any(sep in value for sep in ";,|"):
                raise ValueError("one limit per route class (one Redis round trip per request)")
            parse(value)  # raises ValueError on a malformed limit: fail at start, not per request
        return value or None

    @property
    def body_limit(self) -> int:
        # A JSON string escapes a 1-byte character as \u00XX (6 bytes): any value within
        # max_value_bytes must still fit, whatever escaping the client's encoder chose.
        if self.max_body_bytes is not None:
            return self.max_body_bytes
        return 6 * self.max_value_bytes + 4096

    @field_validator("log_level")
    @classmethod
    def _upper_level(cls, value: str) -> str:
        return value.upper()

    @field_validator("log_format", mode="before")
    @classmethod
    def _lower_format(cls, value: object) -> object:
        return value.lower() if isinstance(value, str) else value

    @field_validator("redis_url")
    @classmethod
    def _known_scheme(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("redis://", "rediss://", "unix://")):
            raise ValueError("KVAPI_REDIS_URL must start with redis://, rediss:// or unix://")
        return value or None

    @model_validator(mode="after")
    def _cluster_over_tcp(self) -> "Settings":
        # The embedded server is a single node, and cluster nodes are reached over TCP only.
        if self.redis_cluster and not (self.redis_url or "").startswith(("redis://", "rediss://")):
            raise ValueError("KVAPI_REDIS_CLUSTER needs KVAPI_REDIS_URL: redis:// or rediss://")
        return self
