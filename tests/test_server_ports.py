"""Ports: the servers `make serve` starts (deploy/serve.py) and those the tests start.

A CI run once lost a whole module of browser tests: eleven servers started side by side
on ports the kernel had picked (bind to port 0), and one of them did not start, most
likely with "Port ... is not available": such a port lies where any outgoing connection
can take it before the server binds it.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from deploy.serve import free_port
from tests.support import classroom

PLAIN_SCRIPT = "import streamlit as st\nst.write('started')\n"


def _outgoing_range() -> tuple[int, int]:
    low, high = Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()
    return int(low), int(high)


def test_free_ports_lie_below_the_outgoing_range_and_are_never_handed_out_twice():
    low, _ = _outgoing_range()
    ports = [free_port() for _ in range(300)]
    assert len(set(ports)) == len(ports)
    assert all(10_000 <= port < low for port in ports)
    for port in ports[:20]:  # each is free to listen on
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", port))


@pytest.fixture
def plain_script(tmp_path) -> Path:
    script = tmp_path / "plain.py"
    script.write_text(PLAIN_SCRIPT)
    return script


@pytest.fixture
def taken_port() -> Iterator[int]:
    """A loopback port another socket listens on for the whole test."""
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", 0))
        squatter.listen()
        yield squatter.getsockname()[1]


@pytest.mark.server
def test_a_server_whose_port_was_taken_starts_again_on_another(
    plain_script, taken_port, tmp_path, monkeypatch
):
    ports = iter([taken_port, free_port()])
    monkeypatch.setattr(classroom, "free_port", lambda: next(ports))
    server = classroom.StreamlitServer(plain_script, tmp_path / "server.log")
    try:
        server.wait_until_healthy(timeout_s=120)
        assert server.url != f"http://127.0.0.1:{taken_port}"
        assert f"Port {taken_port} is not available" in server.log_tail(lines=200)
    finally:
        server.stop()


@pytest.mark.server
def test_a_server_that_cannot_start_says_why(plain_script, taken_port, tmp_path, monkeypatch):
    monkeypatch.setattr(classroom, "free_port", lambda: taken_port)  # every attempt loses
    server = classroom.StreamlitServer(plain_script, tmp_path / "server.log")
    try:
        with pytest.raises(RuntimeError, match=f"exited(.|\\n)*Port {taken_port} is not available"):
            server.wait_until_healthy(timeout_s=120)  # the message ends with the log's end
    finally:
        server.stop()


def test_the_servers_the_tests_start_read_the_projects_config():
    # A server reads .streamlit/config.toml from its working directory: moved into
    # tests/support/, the simulated class's default once pointed at tests/, and every server
    # the tests started ran without the app's settings (a learner saw a traceback).
    assert (classroom.ROOT / ".streamlit" / "config.toml").is_file()
    assert (classroom.ROOT / "app.py").is_file()
