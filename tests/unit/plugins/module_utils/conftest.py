"""Fixtures for the module_utils unit tests: stubbable clients; no network."""
import types

import boto3
import pytest


@pytest.fixture
def ecs_client():
    return boto3.client("ecs", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")


@pytest.fixture
def ssm_client():
    return boto3.client("ssm", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")


@pytest.fixture
def no_retry_sleep(monkeypatch):
    """Make AWSRetry's backoff instant (only its own `time`, not the process-wide module)."""
    from ansible_collections.amazon.aws.plugins.module_utils import cloud
    slept = []
    monkeypatch.setattr(cloud, "time", types.SimpleNamespace(sleep=slept.append))
    return slept
