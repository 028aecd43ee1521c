"""Integration fixtures beyond the shared ones: the SDK's served gateway and store proxy."""

from tests.support.client_fixtures import proxy, rig  # noqa: F401
