"""The boto3 session is injected, never built from globals inside library code.

Every AWS-facing function takes an :class:`AwsContext`: a ``boto3.Session`` plus an
optional endpoint URL (moto's server in tests, LocalStack or a VPC endpoint in real use).
Clients share one retry policy — botocore's *adaptive* mode, which retries throttling and
transient errors with client-side rate limiting — so an unreachable endpoint would take
about a minute to give up; :meth:`AwsContext.account` is the quick check (one STS call, no
retries) every command makes first, so a dead endpoint or refused credentials fail in
seconds. :func:`aws_errors` turns botocore's failures into
one clear line (:class:`AwsError`); the CLI prints it and exits with status 2.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    EndpointConnectionError,
    NoCredentialsError,
    NoRegionError,
    PartialCredentialsError,
    ProfileNotFound,
)
from botocore.parsers import ResponseParserError

__all__ = ["AwsContext", "AwsError", "PROBE_CONFIG", "RETRY_CONFIG", "aws_errors", "open_context"]

RETRY_CONFIG = Config(
    retries={"max_attempts": 8, "mode": "adaptive"},
    connect_timeout=5,
    read_timeout=60,
)

PROBE_CONFIG = Config(retries={"max_attempts": 1, "mode": "standard"}, connect_timeout=3,
                      read_timeout=15)

_CREDENTIAL_CODES = {
    "UnrecognizedClientException", "InvalidClientTokenId", "AuthFailure",
    "SignatureDoesNotMatch", "ExpiredToken", "ExpiredTokenException",
    "InvalidSignatureException", "MissingAuthenticationToken", "AccessDenied",
    "AccessDeniedException",
}


class AwsError(Exception):
    """One line a user can act on; never carries credentials or secrets."""


@dataclass
class AwsContext:
    """A boto3 session, the endpoint to talk to, and the clients made so far."""

    session: boto3.Session
    endpoint_url: str | None = None
    config: Config = RETRY_CONFIG
    _clients: dict[tuple[str, str], Any] = field(default_factory=dict, repr=False)
    _account: str | None = field(default=None, repr=False)

    def client(self, service: str, region: str) -> Any:
        """A client of ``service`` in ``region`` (cached: one per pair)."""
        key = (service, region)
        if key not in self._clients:
            self._clients[key] = self.session.client(
                service, region_name=region, endpoint_url=self.endpoint_url, config=self.config)
        return self._clients[key]


    def account(self, region: str) -> str:
        """The caller's account id from one quick STS call (no retries, cached)."""
        if self._account is None:
            probe = self.session.client("sts", region_name=region, endpoint_url=self.endpoint_url,
                                        config=self.config.merge(PROBE_CONFIG))
            with aws_errors(f"checking AWS access in {region}"):
                self._account = probe.get_caller_identity()["Account"]
        return self._account


def open_context(profile: str | None = None, endpoint_url: str | None = None) -> AwsContext:
    """A context from a named profile (or the default chain); errors become AwsError."""
    with aws_errors():
        session = boto3.Session(profile_name=profile) if profile else boto3.Session()
        if session.get_credentials() is None:
            raise NoCredentialsError()
    return AwsContext(session=session, endpoint_url=endpoint_url)


@contextmanager
def aws_errors(doing: str = "") -> Iterator[None]:
    """Translate botocore failures into :class:`AwsError` with one line."""
    prefix = f"{doing}: " if doing else ""
    try:
        yield
    except ProfileNotFound as exc:
        raise AwsError(f"{prefix}AWS profile not found: {exc.kwargs.get('profile')}") from None
    except (NoCredentialsError, PartialCredentialsError):
        raise AwsError(f"{prefix}no AWS credentials: set a profile (--profile) or "
                       "AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY") from None
    except NoRegionError:
        raise AwsError(f"{prefix}no AWS Region given") from None
    except EndpointConnectionError as exc:
        raise AwsError(f"{prefix}cannot reach the endpoint {exc.kwargs.get('endpoint_url')}: "
                       "check --endpoint-url and the Region") from None
    except ClientError as exc:
        error = exc.response.get("Error", {})
        code = error.get("Code", "Unknown")
        operation = getattr(exc, "operation_name", "")
        if code in _CREDENTIAL_CODES:
            raise AwsError(f"{prefix}{operation}: credentials refused ({code}): check the "
                           "profile, keys and Region") from None
        message = error.get("Message", "")
        raise AwsError(f"{prefix}{operation}: {code}: {message}".rstrip(": ")) from None
    except ResponseParserError:  # not a BotoCoreError: an HTML page or garbage came back
        raise AwsError(f"{prefix}the endpoint's answer is not an AWS response (HTTP error page): "
                       "check --endpoint-url") from None
    except BotoCoreError as exc:
        raise AwsError(f"{prefix}{type(exc).__name__}: {exc}") from None
