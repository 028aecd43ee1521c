"""deploy/: the compose file, the Kubernetes manifests and the Dockerfile agree with the code."""

from __future__ import annotations

import re
import subprocess
from dataclasses import fields
from pathlib import Path
from typing import Any

import yaml

from gateway.config import Settings
from gateway.server import GRACEFUL_SECONDS

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
# Read by the CLI and the entrypoint rather than by Settings.
_EXTRA_VARIABLES = {"GATEWAY_HOST", "GATEWAY_PORT", "GATEWAY_WORKERS", "GATEWAY_THREADS",
                    "GATEWAY_BUCKET_SETUP", "GATEWAY_WAIT_SECONDS"}
_KNOWN = {f"GATEWAY_{f.name.upper()}" for f in fields(Settings)} | _EXTRA_VARIABLES


def _load(name: str) -> Any:
    return yaml.safe_load((DEPLOY / name).read_text())


def _manifests() -> dict[str, Any]:
    docs = {}
    for path in sorted((DEPLOY / "k8s").glob("*.yaml")):
        for doc in yaml.safe_load_all(path.read_text()):
            docs[doc["kind"]] = doc
    return docs


def _assert_known(variables: dict[str, str]) -> None:
    unknown = {k for k in variables if k.startswith("GATEWAY_") and k not in _KNOWN}
    assert not unknown, f"settings the gateway does not read: {unknown}"


def test_compose_runs_gateway_minio_and_postgres_with_a_public_endpoint() -> None:
    compose = _load("docker-compose.yml")
    services = compose["services"]
    assert set(services) == {"gateway", "minio", "postgres"}
    gateway = services["gateway"]
    env = gateway["environment"]
    _assert_known(env)
    assert env["GATEWAY_S3_ENDPOINT_URL"] == "http://minio:9000"
    # Browsers on the host reach MinIO where compose publishes it, and URLs must name that.
    assert env["GATEWAY_S3_PUBLIC_ENDPOINT_URL"] == "http://localhost:9000"
    assert "9000:9000" in services["minio"]["ports"]
    assert env["GATEWAY_DATABASE_URL"].startswith("postgresql+psycopg://")
    assert "@postgres:5432/" in env["GATEWAY_DATABASE_URL"]
    pg = services["postgres"]["environment"]
    assert f"{pg['POSTGRES_USER']}:{pg['POSTGRES_PASSWORD']}@" in env["GATEWAY_DATABASE_URL"]
    assert env["AWS_ACCESS_KEY_ID"] == services["minio"]["environment"]["MINIO_ROOT_USER"]
    assert {name: dep["condition"] for name, dep in gateway["depends_on"].items()} == {
        "postgres": "service_healthy", "minio": "service_healthy"}
    build = gateway["build"]
    assert (DEPLOY / build["context"] / build["dockerfile"]).resolve() == DEPLOY / "Dockerfile"
    Settings.from_env(env)  # the values themselves are valid settings


def test_kubernetes_deployment_probes_and_runs_as_non_root() -> None:
    docs = _manifests()
    assert {"ConfigMap", "Secret", "Deployment", "Service", "Kustomization"} <= set(docs)
    deployment = docs["Deployment"]
    pod = deployment["spec"]["template"]["spec"]
    labels = deployment["spec"]["template"]["metadata"]["labels"]
    assert deployment["spec"]["selector"]["matchLabels"].items() <= labels.items()
    assert docs["Service"]["spec"]["selector"].items() <= labels.items()
    (container,) = pod["containers"]
    port = container["ports"][0]
    assert (port["name"], port["containerPort"]) == ("http", 8000)
    assert container["readinessProbe"]["httpGet"] == {"path": "/ready", "port": "http"}
    assert container["livenessProbe"]["httpGet"] == {"path": "/health", "port": "http"}
    assert docs["Service"]["spec"]["ports"][0]["targetPort"] == "http"
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["runAsUser"] == _dockerfile_uid()
    assert pod["terminationGracePeriodSeconds"] > GRACEFUL_SECONDS
    refs = {ref.get("configMapRef", ref.get("secretRef"))["name"] for ref in container["envFrom"]}
    assert refs == {docs["ConfigMap"]["metadata"]["name"], docs["Secret"]["metadata"]["name"]}
    assert {v["mountPath"] for v in container["volumeMounts"]} == {"/tmp"}


def test_kubernetes_settings_are_valid() -> None:
    docs = _manifests()
    env = {**docs["ConfigMap"]["data"], **docs["Secret"]["stringData"]}
    env.update({e["name"]: e["value"] for e in
                docs["Deployment"]["spec"]["template"]["spec"]["containers"][0]["env"]})
    _assert_known(env)
    settings = Settings.from_env(env)
    assert settings.database_url.startswith("postgresql+psycopg://")
    assert set(docs["Kustomization"]["resources"]) == {
        "configmap.yaml", "deployment.yaml", "service.yaml"}


def _dockerfile_uid() -> int:
    found = re.search(r"^USER (\d+)(?::\d+)?$", (DEPLOY / "Dockerfile").read_text(), re.M)
    assert found, "the Dockerfile must switch to a numeric non-root user"
    return int(found.group(1))


def test_dockerfile_runs_the_entrypoint_as_a_non_root_user() -> None:
    text = (DEPLOY / "Dockerfile").read_text()
    assert _dockerfile_uid() != 0
    assert text.rindex("USER ") > text.rindex("RUN ")  # nothing runs as root after USER
    assert "COPY deploy/entrypoint.sh /usr/local/bin/gateway-entrypoint" in text
    assert 'ENTRYPOINT ["bash", "/usr/local/bin/gateway-entrypoint"]' in text
    for source in re.findall(r"^COPY (?!--from)(.+) \S+$", text, re.M):
        for item in source.split():
            assert (DEPLOY.parent / item).exists(), item


def test_entrypoint_is_valid_bash() -> None:
    subprocess.run(["bash", "-n", str(DEPLOY / "entrypoint.sh")], check=True)
