"""The upload domain: planning, states, checksums and the use cases; no Flask, no boto3."""
