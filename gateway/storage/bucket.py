"""Bucket preparation: create it, allow browsers (CORS) and expire abandoned uploads (lifecycle)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import botocore.exceptions

EXPOSED_HEADERS = ["ETag", "x-amz-checksum-crc32c", "x-amz-request-id"]


@dataclass
class BucketReport:
    """What setup did, line by line, for the operator."""

    lines: list[str] = field(default_factory=list)

    def add(self, line: str) -> None:
        """Record one step."""
        self.lines.append(line)


def setup_bucket(client: Any, bucket: str, region: str, cors_origins: tuple[str, ...],
                 upload_ttl: int) -> BucketReport:
    """Create the bucket if missing, put its CORS rule and its abort-incomplete lifecycle rule."""
    report = BucketReport()
    try:
        client.head_bucket(Bucket=bucket)
        report.add(f"bucket {bucket}: exists")
    except botocore.exceptions.ClientError:
        kwargs: dict[str, Any] = {"Bucket": bucket}
        if region != "us-east-1":
            kwargs["CreateBucketConfiguration"] = {"LocationConstraint": region}
        client.create_bucket(**kwargs)
        report.add(f"bucket {bucket}: created")
    origins = list(cors_origins) or ["*"]
    client.put_bucket_cors(Bucket=bucket, CORSConfiguration={"CORSRules": [{
        "AllowedOrigins": origins, "AllowedMethods": ["PUT", "GET", "HEAD"],
        "AllowedHeaders": ["*"], "ExposeHeaders": EXPOSED_HEADERS, "MaxAgeSeconds": 3600,
    }]})
    exposed = ", ".join(EXPOSED_HEADERS)
    report.add(f"CORS: PUT/GET/HEAD from {', '.join(origins)}, exposing {exposed}")
    days = max(1, math.ceil(upload_ttl / 86400) + 1)
    try:
        client.put_bucket_lifecycle_configuration(Bucket=bucket, LifecycleConfiguration={
            "Rules": [{"ID": "gateway-abort-incomplete-uploads", "Status": "Enabled",
                       "Filter": {"Prefix": ""},
                       "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": days}}]})
        report.add(f"lifecycle: abort incomplete multipart uploads after {days} days")
    except botocore.exceptions.ClientError as exc:
        report.add(f"lifecycle: not set ({exc.response.get('Error', {}).get('Code')}); "
                   "the janitor still expires idle uploads")
    return report
