"""Run the real app (``python app.py``, gevent) in a child process on a free loopback port."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from forum import PROJECT_ROOT

START_TIMEOUT = 30.0


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class LiveServer:
    """A server process bound to 127.0.0.1; ``start`` waits for /healthz, ``stop`` ends it for good.

    ``root`` runs the ``app.py`` of another checkout of the project (benchmarks compare two trees).
    """

    def __init__(
        self,
        database_url: str,
        workdir: Path,
        *,
        port: int | None = None,
        root: Path | None = None,
        **env: str,
    ) -> None:
        self.root = root or PROJECT_ROOT
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = workdir / f"server-{self.port}.log"
        self.env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("FORUM_")},
            "FORUM_DATABASE_URL": database_url,
            "FORUM_PORT": str(self.port),
            "FORUM_SECRET_KEY": "e2e-secret",
            "FORUM_INSTANCE_PATH": str(workdir / "instance"),
            **env,
        }
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> LiveServer:
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            [sys.executable, "app.py"], cwd=self.root, env=self.env, stdout=log, stderr=subprocess.STDOUT
        )
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the server exited early; see {self.log_path}:\n{self.log()}")
            try:
                with urllib.request.urlopen(self.url + "/healthz", timeout=1) as response:
                    if response.status == 200:
                        return self
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"the server did not answer within {START_TIMEOUT}s:\n{self.log()}")

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-4000:] if self.log_path.exists() else ""
