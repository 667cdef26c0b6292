"""Say in one line which service the tests cannot reach, and how to start it."""

import os
import socket
import sys
from urllib.parse import urlparse

HOW = {
    "PostgreSQL": "pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start",
    "Redis": 'redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no',
}


def reachable(url, default_port):
    parts = urlparse(url)
    try:
        with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or default_port), timeout=3):
            return True
    except OSError:
        return False


def main():
    checks = [
        ("PostgreSQL", os.environ.get("DATABASE_URL", ""), 5432),
        ("Redis", os.environ.get("REDIS_URL", ""), 6379),
    ]
    for name, url, port in checks:
        if not reachable(url, port):
            print(
                f"{name} is not reachable at {url}: start it with `{HOW[name]}` or set the URL (see README)."
            )
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
