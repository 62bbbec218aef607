"""Whether a server address accepts connections: asked before a Milvus server or a Ray cluster is
used, so an unreachable address is told in one line instead of a client's long retry."""

from __future__ import annotations

import socket

# Seconds to wait for an address to accept a connection.
CONNECT_TIMEOUT = 5.0


def connection_problem(host: str, port: int, timeout: float = CONNECT_TIMEOUT) -> str:
    """Why ``host:port`` accepts no TCP connection ("" when it does)."""
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return ""
    except OSError as error:
        return str(error.strerror or error)
