"""Shared test machinery: real S3 endpoints, API clients and byte helpers."""
