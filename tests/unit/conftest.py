"""Unit tests: pure pieces and API wrappers against botocore Stubber; no network."""
import boto3
import pytest


@pytest.fixture
def ecs_client():
    return boto3.client("ecs", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")


@pytest.fixture
def ssm_client():
    return boto3.client("ssm", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")


@pytest.fixture(autouse=True)
def no_retry_sleep(monkeypatch):
    """Throttling retries in wrappers must not slow the suite down."""
    import time
    monkeypatch.setattr(time, "sleep", lambda _s: None)
