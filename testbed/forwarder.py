"""A TCP forwarder on a loopback port that plays a DNS name, for failover tests.

Like ElastiCache's primary endpoint after a failover, it sends new connections to the current
target and leaves those already open where they are: `point_at(port)` is the DNS change. Two
threads per connection copy bytes until either side closes.
"""

import contextlib
import socket
import threading
from collections.abc import Iterator

CHUNK = 65536


def _pump(source: socket.socket, sink: socket.socket) -> None:
    with contextlib.suppress(OSError):
        while data := source.recv(CHUNK):
            sink.sendall(data)
    with contextlib.suppress(OSError):
        sink.shutdown(socket.SHUT_WR)  # pass the end of the stream on


class Forwarder:
    def __init__(self, target_port: int) -> None:
        self._target_port = target_port
        self._lock = threading.Lock()
        self._sockets: list[socket.socket] = []
        self._threads: list[threading.Thread] = []
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port: int = self._listener.getsockname()[1]
        self.url = f"redis://127.0.0.1:{self.port}"
        self._accepting = threading.Thread(target=self._accept, daemon=True)
        self._accepting.start()

    def point_at(self, port: int) -> None:
        """New connections go to `port` from now on; open ones stay where they are."""
        with self._lock:
            self._target_port = port

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return  # closed
            with self._lock:
                target_port = self._target_port
            try:
                upstream = socket.create_connection(("127.0.0.1", target_port), timeout=2)
            except OSError:
                client.close()  # the client sees the connection closed, as a dead node does
                continue
            upstream.settimeout(None)
            with self._lock:
                self._sockets += [client, upstream]
                thread = threading.Thread(target=self._serve, args=(client, upstream), daemon=True)
                self._threads.append(thread)
            thread.start()

    def _serve(self, client: socket.socket, upstream: socket.socket) -> None:
        replies = threading.Thread(target=_pump, args=(upstream, client), daemon=True)
        replies.start()
        _pump(client, upstream)
        replies.join()
        with self._lock:
            for sock in (client, upstream):
                self._sockets.remove(sock)
                sock.close()

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self._listener.shutdown(socket.SHUT_RDWR)  # wakes the blocked accept() (Linux)
        self._listener.close()
        self._accepting.join(timeout=5)
        with self._lock:
            for sock in self._sockets:  # ends the pumps; each connection's thread closes its pair
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
            threads = list(self._threads)
        for thread in threads:
            thread.join(timeout=5)


@contextlib.contextmanager
def forwarder(target_port: int) -> Iterator[Forwarder]:
    running = Forwarder(target_port)
    try:
        yield running
    finally:
        running.close()
