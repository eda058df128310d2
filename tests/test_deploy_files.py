"""deploy/: the compose file, the Kubernetes manifests, the Dockerfile and the nginx template.

Docker and Kubernetes cannot run here, so these tests read the files and check what
would break a deployment: ports that do not meet, probes that miss the health
endpoint, a cookie secret under another name or not shared, affinity that is not by
cookie, an upload limit that differs from the app's, and a compose nginx that does not
use the template `make serve` runs. nginx itself (`nginx -t`) checks the template as
`make serve` and the compose file fill it in.
"""

from __future__ import annotations

import importlib.util
import ipaddress
import re
import shlex
import subprocess
import tomllib
from pathlib import Path

import pytest

from tests.conftest import ROOT, missing

DEPLOY = ROOT / "deploy"
SECRET_VARIABLE = "STREAMLIT_SERVER_COOKIE_SECRET"
HEALTH_PATH = "/_stcore/health"
# Streamlit caps an upload request's body at server.maxUploadSize plus 1 MB of multipart
# framing (streamlit/web/server/starlette/starlette_routes.py); the proxies' limit is that.
MULTIPART_MARGIN_MB = 1


def _launcher():
    spec = importlib.util.spec_from_file_location("serve", DEPLOY / "serve.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _yaml():
    try:
        import yaml
    except ImportError:
        missing("PyYAML is not installed (pip install -r requirements-dev.txt)")
    return yaml


@pytest.fixture(scope="module")
def compose() -> dict:
    return _yaml().safe_load((DEPLOY / "compose.yaml").read_text())


@pytest.fixture(scope="module")
def manifests() -> dict[str, dict]:
    documents = list(_yaml().safe_load_all((DEPLOY / "kubernetes.yaml").read_text()))
    kinds = [document["kind"] for document in documents]
    assert sorted(kinds) == ["Deployment", "Ingress", "Secret", "Service"], kinds
    return {document["kind"]: document for document in documents}


def _dockerfile() -> list[tuple[str, str]]:
    """deploy/Dockerfile's instructions as (INSTRUCTION, arguments), continuations joined."""
    text = re.sub(r"\\\n", " ", (DEPLOY / "Dockerfile").read_text())
    lines = [line.strip() for line in text.splitlines()]
    return [
        (line.split(None, 1)[0].upper(), line.split(None, 1)[1])
        for line in lines
        if line and not line.startswith("#")
    ]


def _instruction(name: str) -> list[str]:
    return [arguments for instruction, arguments in _dockerfile() if instruction == name]


def _app_upload_limit_mb() -> int:
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    return config["server"]["maxUploadSize"]


def _template_body_limit() -> str:
    (limit,) = re.findall(r"^\s*client_max_body_size\s+(\S+);", _template(), re.M)
    return limit


def _template() -> str:
    return (DEPLOY / "nginx.conf").read_text()


# ------------------------------------------------------------------ the image
def test_the_image_serves_the_app_as_make_run_does_and_checks_its_health():
    assert _instruction("FROM") == ["python:3.11-slim"]
    (command,) = _instruction("CMD")
    argv = [part.strip('" ,') for part in command.strip("[]").split('",')]
    assert argv[:5] == ["python", "-m", "streamlit", "run", "app.py"], argv
    port = argv[argv.index("--server.port") + 1]
    assert _instruction("EXPOSE") == [port]
    (healthcheck,) = _instruction("HEALTHCHECK")
    assert f"http://127.0.0.1:{port}{HEALTH_PATH}" in healthcheck
    assert any("-r requirements.txt" in run for run in _instruction("RUN"))


def test_the_image_holds_everything_the_app_reads():
    copied = {shlex.split(arguments)[0] for arguments in _instruction("COPY")}
    # app.py, the packages it imports, its pages, images and Streamlit's configuration.
    needed = {"requirements.txt", "app.py", "normlib", "normapp", "pages", "assets"}
    needed.add(".streamlit/config.toml")
    assert needed <= copied, needed - copied


def test_the_image_gives_its_user_a_data_directory_for_the_class_quiz():
    (user,) = _instruction("USER")
    (environment,) = [e for e in _instruction("ENV") if "NORMAPP_DATA_DIR" in e]
    data_dir = environment.split("=", 1)[1]
    assert any(f"chown {user} {data_dir}" in run for run in _instruction("RUN"))
    assert _instruction("VOLUME") == [data_dir]


def test_no_file_passes_the_cookie_secret_as_a_flag():
    """`streamlit run --server.cookieSecret` is refused: the secret goes through the environment."""
    for path in [*DEPLOY.iterdir(), ROOT / "Makefile"]:
        if path.is_file():
            assert "cookieSecret" not in path.read_text(), path


# ------------------------------------------------------------------ compose
def test_compose_nginx_uses_the_template_make_serve_renders(compose):
    proxy = compose["services"]["proxy"]
    assert proxy["image"].startswith("nginx:")
    mounts = [volume.split(":") for volume in proxy["volumes"]]
    templates = [
        (DEPLOY / source).resolve()
        for source, target, *_ in mounts
        if target.startswith("/etc/nginx/templates/") and target.endswith(".template")
    ]
    assert templates == [_launcher().TEMPLATE.resolve()] == [(DEPLOY / "nginx.conf").resolve()]
    placeholders = set(re.findall(r"\$\{(NORMX_\w+)\}", _template()))
    assert placeholders == set(proxy["environment"]), "every placeholder set, nothing else"


def _replicas(compose) -> dict[str, dict]:
    return {name: s for name, s in compose["services"].items() if name.startswith("replica-")}


def test_compose_nginx_sends_each_replica_its_own_address_and_port(compose):
    """The upstream servers and the accepted cookie values are exactly the replicas."""
    proxy = compose["services"]["proxy"]
    replicas = _replicas(compose)
    assert len(replicas) >= 2
    (port,) = _instruction("EXPOSE")
    subnet = ipaddress.ip_network(compose["networks"]["replicas"]["ipam"]["config"][0]["subnet"])
    addresses = set()
    for name, replica in replicas.items():
        address = replica["networks"]["replicas"]["ipv4_address"]
        assert ipaddress.ip_address(address) in subnet, name
        assert replica["expose"] == [port], name
        assert replica["build"]["dockerfile"] == "deploy/Dockerfile"
        assert (DEPLOY / replica["build"]["context"] / replica["build"]["dockerfile"]).is_file()
        addresses.add(f"{address}:{port}")
    environment = proxy["environment"]
    servers = re.findall(r"server (\S+);", environment["NORMX_REPLICA_SERVERS"])
    routes = re.findall(r"(\S+) (\S+);", environment["NORMX_REPLICA_ROUTES"])
    assert sorted(servers) == sorted(addresses)
    assert all(cookie == upstream for cookie, upstream in routes), routes
    assert sorted(cookie for cookie, _ in routes) == sorted(addresses)
    # nginx listens inside its container on the port compose publishes.
    published = [mapping.split(":") for mapping in proxy["ports"]]
    assert [container for _, container in published] == [environment["NORMX_LISTEN"]]
    assert set(proxy["depends_on"]) == set(replicas), "nginx waits for every replica"


def test_compose_replicas_share_one_cookie_secret(compose):
    secrets = {
        name: replica["environment"][SECRET_VARIABLE]
        for name, replica in _replicas(compose).items()
    }
    assert len(set(secrets.values())) == 1, secrets
    # Taken from the starting shell, and required: no default a deployment could keep.
    assert re.fullmatch(r"\$\{" + SECRET_VARIABLE + r":\?.+\}", next(iter(secrets.values())))


def test_compose_replicas_share_one_class_quiz_database_that_compose_starts(compose):
    urls = {name: r["environment"]["NORMAPP_CLASS_DB"] for name, r in _replicas(compose).items()}
    assert len(set(urls.values())) == 1, urls
    url = next(iter(urls.values()))
    database = compose["services"]["postgres"]
    match = re.fullmatch(r"postgresql\+psycopg://(\w+):\$\{(\w+):\?.+\}@postgres:5432/(\w+)", url)
    assert match, url
    user, password_variable, name = match.groups()
    environment = database["environment"]
    assert (environment["POSTGRES_USER"], environment["POSTGRES_DB"]) == (user, name)
    assert environment["POSTGRES_PASSWORD"].startswith("${" + password_variable + ":?")
    assert "pg_isready" in database["healthcheck"]["test"]
    for replica in _replicas(compose).values():
        assert replica["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert set(database["networks"]) <= set(compose["networks"])


# ------------------------------------------------------------------ Kubernetes
def test_kubernetes_probes_hit_the_health_endpoint_on_the_app_port(manifests):
    pod = manifests["Deployment"]["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    ports = {port["name"]: port["containerPort"] for port in container["ports"]}
    (exposed,) = _instruction("EXPOSE")
    assert ports == {"http": int(exposed)}
    for probe in ("readinessProbe", "livenessProbe"):
        check = container[probe]["httpGet"]
        assert check["path"] == HEALTH_PATH, probe
        assert ports.get(check["port"], check["port"]) == int(exposed), probe


def test_kubernetes_replicas_read_the_cookie_secret_from_the_secret(manifests):
    (container,) = manifests["Deployment"]["spec"]["template"]["spec"]["containers"]
    (variable,) = [v for v in container["env"] if v["name"] == SECRET_VARIABLE]
    reference = variable["valueFrom"]["secretKeyRef"]
    secret = manifests["Secret"]
    assert reference["name"] == secret["metadata"]["name"]
    assert reference["key"] in secret["stringData"]
    assert "cookieSecret" not in str(container.get("args", [])) + str(container.get("command", []))


def test_kubernetes_replicas_read_the_class_quiz_database_from_the_secret(manifests):
    (container,) = manifests["Deployment"]["spec"]["template"]["spec"]["containers"]
    (variable,) = [v for v in container["env"] if v["name"] == "NORMAPP_CLASS_DB"]
    reference = variable["valueFrom"]["secretKeyRef"]
    assert reference["name"] == manifests["Secret"]["metadata"]["name"]
    assert manifests["Secret"]["stringData"][reference["key"]].startswith("postgresql+psycopg://")


def test_kubernetes_service_and_ingress_reach_the_pods(manifests):
    deployment, service = manifests["Deployment"], manifests["Service"]
    assert deployment["spec"]["replicas"] >= 2
    labels = deployment["spec"]["template"]["metadata"]["labels"]
    assert service["spec"]["selector"].items() <= labels.items()
    assert deployment["spec"]["selector"]["matchLabels"].items() <= labels.items()
    service_ports = {port["name"]: port for port in service["spec"]["ports"]}
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    container_ports = {port["name"] for port in container["ports"]}
    assert all(port["targetPort"] in container_ports for port in service_ports.values())
    backends = [
        path["backend"]["service"]
        for rule in manifests["Ingress"]["spec"]["rules"]
        for path in rule["http"]["paths"]
    ]
    assert backends, "the Ingress routes nothing"
    for backend in backends:
        assert backend["name"] == service["metadata"]["name"]
        assert backend["port"]["name"] in service_ports


def test_kubernetes_ingress_keeps_a_session_on_its_pod(manifests):
    annotations = manifests["Ingress"]["metadata"]["annotations"]
    prefix = "nginx.ingress.kubernetes.io/"
    assert annotations[prefix + "affinity"] == "cookie"
    assert annotations[prefix + "affinity-mode"] == "persistent"
    # A websocket that sits quiet through a lesson stays open (ingress-nginx's default: 60 s).
    for timeout in ("proxy-read-timeout", "proxy-send-timeout"):
        assert int(annotations[prefix + timeout]) >= 3600, timeout
    assert annotations[prefix + "proxy-body-size"] == _template_body_limit()


# ------------------------------------------------------------------ the nginx template
def test_upload_limits_match_the_app():
    """nginx never refuses an upload the app would take, nor lets through a bigger one."""
    expected = f"{_app_upload_limit_mb() + MULTIPART_MARGIN_MB}m"
    assert _template_body_limit() == expected


def test_the_template_keeps_websockets_open_and_affinity_by_cookie():
    template = _template()
    assert re.search(r"^\s*proxy_read_timeout\s+1d;", template, re.M)
    assert re.search(r"^\s*proxy_set_header\s+Upgrade\s+\$http_upgrade;", template, re.M)
    assert re.search(r"^\s*map \$cookie_normx_replica ", template, re.M)
    assert not re.search(r"^\s*(ip_hash|sticky)\b", template, re.M)


def _nginx_accepts(tmp_path: Path, values: dict[str, str]) -> None:
    launcher = _launcher()
    nginx = launcher.find_nginx()
    if nginx is None:
        missing("nginx is not installed (apt-get install -y nginx)")
    site = launcher.render_site(values)
    assert not re.search(r"\$\{NORMX_\w+\}", site), "a placeholder was left unfilled"
    (tmp_path / "temp").mkdir()
    (tmp_path / "normx-replicas.conf").write_text(site)
    (tmp_path / "nginx.conf").write_text(launcher.main_config(tmp_path))
    check = subprocess.run(
        [nginx, "-t", "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf")],
        capture_output=True,
        text=True,
    )
    assert check.returncode == 0, check.stderr


def test_nginx_accepts_the_template_as_make_serve_fills_it(tmp_path):
    values = _launcher().site_values("127.0.0.1:8501", ["127.0.0.1:8601", "127.0.0.1:8602"])
    _nginx_accepts(tmp_path, values)


def test_nginx_accepts_the_template_as_compose_fills_it(tmp_path, compose):
    _nginx_accepts(tmp_path, compose["services"]["proxy"]["environment"])


def test_make_serve_runs_the_launcher():
    makefile = (ROOT / "Makefile").read_text()
    recipe = re.search(r"^serve:.*\n((?:\t.*\n)+)", makefile, re.M)
    assert recipe, "no serve target"
    assert "deploy/serve.py --replicas $(REPLICAS) --port $(PORT)" in recipe[1]
    assert re.search(r"^REPLICAS \?= \$\(shell nproc", makefile, re.M)
