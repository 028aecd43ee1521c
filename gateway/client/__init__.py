"""The gateway's Python client: parallel, resumable, verified uploads; downloads; listing.

Importable without the server's dependencies (Flask, SQLAlchemy, boto3):

    from gateway.client import GatewayClient
    client = GatewayClient("http://127.0.0.1:8000", "gwk_...")
    result = client.upload_file("big.bin", progress=lambda done, total: ...)
    print(result.file_id, result.crc32c)
"""

from gateway.client.client import GatewayClient
from gateway.client.config import TransferConfig
from gateway.client.download import DownloadResult
from gateway.client.errors import (
    ApiError,
    ClientError,
    IntegrityError,
    StoreError,
    TransferError,
    UsageError,
)
from gateway.client.upload import UploadResult

__all__ = [
    "ApiError", "ClientError", "DownloadResult", "GatewayClient", "IntegrityError",
    "StoreError", "TransferConfig", "TransferError", "UploadResult", "UsageError",
]
