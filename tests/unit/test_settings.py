"""Settings from the environment."""

import pytest
from pydantic import ValidationError

from kvapi.settings import Settings


def test_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("KVAPI_REDIS_URL", "KVAPI_WRITE_TOKENS", "KVAPI_PORT", "KVAPI_HOST"):
        monkeypatch.delenv(name, raising=False)
    settings = Settings()
    assert (settings.redis_url, settings.host, settings.port) == (None, "127.0.0.1", 8000)
    assert settings.write_tokens == ()
    assert settings.max_value_bytes == 1_048_576
    assert settings.redis_timeout_s == 1.0
    assert settings.redis_pool_size == 64


def test_environment_is_read(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KVAPI_WRITE_TOKENS", " one, two ,,")
    monkeypatch.setenv("KVAPI_REDIS_URL", "rediss://user:pw@cache.example:6379/0")
    monkeypatch.setenv("KVAPI_LOG_LEVEL", "debug")
    settings = Settings()
    assert settings.write_tokens == ("one", "two")
    assert settings.redis_url == "rediss://user:pw@cache.example:6379/0"
    assert settings.log_level == "DEBUG"


@pytest.mark.parametrize(
    ("name", "value"),
    [("KVAPI_REDIS_URL", "http://nope"), ("KVAPI_PORT", "70000"), ("KVAPI_REDIS_TIMEOUT_S", "0")],
)
def test_invalid_values_are_refused(monkeypatch: pytest.MonkeyPatch, name: str, value: str) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ValidationError):
        Settings()


def test_the_app_needs_a_redis_url() -> None:
    from kvapi.app import create_app

    with pytest.raises(ValueError, match="KVAPI_REDIS_URL is required"):
        create_app(Settings(redis_url=None))
