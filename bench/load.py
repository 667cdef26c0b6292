"""Load: concurrent logged-in users against the served stack (gunicorn, as `make serve` runs it).

    .venv/bin/python bench/load.py                                  # demo portfolio, 20 users, 30 s
    .venv/bin/python bench/load.py --users 20 --seconds 20 --keep   # keep the database for --reuse
    .venv/bin/python bench/load.py --clients 10000                  # bench/engine.py's portfolio
    .venv/bin/python bench/load.py --url http://127.0.0.1:8000/     # a running `make serve`

It creates its own PostgreSQL database (default clientprofit_bench_load, dropped first and at the
end unless --reuse / --keep; the name must contain "bench"), loads the demo portfolio into it
(seed_demo, recompute, demo_users) or, with --clients, bench/engine.py's synthetic portfolio shared
by the demo account managers, collects the static files and starts gunicorn on a free loopback port
with DEBUG=false LOCAL_HTTP=true and the Procfile's settings (config/gunicorn.py, --workers 2). Its
JSON log goes to bench/out/load-server.log. Then each of --users threads logs in as one demo user
(finance and account managers in turn, password demo-pass-2026) over plain HTTP (http.client); once
all are logged in, each requests, in turn and for --seconds, the dashboard, the ranking, the
profitability page of one of its clients and the payments page, as fast as answers come. It prints
the requests, throughput, p50 / p95 / p99 latency and errors per page and overall (the log-ins on
their own line), the gunicorn workers' CPU time per page (on a shared machine the latency is mostly
the wait for a core), and stops gunicorn. Only loopback addresses are ever requested.
"""

import argparse
import http.client
import http.cookies
import math
import os
import re
import secrets
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import engine as portfolio_build  # noqa: E402

LOOPBACK = {"127.0.0.1", "localhost", "::1"}
PASSWORD = "demo-pass-2026"
FINANCE_USERS = ["fiona"]
MANAGERS = ["alice", "bruno", "claire", "daan", "ioana"]
PAGES = ["dashboard", "ranking", "client profitability", "payments"]


# ---------------------------------------------------------------------------------------------
# The database and the server.


def manage(database_url, *args):
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(50),
    }
    env.pop("REDIS_URL", None)
    env["LOG_LEVEL"] = "WARNING"
    subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL
    )


def managers_share(url):
    """The demo users, and the demo account managers sharing the synthetic clients so that they see
    some."""
    import psycopg

    manage(url, "demo_users")
    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute(
            """UPDATE clients_client c SET account_manager_id = m.ids[1 + c.id %% array_length(m.ids, 1)]
            FROM (SELECT array_agg(id ORDER BY id) AS ids FROM auth_user WHERE username = ANY(%s)) m""",
            [MANAGERS],
        )


def database_prepare(args, url):
    """Migrate and load a portfolio when the database holds no client."""
    import psycopg

    manage(url, "migrate", "--noinput")
    with psycopg.connect(url) as connection:
        clients = connection.execute("SELECT count(*) FROM clients_client").fetchone()[0]
        users = connection.execute(
            "SELECT count(*) FROM auth_user WHERE username = ANY(%s)", [FINANCE_USERS]
        ).fetchone()[0]
    if clients and not users:
        # A portfolio of bench/engine.py's (kept by another benchmark) without the demo users.
        print(f"Adding the demo users to the {clients:,} clients of {args.database}.", flush=True)
        managers_share(url)
    if clients:
        return
    began = time.perf_counter()
    if args.clients:
        print(f"Building {args.clients:,} clients (bench/engine.py) in {args.database}:", flush=True)
        os.environ["DATABASE_URL"] = url
        os.environ.pop("REDIS_URL", None)
        import django

        django.setup()
        portfolio_build.build(args.clients)
        managers_share(url)
        portfolio_build.vacuum(url)
        # The synthetic ledger covers 2025.
        manage(url, "recompute", "--as-of", portfolio_build.AS_OF.isoformat())
    else:
        print(f"Loading the demo portfolio into {args.database}.", flush=True)
        manage(url, "seed_demo")
        manage(url, "recompute")
        manage(url, "demo_users")
    print(f"  ready in {time.perf_counter() - began:.1f} s", flush=True)


def clients_of(url):
    """The clients each demo user may open: all ranked ones for finance, their own for a manager."""
    import psycopg

    with psycopg.connect(url) as connection:
        everyone = [
            row[0]
            for row in connection.execute(
                """SELECT s.client_id FROM audits_clientsnapshot s
                WHERE s.as_of = (SELECT max(as_of) FROM audits_portfoliosnapshot) AND s.in_portfolio
                ORDER BY s.client_id LIMIT 500"""
            )
        ]
        owned = defaultdict(list)
        for username, pk in connection.execute(
            """SELECT u.username, c.id FROM clients_client c JOIN auth_user u ON u.id = c.account_manager_id
            WHERE u.username = ANY(%s) AND c.status <> 'prospect' ORDER BY c.id""",
            [MANAGERS],
        ):
            owned[username].append(pk)
    return {**dict.fromkeys(FINANCE_USERS, everyone), **owned}


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def server_start(url, port, workers, log_path):
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "DEBUG": "false",
        "LOCAL_HTTP": "true",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "LOG_FORMAT": "json",
    }
    env.pop("REDIS_URL", None)
    gunicorn = Path(sys.executable).with_name("gunicorn")
    log_path.parent.mkdir(parents=True, exist_ok=True)
    log = log_path.open("w")
    process = subprocess.Popen(
        [
            str(gunicorn),
            "config.wsgi",
            "--config",
            "config/gunicorn.py",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            "--no-control-socket",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            sys.exit(f"gunicorn stopped at start (exit {process.returncode}); see {log_path}")
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            connection.request("GET", "/accounts/login/")
            if connection.getresponse().status == 200:
                return process
        except OSError:
            pass
        time.sleep(0.3)
    server_stop(process)
    sys.exit(f"gunicorn did not answer within 60 s; see {log_path}")


def server_cpu_seconds(process):
    """User and system CPU time of gunicorn's workers so far (Linux /proc), or None elsewhere.

    On a shared machine latency mostly measures the wait for a core; the workers' CPU time per
    request is what the application itself costs."""
    try:
        children = Path(f"/proc/{process.pid}/task/{process.pid}/children").read_text().split()
        total = 0
        for pid in children:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime (clock ticks)
        return total / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None


def server_stop(process):
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


# ---------------------------------------------------------------------------------------------
# One user.


class Session:
    """A logged-in browser, roughly: cookies, and one HTTP connection that reopens when closed."""

    def __init__(self, host, port):
        self.host, self.port = host, port
        self.cookies = {}
        self.connection = http.client.HTTPConnection(host, port, timeout=60)

    def request(self, method, path, body=None):
        headers = {"Host": f"{self.host}:{self.port}", "User-Agent": "bench/load.py"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if body is not None:
            body = urllib.parse.urlencode(body)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            self.connection.request(method, path, body=body, headers=headers)
            response = self.connection.getresponse()
        except (http.client.HTTPException, OSError):
            self.connection.close()
            self.connection = http.client.HTTPConnection(self.host, self.port, timeout=60)
            raise
        content = response.read()
        for header in response.headers.get_all("Set-Cookie") or []:
            cookie = http.cookies.SimpleCookie(header)
            for name, morsel in cookie.items():
                self.cookies[name] = morsel.value
        if response.getheader("Connection", "").lower() == "close":
            self.connection.close()
        return response.status, response.getheader("Location", ""), content

    def login(self, username):
        status, _location, content = self.request("GET", "/accounts/login/")
        match = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', content)
        if status != 200 or not match:
            raise RuntimeError(f"login page answered {status}")
        status, location, _content = self.request(
            "POST",
            "/accounts/login/",
            {"username": username, "password": PASSWORD, "csrfmiddlewaretoken": match.group(1).decode()},
        )
        if status != 302 or "login" in location:
            raise RuntimeError(f"log-in of {username} refused ({status})")


def user_run(number, username, client_ids, target, start, results, lock):
    """Log in, wait until every user has, then request the pages in turn until the end."""
    session = Session(*target)
    began = time.perf_counter()
    try:
        session.login(username)
        ok = True
    except (RuntimeError, http.client.HTTPException, OSError) as exc:
        ok = False
        print(f"  user {number} ({username}): {exc}", flush=True)
    with lock:
        results["log-in"].append(((time.perf_counter() - began) * 1000, ok))
    start["logged_in"].wait()
    start["go"].wait()
    if not ok:
        return
    stop_at = start["stop_at"]
    paths = {
        "dashboard": lambda i: "/dashboard/",
        "ranking": lambda i: "/ranking/" if i % 2 else "/ranking/?sort=-net_profit",
        "client profitability": lambda i: (
            f"/clients/{client_ids[(number * 7 + i) % len(client_ids)]}/profitability/"
        ),
        "payments": lambda i: "/payments/",
    }
    turn = number  # users start on different pages
    while time.monotonic() < stop_at:
        page = PAGES[turn % len(PAGES)]
        path = paths[page](turn // len(PAGES))
        turn += 1
        began = time.perf_counter()
        try:
            status, _location, _content = session.request("GET", path)
            ok = status == 200
        except (http.client.HTTPException, OSError):
            ok = False
        elapsed = (time.perf_counter() - began) * 1000
        with lock:
            results[page].append((elapsed, ok))


# ---------------------------------------------------------------------------------------------
# Figures.


def percentile(ordered, share):
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)] if ordered else float("nan")


def report(results, seconds):
    rows = [(page, results[page]) for page in PAGES if results[page]]
    every = [sample for _page, samples in rows for sample in samples]
    width = max(len(page) for page in [*PAGES, "log-in", "all pages"])
    print(
        f"\n{'page':<{width}}  {'requests':>8}  {'req/s':>7}  {'p50':>8}  {'p95':>8}  {'p99':>8}  {'errors':>6}"
    )
    for page, samples in [*rows, ("all pages", every), ("log-in", results["log-in"])]:
        times = sorted(t for t, _ok in samples)
        errors = sum(1 for _t, ok in samples if not ok)
        rate = f"{len(samples) / seconds:>7.1f}" if page != "log-in" else f"{'':>7}"
        print(
            f"{page:<{width}}  {len(samples):>8}  {rate}  {percentile(times, 0.5):>6.0f}ms  "
            f"{percentile(times, 0.95):>6.0f}ms  {percentile(times, 0.99):>6.0f}ms  {errors:>6}"
        )
    return sum(1 for _t, ok in every if not ok)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    portfolio_build.database_arguments(parser, clients=0, database="clientprofit_bench_load")
    parser.add_argument("--users", type=int, default=20, help="concurrent logged-in users (threads)")
    parser.add_argument("--seconds", type=float, default=30, help="how long the users keep requesting")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (make serve: 2)")
    parser.add_argument(
        "--url",
        help="a running server on this machine instead; --database then names its database, only read "
        "for the demo users' clients",
    )
    args = parser.parse_args()
    if not 1 <= args.users <= 200 or not 1 <= args.seconds <= 600:
        sys.exit("Give 1 to 200 users and 1 to 600 seconds.")

    database_url = args.admin_url.rsplit("/", 1)[0] + "/" + args.database
    process = None
    if args.url:
        parsed = urllib.parse.urlsplit(args.url)
        if parsed.scheme != "http" or parsed.hostname not in LOOPBACK:
            sys.exit(f"Refusing {args.url!r}: only http:// on a loopback address (127.0.0.1, localhost).")
        target = (parsed.hostname, parsed.port or 80)
    else:
        if "bench" not in args.database:
            sys.exit(f"Refusing to use {args.database!r}: the benchmark database name must contain 'bench'.")
        if not args.reuse:
            portfolio_build.recreate_database(args.admin_url, args.database)
    try:
        if not args.url:
            database_prepare(args, database_url)
            manage(database_url, "collectstatic", "--noinput")
            port = free_port()
            log_path = ROOT / "bench" / "out" / "load-server.log"
            process = server_start(database_url, port, args.workers, log_path)
            target = ("127.0.0.1", port)
            print(
                f"gunicorn ({args.workers} workers, DEBUG=false) on http://127.0.0.1:{port}/, log {log_path}"
            )
        owned = clients_of(database_url)
        usernames = [name for name in [*FINANCE_USERS, *MANAGERS] if owned.get(name)]
        if not usernames:
            sys.exit("No demo user with clients to open: run seed_demo, recompute and demo_users first.")

        results = defaultdict(list)
        lock = threading.Lock()
        start = {"logged_in": threading.Barrier(args.users + 1), "go": threading.Event()}
        threads = [
            threading.Thread(
                target=user_run,
                args=(
                    n,
                    usernames[n % len(usernames)],
                    owned[usernames[n % len(usernames)]],
                    target,
                    start,
                    results,
                    lock,
                ),
                daemon=True,
            )
            for n in range(args.users)
        ]
        roles = defaultdict(int)
        for n in range(args.users):
            roles["finance" if usernames[n % len(usernames)] in FINANCE_USERS else "account manager"] += 1
        print(
            f"{args.users} users ({', '.join(f'{count} {role}' for role, count in roles.items())}) log in, "
            f"then request {', '.join(PAGES)} for {args.seconds:g} s.",
            flush=True,
        )
        began = time.monotonic()
        for thread in threads:
            thread.start()
        start["logged_in"].wait()
        print(f"  all logged in after {time.monotonic() - began:.1f} s", flush=True)
        began = time.monotonic()
        cpu_before = server_cpu_seconds(process) if process is not None else None
        start["stop_at"] = began + args.seconds
        start["go"].set()
        for thread in threads:
            thread.join(timeout=args.seconds + 120)
        elapsed = time.monotonic() - began
        cpu_after = server_cpu_seconds(process) if process is not None else None
        errors = report(results, elapsed)
        print(
            f"\n{elapsed:.1f} s measured after the log-ins (req/s over that time; the log-ins are timed on "
            "their own); an error is any answer other than 200."
        )
        if process is not None:
            lines = (ROOT / "bench" / "out" / "load-server.log").read_text().splitlines()
            requests = sum(1 for line in lines if '"logger": "clientprofit.request"' in line)
            print(f"server log: {len(lines)} lines, {requests} request lines")
            served = sum(len(results[page]) for page in PAGES)
            if cpu_before is not None and cpu_after is not None and served:
                print(
                    f"gunicorn workers' CPU: {cpu_after - cpu_before:.1f} s for {served} pages, "
                    f"{(cpu_after - cpu_before) * 1000 / served:.0f} ms a page"
                )
        return 1 if errors else 0
    finally:
        if process is not None:
            server_stop(process)
        if not args.url and not args.keep:
            portfolio_build.drop_database(args.admin_url, args.database)


if __name__ == "__main__":
    sys.exit(main())
