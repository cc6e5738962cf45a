"""Debian's redis-server as a TLS-only, password-protected primary and replica, for tests/live.

The test makes its own certificate authority and server certificate with openssl; the
servers listen on TLS only (`--port 0`), replicate over TLS, and require the password, as
ElastiCache with in-transit encryption and AUTH does.
"""

import contextlib
import signal
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import redis

from testbed.net import free_port, wait_until

LOOPBACK = "127.0.0.1"


@dataclass(frozen=True)
class Certificates:
    ca: Path
    cert: Path
    key: Path


def make_certificates(openssl: str, directory: Path) -> Certificates:
    """A throwaway CA and a server certificate for 127.0.0.1 signed by it (valid one day)."""
    directory.mkdir(parents=True, exist_ok=True)
    ca, ca_key = directory / "ca.crt", directory / "ca.key"
    cert, key, request = (
        directory / "server.crt",
        directory / "server.key",
        directory / "server.csr",
    )
    extensions = directory / "server.ext"
    # Clients check the address against the subject alternative name, not the common name.
    extensions.write_text(f"subjectAltName=IP:{LOOPBACK}\n")
    new_key = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    one_day = ["-days", 1]
    sign = ["-CA", ca, "-CAkey", ca_key, "-CAcreateserial", "-extfile", extensions, *one_day]
    for command in (
        ["req", "-x509", *new_key, *one_day, "-keyout", ca_key, "-out", ca, "-subj", "/CN=test CA"],
        ["req", *new_key, "-keyout", key, "-out", request, "-subj", f"/CN={LOOPBACK}"],
        ["x509", "-req", "-in", request, *sign, "-out", cert],
    ):
        subprocess.run([openssl, *map(str, command)], check=True, capture_output=True)
    return Certificates(ca=ca, cert=cert, key=key)


class TlsRedis:
    """One redis-server on a free loopback TLS port; a replica when `primary` is given."""

    def __init__(
        self,
        binary: str,
        certificates: Certificates,
        password: str,
        data_dir: Path,
        primary: "TlsRedis | None" = None,
    ) -> None:
        self.binary = binary
        self.certificates = certificates
        self.password = password
        self.data_dir = data_dir
        self.primary = primary
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def address(self) -> str:
        return f"rediss://{LOOPBACK}:{self.port}"

    def args(self) -> list[str]:
        certificates = self.certificates
        args = [self.binary, "--bind", LOOPBACK, "--port", "0", "--tls-port", str(self.port)]
        args += ["--tls-cert-file", str(certificates.cert), "--tls-key-file", str(certificates.key)]
        args += ["--tls-ca-cert-file", str(certificates.ca), "--tls-auth-clients", "no"]
        args += ["--tls-replication", "yes", "--requirepass", self.password]
        args += ["--masterauth", self.password, "--save", "", "--appendonly", "no"]
        args += ["--dir", str(self.data_dir), "--logfile", str(self.data_dir / "redis.log")]
        if self.primary is not None:
            args += ["--replicaof", LOOPBACK, str(self.primary.port)]
        return args

    def client(self) -> "redis.Redis[str]":
        return redis.Redis(
            host=LOOPBACK,
            port=self.port,
            password=self.password,
            ssl=True,
            ssl_ca_certs=str(self.certificates.ca),
            socket_timeout=1,
            decode_responses=True,
        )

    def replication(self) -> dict[str, object]:
        """INFO replication, or {} while the server does not answer."""
        try:
            with self.client() as client:
                return dict(client.info("replication"))
        except (redis.RedisError, OSError):
            return {}

    def start(self) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.process = subprocess.Popen(self.args(), stdout=subprocess.DEVNULL)
        wait_until(lambda: bool(self.replication()), 10, f"redis over TLS on port {self.port}")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            self.process.wait(timeout=10)
        self.process = None


def replica_online(primary: TlsRedis, replica: TlsRedis) -> bool:
    """Both sides agree the replica is attached and has finished its sync."""
    attached = primary.replication().get("slave0")
    online = isinstance(attached, dict) and attached.get("state") == "online"
    return online and replica.replication().get("master_link_status") == "up"


@contextlib.contextmanager
def primary_and_replica(
    binary: str, certificates: Certificates, password: str, work_dir: Path
) -> Iterator[tuple[TlsRedis, TlsRedis]]:
    """A primary and its replica, replicating over TLS; both stopped when the block ends."""
    primary = TlsRedis(binary, certificates, password, work_dir / "primary")
    replica = TlsRedis(binary, certificates, password, work_dir / "replica", primary=primary)
    try:
        primary.start()
        replica.start()
        wait_until(lambda: replica_online(primary, replica), 15, "replica in sync over TLS")
        yield primary, replica
    finally:
        replica.stop()
        primary.stop()
