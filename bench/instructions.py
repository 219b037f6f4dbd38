"""CPU instructions the Flask process spends per request on one page, counted by valgrind's
callgrind: the same figure on every run, however busy or slow the (shared) machine is, so a
change to the Python side can be compared before/after where wall-clock times drift by ±30%.
The database server's work is not counted (another process).

    .venv/bin/python bench/instructions.py emp /werkgevers/1
    .venv/bin/python bench/instructions.py pipe /pijplijn --email coordinator@demo.werkgeverscrm.nl
    .venv/bin/python bench/instructions.py emp /werkgevers/1 --root /tmp/old-checkout   # other code

``emp`` is the employer bench database (``employers_bench.py seed``), ``pipe`` the pipeline one
(``pipeline_bench.py seed``), ``national`` the load benchmark's (``CRM_BENCH_DATABASE_URL=...
bench_national employers_bench.py seed``). Needs Debian's valgrind. The app starts, signs in and warms up
uninstrumented; only the timed requests are counted (``callgrind_control -i on/off``).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

DATABASES = {
    "emp": "postgresql+psycopg://postgres@127.0.0.1:5432/test_ha_bench",
    "pipe": "postgresql+psycopg://postgres@127.0.0.1:5432/test_hh_bench",
    "national": "postgresql+psycopg://postgres@127.0.0.1:5432/bench_national",  # bench/load.py's
}


def child(args) -> None:
    """Runs under valgrind: warm up, say ready, run the requests when told, say done."""
    sys.path.insert(0, str(Path(args.root) / "bench"))
    sys.path.insert(0, args.root)
    from employers_bench import sign_in
    from harness import make_app

    client = sign_in(make_app(DATABASES[args.database]), args.email)
    for _ in range(3):
        client.get(args.path).get_data()
    signals = Path(args.signals)
    (signals / "ready").write_text(str(os.getpid()))
    while not (signals / "go").exists():
        time.sleep(0.05)
    for _ in range(args.requests):
        response = client.get(args.path)
        response.get_data()
    (signals / "done").write_text(str(response.status_code))


def wait_for(path: Path, process: subprocess.Popen) -> None:
    while not path.exists():
        if process.poll() is not None:
            raise SystemExit(f"the app under valgrind stopped (exit {process.returncode})")
        time.sleep(0.2)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("database", choices=DATABASES)
    parser.add_argument("path")
    parser.add_argument("--email", default="accountmanager@demo.werkgeverscrm.nl")
    parser.add_argument("--requests", type=int, default=10)
    parser.add_argument("--root", default=str(Path(__file__).resolve().parent.parent), help="the checkout to run")
    parser.add_argument("--signals", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.signals:
        child(args)
        return
    with tempfile.TemporaryDirectory() as tmp:
        signals = Path(tmp)
        out = signals / "callgrind.out"
        command = [
            "valgrind", "--tool=callgrind", "--instr-atstart=no", f"--callgrind-out-file={out}",
            sys.executable, __file__, *sys.argv[1:], "--signals", tmp,
        ]  # fmt: skip
        with open(signals / "log", "w") as log:
            process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
            wait_for(signals / "ready", process)
            pid = (signals / "ready").read_text()
            subprocess.run(["callgrind_control", "-i", "on", pid], check=True, capture_output=True)
            (signals / "go").touch()
            wait_for(signals / "done", process)
            subprocess.run(["callgrind_control", "-i", "off", pid], check=True, capture_output=True)
            process.wait()
        status = (signals / "done").read_text()
        totals = [line.split()[1] for line in out.read_text().splitlines() if line.startswith(("summary:", "totals:"))]
    per_request = int(totals[-1]) / args.requests / 1e6
    print(f"{args.path} (HTTP {status}, {args.root}): {per_request:.2f} M instructions per request")


if __name__ == "__main__":
    main()
