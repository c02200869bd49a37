"""The error every part of fleetctl raises for a failure the user can act on, so data code never imports the CLI."""

from __future__ import annotations

from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectionError,
    HTTPClientError,
    NoCredentialsError,
    NoRegionError,
    PartialCredentialsError,
)


class CommandError(Exception):
    """A failure the user can act on: printed as one line, exit code 2, no traceback."""


AWS_ERRORS = (BotoCoreError, ClientError)
"""What boto3 raises for a request AWS did not answer or refused: reported as one line by `aws_problem`."""

# Error codes with which AWS refuses the credentials themselves, not the request (STS, EC2, ECR, ...).
CREDENTIAL_CODES = frozenset(
    {
        "AuthFailure",
        "ExpiredToken",
        "ExpiredTokenException",
        "InvalidAccessKeyId",
        "InvalidClientTokenId",
        "RequestExpired",
        "SignatureDoesNotMatch",
        "UnrecognizedClientException",
    }
)
CREDENTIALS_HINT = (
    "set AWS_PROFILE (after `aws sso login` for SSO), or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, "
    "for the account the stack deploys to"
)


def aws_problem(error: BotoCoreError | ClientError) -> str:
    """One line for a failed AWS request, saying whether the network, the credentials or the request failed."""
    detail = " ".join(str(error).split())
    if isinstance(error, NoCredentialsError | PartialCredentialsError):
        return f"no usable AWS credentials ({detail}): {CREDENTIALS_HINT}"
    if isinstance(error, ClientError) and error.response.get("Error", {}).get("Code") in CREDENTIAL_CODES:
        return f"AWS refused the credentials ({detail}): {CREDENTIALS_HINT}"
    if isinstance(error, ConnectionError | HTTPClientError):
        return f"cannot reach AWS ({detail}): check the network, and AWS_ENDPOINT_URL if it is set"
    if isinstance(error, NoRegionError):
        return f"no AWS region ({detail}): set AWS_REGION, or aws:region in the stack file"
    return f"AWS request failed: {detail}"
