"""Object storage: the interface the domain uses, the S3 adapter and the presigner."""
