"""Loaded by a server the tests start (PYTHONPATH): records and refuses any connection, datagram
or name lookup aimed off this machine, so a test can show that nothing leaves it.

Every attempt goes, one line each, to the file NORMAPP_OUTBOUND_LOG names, then raises OSError
as a closed network would. Loopback (127.0.0.0/8, ::1, localhost) and Unix sockets pass.
"""

import ipaddress
import os
import socket

_LOG = os.environ.get("NORMAPP_OUTBOUND_LOG", "")


def _is_local(host) -> bool:
    if not isinstance(host, str) or host in ("", "localhost") or host.endswith(".localhost"):
        return True
    try:
        address = ipaddress.ip_address(host.split("%")[0])
    except ValueError:
        return False
    return address.is_loopback or address.is_unspecified


def _refuse(kind: str, target) -> None:
    with open(_LOG, "a", encoding="utf-8") as log:
        log.write(f"{kind} {target!r}\n")
    raise OSError(f"outbound {kind} to {target!r} refused by the test's guard")


if _LOG:
    _connect, _connect_ex, _sendto = (
        socket.socket.connect,
        socket.socket.connect_ex,
        socket.socket.sendto,
    )
    _getaddrinfo = socket.getaddrinfo

    def connect(self, address):
        if self.family in (socket.AF_INET, socket.AF_INET6) and not _is_local(address[0]):
            _refuse("connect", address)
        return _connect(self, address)

    def connect_ex(self, address):
        if self.family in (socket.AF_INET, socket.AF_INET6) and not _is_local(address[0]):
            _refuse("connect_ex", address)
        return _connect_ex(self, address)

    def sendto(self, data, *args):
        address = args[-1]
        if self.family in (socket.AF_INET, socket.AF_INET6) and not _is_local(address[0]):
            _refuse("sendto", address)
        return _sendto(self, data, *args)

    def getaddrinfo(host, *args, **kwargs):
        if host is not None and not _is_local(host if isinstance(host, str) else host.decode()):
            _refuse("getaddrinfo", host)
        return _getaddrinfo(host, *args, **kwargs)

    socket.socket.connect = connect
    socket.socket.connect_ex = connect_ex
    socket.socket.sendto = sendto
    socket.getaddrinfo = getaddrinfo
