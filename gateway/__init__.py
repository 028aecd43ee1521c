"""S3-compatible presigned multipart upload gateway."""

__version__ = "0.1.0"
