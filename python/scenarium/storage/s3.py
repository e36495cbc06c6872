"""``s3_object`` data nodes: one object of an S3 bucket (boto3, an optional dependency),
read as text when it is UTF-8 (as Taipy reads it), else bytes; written whole."""

from __future__ import annotations

import importlib
from typing import Any

from scenarium.exceptions import InvalidArgument, MissingOptionalDependency


def _client(props: dict[str, Any]) -> Any:
    """A boto3 S3 client for the node's credentials, region and client parameters
    (``aws_s3_client_parameters``, e.g. an ``endpoint_url`` for an S3-compatible server)."""
    try:
        boto3 = importlib.import_module("boto3")
    except ImportError:
        raise MissingOptionalDependency(
            "s3_object data nodes use boto3, which is not installed: pip install 'scenarium[s3]'"
        ) from None
    options = dict(props.get("aws_s3_client_parameters") or {})
    for key, option in (("aws_access_key", "aws_access_key_id"), ("aws_secret_access_key", "aws_secret_access_key")):
        if props.get(key):
            options[option] = props[key]
    if props.get("aws_region"):
        options["region_name"] = props["aws_region"]
    return boto3.client("s3", **options)


def read(props: dict[str, Any]) -> Any:
    """The object's content: text when it is UTF-8 (as Taipy reads it), else bytes."""
    body = _client(props).get_object(Bucket=props["aws_s3_bucket_name"], Key=props["aws_s3_object_key"])["Body"].read()
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        return body


def write(where: str, props: dict[str, Any], value: Any, append: bool) -> None:
    if append:
        raise InvalidArgument(f"{where}: an s3_object data node is written whole; it has no append")
    extra = dict(props.get("aws_s3_object_parameters") or {})
    bucket, key = props["aws_s3_bucket_name"], props["aws_s3_object_key"]
    _client(props).put_object(Bucket=bucket, Key=key, Body=value, **extra)
