"""The local stand-in for ElastiCache Redis (live updates' pub/sub): fakeredis' TCP server on 127.0.0.1.

fakeredis speaks the Redis protocol over TCP (``TcpFakeServer``, PUBLISH / PSUBSCRIBE / PING and the rest), so the
publisher (the live Lambda, run by the local stream pump) and the subscriber (the Reflex backend, another process)
use the same redis-py clients as in AWS. It keeps nothing on disk: pub/sub has no state worth keeping. Its URL is
given to the processes as ``LIVE_REDIS_URL`` (never ``REDIS_URL`` / ``REFLEX_REDIS_URL``, which would switch
Reflex's state manager to Redis). ``stop()`` then ``start()`` on the same port plays a Redis restart (tests).
"""

from __future__ import annotations

import threading
from functools import partial

from fakeredis import TcpFakeServer

from backend.local.server import SHUTDOWN_POLL_SECONDS

HOST = "127.0.0.1"


class LocalRedis:
    def __init__(self, port: int = 0) -> None:
        self.port = port  # 0: the OS picks a free one at the first start, kept for restarts
        self._server: TcpFakeServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"redis://{HOST}:{self.port}/0"

    def start(self) -> None:
        server = TcpFakeServer((HOST, self.port))
        server.daemon_threads = True  # a client that never hangs up must not hold up stop()
        self.port = int(server.server_address[1])
        self._server = server
        self._thread = threading.Thread(
            target=partial(server.serve_forever, poll_interval=SHUTDOWN_POLL_SECONDS), name="local-redis", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        """Close the listening socket and every client connection (subscribers see the connection drop)."""
        server, self._server = self._server, None
        if server is None:
            return
        server.shutdown()  # the handlers' loops end on the server's shutdown event, closing their sockets
        server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
