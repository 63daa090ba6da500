"""Start the real service in a subprocess (for end-to-end and crash tests)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def banques_cli(
    *args: str, env: dict[str, str], timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "banques.cli", *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=True,
    )


def service_env(database_url: str, **extra: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("BANQUES_") and k != "DATABASE_URL"
    }
    env |= {
        "BANQUES_DATABASE_URL": database_url,
        "BANQUES_ENVIRONMENT": "test",
        "BANQUES_LOG_LEVEL": "WARNING",
        "PYTHONPATH": str(ROOT),
    }
    return env | extra


@dataclass
class Server:
    process: subprocess.Popen[bytes]
    base_url: str

    def kill(self) -> None:
        """SIGKILL: no graceful shutdown, as in a crash."""
        self.process.kill()
        self.process.wait(timeout=10)


def wait_healthy(
    base_url: str, process: subprocess.Popen[bytes], timeout: float
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}")
        try:
            if httpx.get(f"{base_url}/health", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise TimeoutError(f"{base_url} not healthy after {timeout} s")


@contextmanager
def running_server(
    env: dict[str, str], *, extra_args: Sequence[str] = (), timeout: float = 60
) -> Iterator[Server]:
    port = free_port()
    process = spawn_server(env, port=port, extra_args=extra_args)
    server = Server(process, f"http://127.0.0.1:{port}")
    try:
        wait_healthy(server.base_url, process, timeout)
        yield server
    finally:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()


def spawn_server(
    env: dict[str, str], *, port: int, extra_args: Sequence[str] = ()
) -> subprocess.Popen[bytes]:
    """Start ``banques serve`` in its own process group (uvicorn workers are its
    children), so that :func:`kill_group` can crash all of them at once."""
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "banques.cli",
            "serve",
            "--port",
            str(port),
            *extra_args,
        ],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


def kill_group(process: subprocess.Popen[bytes]) -> None:
    """SIGKILL the server's whole process group (a crash), then reap it."""
    with suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=10)
