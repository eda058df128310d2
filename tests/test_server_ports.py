"""Servers the tests and benchmarks start get a port no other process can take first.

A CI run once lost a whole module of browser tests: eleven servers started side by side
on ports the kernel had picked (bind to port 0), and one of them exited with "Port ... is
not available" because something else had bound its port before it did.
"""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from benchmarks import classroom
from deploy.serve import free_port

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


def test_a_server_whose_port_was_taken_starts_again_on_another(tmp_path, monkeypatch):
    script = tmp_path / "plain.py"
    script.write_text(PLAIN_SCRIPT)
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", 0))
        squatter.listen()
        taken = squatter.getsockname()[1]
        ports = iter([taken, free_port()])
        monkeypatch.setattr(classroom, "free_port", lambda: next(ports))
        server = classroom.StreamlitServer(script, tmp_path / "server.log")
        try:
            server.wait_until_healthy(timeout_s=120)
            assert server.url != f"http://127.0.0.1:{taken}"
            log = server.log_tail(lines=200)
            assert f"Port {taken} is not available" in log
        finally:
            server.stop()


def test_a_server_that_cannot_start_says_why(tmp_path, monkeypatch):
    script = tmp_path / "plain.py"
    script.write_text(PLAIN_SCRIPT)
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", 0))
        squatter.listen()
        taken = squatter.getsockname()[1]
        monkeypatch.setattr(classroom, "free_port", lambda: taken)  # every attempt loses
        server = classroom.StreamlitServer(script, tmp_path / "server.log")
        try:
            with pytest.raises(RuntimeError, match=f"exited(.|\\n)*Port {taken} is not available"):
                server.wait_until_healthy(timeout_s=120)  # the message ends with the log's end
        finally:
            server.stop()
