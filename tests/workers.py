"""Real Celery worker processes for the tests whose point is the queue."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from django.db import connection

BASE = Path(__file__).resolve().parent.parent


class Workers:
    """Starts real Celery workers (of ``app_module``) on a queue of the test's own, pointed at the test
    database; stops them with SIGTERM (a test may kill one itself)."""

    def __init__(self, tmp_path, *, app_module="config"):
        self.app_module = app_module
        redis_url = os.environ.get("REDIS_URL")
        assert redis_url, "REDIS_URL must point at Redis for the worker tests (make test sets it)."
        db = connection.settings_dict
        user = db["USER"] or "postgres"
        password = f":{db['PASSWORD']}" if db["PASSWORD"] else ""
        host, port = db["HOST"] or "127.0.0.1", db["PORT"] or 5432
        self.env = {
            **os.environ,
            "DATABASE_URL": f"postgres://{user}{password}@{host}:{port}/{db['NAME']}",
            "REDIS_URL": redis_url,
            "FAULT_PAUSE_FILE": str(tmp_path / "paused"),
        }
        self.tmp_path = tmp_path
        self.pause_file = tmp_path / "paused"
        self.processes = []

    def start(self, queue, *, pool="solo", **env):
        """A worker on ``queue``: in one process (``solo``), or ``prefork`` as `make serve` runs it (a
        main process and one child that runs the tasks)."""
        log = (self.tmp_path / f"worker-{len(self.processes)}.log").open("w")
        options = ["--pool=solo"] if pool == "solo" else [f"--pool={pool}", "--concurrency=1"]
        process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", self.app_module, "worker", *options]
            + ["--loglevel=INFO", "-Q", queue, "-n", f"{queue}-{len(self.processes)}@%h"]
            + ["--without-gossip", "--without-mingle", "--without-heartbeat"],
            cwd=BASE,
            env={**self.env, "FAULT_QUEUE": queue, **env},
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        self.processes.append((process, log))
        return process

    def logs(self):
        return "\n".join(path.read_text() for path in sorted(self.tmp_path.glob("worker-*.log")))

    def wait_for_pause(self, timeout=30):
        """The backend pid of the run that is now paused mid-way."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.pause_file.exists() and self.pause_file.read_text():
                return int(self.pause_file.read_text())
            time.sleep(0.1)
        raise AssertionError(f"no run paused within {timeout} s\n{self.logs()}")

    def stop(self):
        for process, log in self.processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
                try:
                    process.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
            log.close()
