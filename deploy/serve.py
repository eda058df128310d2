"""`make serve`: N replicas of the app behind nginx, with cookie session affinity.

Starts N `streamlit run app.py` processes (what `make run` serves), each on
its own loopback port, and the system's nginx in front of them on PORT, configured
from deploy/nginx.conf (the template the compose file uses too). Waits until the app
answers through nginx, then runs until Ctrl-C or SIGTERM, and stops everything.

nginx runs as this user: its config, pid file, logs and temp files all live in the run
directory (.serve/ by default, ignored by git), never in /etc, /var or /run.

All replicas share one cookie secret (STREAMLIT_SERVER_COOKIE_SECRET, generated for
this start when unset): Streamlit signs its XSRF cookie with it, and a browser that
got the cookie from one replica must be able to show it to another after a failover.
The secret goes through the environment: `streamlit run` refuses it as a flag.

Only the standard library: this runs with any Python 3.11, venv or not.
"""

from __future__ import annotations

import argparse
import os
import random
import secrets
import shutil
import signal
import socket
import string
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = ROOT / "deploy" / "nginx.conf"
NGINX_CANDIDATES = ("/usr/sbin/nginx", "/usr/local/sbin/nginx", "/usr/local/nginx/sbin/nginx")
COOKIE_SECRET_VARIABLE = "STREAMLIT_SERVER_COOKIE_SECRET"
HEALTH_PATH = "/_stcore/health"

# The process-wide part of nginx's configuration: everything that would otherwise point at
# root's paths (/run/nginx.pid, /var/log/nginx, /var/lib/nginx) points into the run directory.
MAIN_CONFIG = """\
daemon off;
pid {run}/nginx.pid;
error_log {run}/nginx-error.log warn;
worker_processes auto;

events {{
    worker_connections 1024;
}}

http {{
    log_format normx_replicas '$remote_addr [$time_local] "$request" $status '
        'replica=$upstream_addr cookie=$cookie_normx_replica';
    access_log {run}/nginx-access.log normx_replicas;
    client_body_temp_path {run}/temp/client_body;
    proxy_temp_path {run}/temp/proxy;
    fastcgi_temp_path {run}/temp/fastcgi;
    uwsgi_temp_path {run}/temp/uwsgi;
    scgi_temp_path {run}/temp/scgi;
    include {run}/normx-replicas.conf;
}}
"""


def find_nginx() -> str | None:
    """nginx from PATH or from where distributions put it (/usr/sbin is not on every PATH)."""
    found = shutil.which("nginx")
    if found:
        return found
    return next((path for path in NGINX_CANDIDATES if os.access(path, os.X_OK)), None)


# Ports this process has handed out: two servers started side by side never get the same.
_HANDED_OUT: set[int] = set()
_LOWEST_PORT = 10_000  # below it lie the ports services are configured on


def _outgoing_ports_start() -> int:
    """Where the kernel's ports for outgoing connections begin (Linux; 32768 elsewhere)."""
    try:
        return int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768


def _bindable(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def free_port() -> int:
    """A free loopback port for a server we are about to start, below the outgoing range.

    A port the kernel hands out (bind to port 0) lies in the range it also gives every
    outgoing connection its local port from: between the pick and the server's own bind,
    a health poll or a browser's connection can take it, and Streamlit then exits with
    "Port ... is not available" (a CI run lost a test module's servers that way). Below
    that range only another listener can take a port, and this process hands each out once.
    """
    top = _outgoing_ports_start()
    if top - _LOWEST_PORT < 1000:  # an unusual range: the kernel's own pick is all there is
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            return sock.getsockname()[1]
    pick = random.SystemRandom()
    for _ in range(10_000):
        port = pick.randrange(_LOWEST_PORT, top)
        if port not in _HANDED_OUT and _bindable(port):
            _HANDED_OUT.add(port)
            return port
    raise RuntimeError(f"no free loopback port between {_LOWEST_PORT} and {top}")


def site_values(listen: str, replica_addresses: list[str]) -> dict[str, str]:
    """The template's placeholders for nginx on `listen` in front of `replica_addresses`."""
    return {
        "NORMX_LISTEN": listen,
        "NORMX_REPLICA_SERVERS": " ".join(f"server {a};" for a in replica_addresses),
        "NORMX_REPLICA_ROUTES": " ".join(f"{a} {a};" for a in replica_addresses),
    }


def render_site(values: dict[str, str]) -> str:
    """deploy/nginx.conf with its ${NORMX_...} placeholders filled, as the nginx image does.

    safe_substitute leaves nginx's own $variables (lower case) as they are.
    """
    return string.Template(TEMPLATE.read_text()).safe_substitute(values)


def main_config(run_dir: Path) -> str:
    """nginx.conf for `run_dir`, including the rendered template (normx-replicas.conf)."""
    return MAIN_CONFIG.format(run=run_dir)


def healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(url + HEALTH_PATH, timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


class Replicas:
    """The replicas and nginx as child processes; `stop` ends all of them."""

    def __init__(self, count: int, port: int, address: str, run_dir: Path):
        self.run_dir = run_dir.resolve()
        (self.run_dir / "temp").mkdir(parents=True, exist_ok=True)
        self.replica_addresses = [f"127.0.0.1:{free_port()}" for _ in range(count)]
        self.url = f"http://{'127.0.0.1' if address in ('', '0.0.0.0') else address}:{port}"
        self.processes: list[tuple[str, subprocess.Popen]] = []
        self._logs: list = []
        self._listen = f"{address}:{port}" if address else str(port)

    def _spawn(self, name: str, command: list[str], env: dict[str, str] | None = None) -> None:
        log = open(self.run_dir / f"{name}.log", "w")  # noqa: SIM115 (closed in stop)
        self._logs.append(log)
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        self.processes.append((name, process))

    def start(self, nginx: str) -> None:
        env = dict(os.environ)
        env.setdefault(COOKIE_SECRET_VARIABLE, secrets.token_urlsafe(32))
        for number, replica in enumerate(self.replica_addresses, start=1):
            host, port = replica.rsplit(":", 1)
            self._spawn(
                f"replica-{number}",
                [
                    sys.executable,
                    "-m",
                    "streamlit",
                    "run",
                    "app.py",
                    "--server.port",
                    port,
                    "--server.address",
                    host,
                    "--server.headless",
                    "true",
                ],
                env,
            )
        (self.run_dir / "normx-replicas.conf").write_text(
            render_site(site_values(self._listen, self.replica_addresses))
        )
        config = self.run_dir / "nginx.conf"
        config.write_text(main_config(self.run_dir))
        self._spawn("nginx", [nginx, "-p", str(self.run_dir), "-c", str(config)])

    @property
    def nginx(self) -> subprocess.Popen:
        return self.processes[-1][1]

    def wait_until_healthy(self, timeout_s: float = 180) -> None:
        """Wait until every replica, and the app through nginx, answer /_stcore/health."""
        deadline = time.monotonic() + timeout_s
        urls = [f"http://{a}" for a in self.replica_addresses] + [self.url]
        while urls:
            for name, process in self.processes:
                if process.poll() is not None:
                    raise RuntimeError(f"{name} exited early; see {self.run_dir / name}.log")
            if time.monotonic() > deadline:
                raise RuntimeError(f"no answer from {urls[0]} in {timeout_s:.0f} s")
            if healthy(urls[0]):
                urls.pop(0)
            else:
                time.sleep(0.3)  # polling a server that is still importing

    def stop(self) -> None:
        for _, process in self.processes:
            if process.poll() is None:
                process.terminate()  # nginx: fast shutdown; streamlit: clean exit
        for _, process in self.processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        for log in self._logs:
            log.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replicas", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--port", type=int, default=8501)
    parser.add_argument(
        "--address", default="", help="address nginx listens on (default: every interface)"
    )
    parser.add_argument("--run-dir", type=Path, default=ROOT / ".serve")
    args = parser.parse_args(argv)
    if args.replicas < 1:
        parser.error(f"--replicas must be at least 1, not {args.replicas}")
    nginx = find_nginx()
    if nginx is None:
        print("nginx is not installed (Debian/Ubuntu: apt-get install nginx)", file=sys.stderr)
        return 1

    replicas = Replicas(args.replicas, args.port, args.address, args.run_dir)

    def stop_on_signal(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop_on_signal)
    try:
        replicas.start(nginx)
        replicas.wait_until_healthy()
        print(
            f"{args.replicas} replica(s) of the app behind nginx: {replicas.url} "
            f"(logs in {replicas.run_dir}; Ctrl-C stops)",
            flush=True,
        )
        # A replica that dies takes only its own sessions: nginx sends its browsers to the
        # others. Without nginx nothing is served, so that ends the set.
        reported: set[str] = set()
        while replicas.nginx.poll() is None:
            for name, process in replicas.processes:
                if process.poll() is not None and name not in reported:
                    reported.add(name)
                    print(f"{name} exited; see {replicas.run_dir / name}.log", file=sys.stderr)
            time.sleep(1)
        print(f"nginx exited; see {replicas.run_dir / 'nginx-error.log'}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 0
    except RuntimeError as error:
        print(error, file=sys.stderr)
        return 1
    finally:
        # A second Ctrl-C (or a SIGTERM sent to the whole group) must not cut the stopping short.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        replicas.stop()


if __name__ == "__main__":
    sys.exit(main())
