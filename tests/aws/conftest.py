"""A real moto server on 127.0.0.1 (HTTP, like AWS) and a boto3 session pointed at it.

Tests talk to the server over the network through the same code path as real AWS; the
session is injected with fake keys, so nothing reads the machine's AWS configuration.
"""

from __future__ import annotations

import urllib.request

import boto3
import pytest

pytest.importorskip("moto.server", reason="moto[server] is in the test extras")
from moto.server import ThreadedMotoServer  # noqa: E402

from hadrsim.aws.session import AwsContext  # noqa: E402


@pytest.fixture(scope="session")
def moto_endpoint():
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture()
def aws(moto_endpoint, monkeypatch) -> AwsContext:
    """A fresh (reset) moto account and an injected context pointed at it."""
    for name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_CONFIG_FILE",
                 "AWS_SHARED_CREDENTIALS_FILE"):
        monkeypatch.delenv(name, raising=False)
    request = urllib.request.Request(f"{moto_endpoint}/moto-api/reset", method="POST")
    urllib.request.urlopen(request, timeout=10).read()
    session = boto3.Session(aws_access_key_id="testing", aws_secret_access_key="testing",
                            region_name="us-east-1")
    return AwsContext(session=session, endpoint_url=moto_endpoint)
