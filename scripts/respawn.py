"""Run a command and start it again when a signal kills it (SIGKILL, the OOM killer): `make serve`'s
Celery worker, so that a killed worker comes back as a supervisor (systemd's Restart=) brings it back
in a real deployment, instead of honcho stopping the whole stack.

    python scripts/respawn.py celery -A config worker

An exit of its own (any code) ends this script with that code; SIGINT or SIGTERM is passed on to the
command and ends it. More than RESTARTS_MAX deaths within RESTARTS_WINDOW seconds end it too.
"""

import signal
import subprocess
import sys
import time

RESTARTS_MAX = 5
RESTARTS_WINDOW = 60


def main(command: list[str]) -> int:
    stopping = False
    process: subprocess.Popen | None = None

    def stop(number, frame):
        nonlocal stopping
        stopping = True
        if process is not None and process.poll() is None:
            process.send_signal(number)

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    deaths: list[float] = []
    while True:
        process = subprocess.Popen(command)
        code = process.wait()
        if stopping or code >= 0:
            return code if code >= 0 else 128 - code
        now = time.monotonic()
        deaths = [t for t in deaths if now - t < RESTARTS_WINDOW] + [now]
        name = signal.Signals(-code).name
        if len(deaths) > RESTARTS_MAX:
            print(
                f"respawn: {command[0]} killed by {name} {len(deaths)} times in a minute; giving up",
                flush=True,
            )
            return 128 - code
        print(f"respawn: {command[0]} killed by {name}; starting it again", flush=True)
        time.sleep(1)


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    sys.exit(main(sys.argv[1:]))
