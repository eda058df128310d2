"""The address a room can open: links and QR codes for phones, not the lecturer's localhost.

A lecturer who opens the app as the README says (``http://localhost:8501``) gets pages whose
own URL names the loopback address, which no phone in the room can reach. A link shown to
the room (the class quiz's join link, "Share this view") is therefore rebased, in this order:

1. ``NORMAPP_PUBLIC_URL`` (e.g. ``https://normx.example.edu/explorer-app``): a proxy's or a
   cloud host's public address, used as given (its path is kept in front of the page's);
2. Streamlit's ``[browser] serverAddress`` (``STREAMLIT_BROWSER_SERVER_ADDRESS``) when it
   names a non-loopback host, with ``browser.serverPort``;
3. the page's own URL, when its host is not a loopback one (the lecturer opened the app at
   an address the room shares);
4. else this machine's network (IPv4) addresses, read from its interfaces with no traffic at
   all (an ioctl per interface), with the page's port: the first is used, all are listed;
5. else the loopback link stays, with a warning that phones cannot open it.

No module here sends anything anywhere: nothing leaves the machine (tests/test_room_link.py).
"""

from __future__ import annotations

import functools
import ipaddress
import os
import socket
import struct
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from urllib.parse import SplitResult, urlsplit, urlunsplit

PUBLIC_URL_ENV = "NORMAPP_PUBLIC_URL"
_SIOCGIFADDR = 0x8915  # Linux: an interface's IPv4 address


@dataclass(frozen=True)
class RoomLink:
    """A link for the room, and what the lecturer should know about it ("" when nothing)."""

    url: str
    note: str = ""
    warning: bool = False  # True: phones most likely cannot open `url`


def interface_addresses() -> list[str]:
    """This machine's IPv4 addresses, one per interface that has one (Linux; else [])."""
    if not sys.platform.startswith("linux"):
        return []
    import fcntl

    found = []
    for _, name in socket.if_nameindex():
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            try:
                packed = fcntl.ioctl(
                    probe.fileno(), _SIOCGIFADDR, struct.pack("256s", name[:15].encode())
                )
            except OSError:  # no IPv4 address on this interface
                continue
        found.append(socket.inet_ntoa(packed[20:24]))
    return found


def is_loopback(host: str | None) -> bool:
    """localhost, 127.0.0.0/8, ::1, or no host at all."""
    if not host or host.lower() in ("localhost", "localhost.localdomain"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return host.lower().endswith(".localhost")


def lan_addresses(addresses: Sequence[str]) -> list[str]:
    """The addresses a phone on the same network could reach: not loopback, not link-local."""
    lan = []
    for text in addresses:
        try:
            address = ipaddress.ip_address(text)
        except ValueError:
            continue
        if not (address.is_loopback or address.is_link_local or address.is_unspecified):
            lan.append(text)
    return lan


def _with_host(parts: SplitResult, host: str, port: int | None) -> str:
    netloc = host if port is None else f"{host}:{port}"
    return urlunsplit((parts.scheme or "http", netloc, parts.path, parts.query, ""))


def room_link(
    page_url: str,
    *,
    public_url: str | None = None,
    server_address: str = "",
    server_port: int | None = None,
    listen_address: str = "",
    interfaces: Callable[[], Sequence[str]] = interface_addresses,
) -> RoomLink:
    """`page_url` (a full link the app made from ``st.context.url``) as the room should get it.

    The keyword arguments are the deployment's settings (``room_link_here`` reads them):
    ``public_url`` is NORMAPP_PUBLIC_URL, ``server_address``/``server_port`` Streamlit's
    browser.serverAddress/serverPort, ``listen_address`` its server.address.
    """
    parts = urlsplit(page_url)
    if public_url is None:
        public_url = os.environ.get(PUBLIC_URL_ENV, "")
    public, bad = _public_link(parts, public_url.strip())
    if public is not None:
        return public
    if server_address and not is_loopback(server_address):
        return RoomLink(_with_host(parts, server_address, server_port), bad, bool(bad))
    if not is_loopback(parts.hostname):
        return RoomLink(page_url, bad, bool(bad))
    return _network_link(page_url, bad, listen_address, lan_addresses(interfaces()))


def _public_link(parts: SplitResult, public_url: str) -> tuple[RoomLink | None, str]:
    """The link at NORMAPP_PUBLIC_URL (`public_url`), or None and why it is not used ("" when
    it is not set)."""
    if not public_url:
        return None, ""
    public = urlsplit(public_url)
    if public.scheme in ("http", "https") and public.hostname:
        prefix = public.path.rstrip("/")
        url = urlunsplit((public.scheme, public.netloc, prefix + parts.path, parts.query, ""))
        return RoomLink(url), ""
    return None, (
        f"{PUBLIC_URL_ENV} is set but is not an http(s) address with a host "
        f"({public_url[:80]!r}), so it is not used. "
    )


def _network_link(page_url: str, bad: str, listen_address: str, lan: list[str]) -> RoomLink:
    """A loopback `page_url` at this machine's first network address in `lan`, if it has one
    and the server listens on it; `bad` is what the lecturer should know already."""
    parts = urlsplit(page_url)
    if lan and listen_address and is_loopback(listen_address):
        return RoomLink(
            page_url,
            bad + f"The server listens on {listen_address} only, so no other device can "
            f"reach it. Start it on all addresses (server.address unset), or set "
            f"{PUBLIC_URL_ENV} to the address the room can open.",
            True,
        )
    if lan:
        others = f" (this machine's other addresses: {', '.join(lan[1:])})" if lan[1:] else ""
        return RoomLink(
            _with_host(parts, lan[0], parts.port),
            bad + f"You opened the app at {parts.hostname}, which only this computer can "
            f"open, so this link uses the computer's network address {lan[0]}{others}. "
            "Phones must be on the same network; if the link does not open there, set "
            f"{PUBLIC_URL_ENV} to the address the room can reach (README: In a classroom).",
            bool(bad),
        )
    return RoomLink(
        page_url,
        bad + f"This link names {parts.hostname or 'this computer'}, which only this "
        "computer can open, and the app found no network address: phones cannot open it. "
        f"Serve the app on a network, or set {PUBLIC_URL_ENV} to an address the room can "
        "open.",
        True,
    )


def room_link_here(page_url: str) -> RoomLink:
    """room_link with this server's settings (Streamlit's config and the environment)."""
    import streamlit as st

    address = str(st.get_option("browser.serverAddress") or "")
    port = st.get_option("browser.serverPort")
    listen = str(st.get_option("server.address") or "")
    return room_link(
        page_url,
        server_address=address,
        server_port=int(port) if port else None,
        listen_address=listen,
    )


@functools.cache  # once per process: app.py calls it on every run
def keep_streamlit_offline() -> None:
    """Answer Streamlit's two address look-ups from the interfaces, so neither goes out.

    Streamlit finds "this machine's" addresses for its start-up banner and for checking a
    websocket's cross-site Origin: the internal one by routing a UDP socket towards 8.8.8.8,
    the external one by asking an outside web service. Both are cached in module globals; set
    here, they are never looked up. (The banner's look-up is also off by configuration:
    browser.serverAddress is set in .streamlit/config.toml.) normapp/server.py calls it, when
    app.py's server imports it, before the server starts.
    """
    from streamlit import net_util

    lan = lan_addresses(interface_addresses())
    net_util._internal_ip = lan[0] if lan else "127.0.0.1"
    net_util._external_ip = ""  # "" is cached: no look-up
