"""A throw-away OpenSSH server on 127.0.0.1, for the tests of DVC's SSH remote.

``local_ssh_server(workdir)`` generates an ed25519 host key and an ed25519 client key with
``ssh-keygen`` in ``workdir``, writes an ``sshd_config`` there (127.0.0.1 only, a free port,
public-key login only for the current user, SFTP served by ``internal-sftp``), starts
Debian's ``/usr/sbin/sshd -D -e -f <config>`` and waits until the port accepts connections.
It stops the server on exit. Nothing outside ``workdir`` is read or written, except
``/run/sshd``, sshd's privilege-separation directory, created if it is missing (sshd
refuses to start without it): the system's sshd configuration, its host keys and the
user's ``~/.ssh`` are left alone.

``known_hosts_path`` is a ``known_hosts`` file holding the server's host key under
``[127.0.0.1]:<port>``, for a client that checks host keys (OpenSSH's ``ssh``:
``-o UserKnownHostsFile=<it> -o StrictHostKeyChecking=yes``).

The server is required, not optional: without ``/usr/sbin/sshd`` ``SshServerError`` says
to run ``make ssh-tools`` (Debian's ``openssh-server``), which ``make test`` runs first.

Example (needs openssh-server)::

    with local_ssh_server(tmp_path / "sshd") as server:
        url = server.url(tmp_path / "store")  # ssh://root@127.0.0.1:40123/tmp/.../store
"""

from __future__ import annotations

import contextlib
import getpass
import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

SSHD = Path("/usr/sbin/sshd")
PRIVSEP_DIR = Path("/run/sshd")
HOST = "127.0.0.1"
INSTALL_HINT = (
    f"{SSHD} not found: the test of the private DVC remote needs OpenSSH's server. "
    "Run `make ssh-tools` (Debian package openssh-server; `make test` runs it first)."
)


class SshServerError(RuntimeError):
    """The throw-away SSH server could not be set up or did not start."""


@dataclass(frozen=True)
class SshServer:
    """A running throw-away sshd: where it listens, who may log in, with which key."""

    host: str
    port: int
    user: str
    key_path: Path
    known_hosts_path: Path
    log_path: Path

    def url(self, path: str | os.PathLike[str]) -> str:
        """The ``ssh://`` URL of an absolute path on this server (DVC's remote URL)."""
        path = Path(path)
        if not path.is_absolute():
            raise ValueError(f"url() needs an absolute path, got {str(path)!r}")
        return f"ssh://{self.user}@{self.host}:{self.port}{path.as_posix()}"

    def ssh_command(self, *command: str, known_hosts: Path | None = None) -> list[str]:
        """OpenSSH's ``ssh`` running ``command`` here, checking the host key strictly.

        The host key is checked against ``known_hosts`` (default: ``known_hosts_path``).
        """
        return [
            "ssh",
            "-F",
            "none",
            "-i",
            str(self.key_path),
            "-p",
            str(self.port),
            "-o",
            "IdentitiesOnly=yes",
            "-o",
            "BatchMode=yes",
            "-o",
            f"UserKnownHostsFile={known_hosts or self.known_hosts_path}",
            "-o",
            "GlobalKnownHostsFile=/dev/null",
            "-o",
            "StrictHostKeyChecking=yes",
            f"{self.user}@{self.host}",
            *command,
        ]

    def log(self) -> str:
        """What sshd wrote on its standard error so far (``-e``: its log)."""
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""


def free_port(host: str = HOST) -> int:
    """A TCP port of ``host`` free at the time of the call (the system's choice)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def _keygen(path: Path, comment: str) -> None:
    keygen = shutil.which("ssh-keygen")
    if keygen is None:
        raise SshServerError(f"ssh-keygen not found. {INSTALL_HINT}")
    done = subprocess.run(
        [keygen, "-q", "-t", "ed25519", "-N", "", "-C", comment, "-f", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise SshServerError(f"ssh-keygen failed for {path}: {done.stderr.strip()}")


def _config(workdir: Path, port: int, user: str, host_key: Path, authorized: Path) -> str:
    lines = [
        f"ListenAddress {HOST}",
        f"Port {port}",
        f"HostKey {host_key}",
        f"PidFile {workdir / 'sshd.pid'}",
        f"AuthorizedKeysFile {authorized}",
        f"AllowUsers {user}",
        "PubkeyAuthentication yes",
        "PasswordAuthentication no",
        "KbdInteractiveAuthentication no",
        "UsePAM no",
        "StrictModes no",
        f"PermitRootLogin {'prohibit-password' if os.geteuid() == 0 else 'no'}",
        "X11Forwarding no",
        "AllowTcpForwarding no",
        "AllowAgentForwarding no",
        "PrintMotd no",
        "Subsystem sftp internal-sftp",
    ]
    return "\n".join(lines) + "\n"


def _ensure_privsep_dir() -> None:
    # sshd chroots its unprivileged child there only when it runs as root.
    if os.geteuid() != 0 or PRIVSEP_DIR.is_dir():
        return
    try:
        PRIVSEP_DIR.mkdir(mode=0o755, parents=True)
    except OSError as error:
        raise SshServerError(
            f"sshd needs its privilege-separation directory {PRIVSEP_DIR}, which is missing "
            f"and could not be created ({error}); as root run: mkdir -m 755 {PRIVSEP_DIR}"
        ) from error


def _wait_for_port(process: subprocess.Popen, port: int, log: Path, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while True:
        if process.poll() is not None:
            raise SshServerError(
                f"sshd exited with code {process.returncode} before listening on "
                f"{HOST}:{port}. Its standard error:\n{_read(log)}"
            )
        if _answers_ssh(port) and process.poll() is None:
            return
        if time.monotonic() > deadline:
            raise SshServerError(
                f"sshd did not accept connections on {HOST}:{port} within {timeout:g} s. "
                f"Its standard error:\n{_read(log)}"
            )
        time.sleep(0.05)


def _answers_ssh(port: int) -> bool:
    """Whether an SSH server answers on the port (its banner), not merely something listening."""
    try:
        with socket.create_connection((HOST, port), timeout=0.5) as sock:
            sock.settimeout(2)
            return sock.recv(64).startswith(b"SSH-2.0-")
    except OSError:
        return False


def _read(path: Path) -> str:
    try:
        return path.read_text(errors="replace").strip() or "(empty)"
    except OSError:
        return "(no log)"


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


@contextlib.contextmanager
def local_ssh_server(
    workdir: str | os.PathLike[str], *, timeout: float = 15.0
) -> Iterator[SshServer]:
    """Run a throw-away sshd on 127.0.0.1 with keys and config in ``workdir``; stop it on exit."""
    if not SSHD.is_file():
        raise SshServerError(INSTALL_HINT)
    workdir = Path(workdir).resolve()
    workdir.mkdir(parents=True, exist_ok=True)
    user = getpass.getuser()
    host_key, client_key = workdir / "ssh_host_ed25519_key", workdir / "client_ed25519"
    _keygen(host_key, "impact-tank test host")
    _keygen(client_key, "impact-tank test client")
    authorized = workdir / "authorized_keys"
    authorized.write_text(client_key.with_name(client_key.name + ".pub").read_text())
    authorized.chmod(0o600)
    _ensure_privsep_dir()

    port = free_port()
    config = workdir / "sshd_config"
    config.write_text(_config(workdir, port, user, host_key, authorized))
    known_hosts = workdir / "known_hosts"
    host_public = host_key.with_name(host_key.name + ".pub").read_text().split()
    known_hosts.write_text(f"[{HOST}]:{port} {host_public[0]} {host_public[1]}\n")
    check = subprocess.run([str(SSHD), "-t", "-f", str(config)], capture_output=True, text=True)
    if check.returncode != 0:
        raise SshServerError(f"sshd refused its configuration {config}:\n{check.stderr.strip()}")

    log = workdir / "sshd.log"
    with log.open("wb") as stderr:
        process = subprocess.Popen(
            [str(SSHD), "-D", "-e", "-f", str(config)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=stderr,
            start_new_session=True,
        )
    try:
        _wait_for_port(process, port, log, timeout)
        yield SshServer(HOST, port, user, client_key, known_hosts, log)
    finally:
        _stop(process)
