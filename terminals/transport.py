"""Socket options for the MQTT connections of terminals and server."""

from __future__ import annotations

import socket
from typing import Any


def disable_nagle(client: Any, userdata: Any, sock: Any) -> None:
    """paho's `on_socket_open`: send each small packet at once.

    A stamp, its PUBACK and the server's ack are each a few hundred bytes; with
    Nagle's algorithm a second small packet waits for the TCP ack of the first,
    which the peer may delay by up to 40 ms. paho leaves Nagle on.
    """
    if isinstance(sock, socket.socket) and sock.family in (socket.AF_INET, socket.AF_INET6):
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
