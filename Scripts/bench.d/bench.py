"""jetstream-tail against its peers, on loopback, with the output of every run checked.

Run through Scripts/bench, which sets up the machine first. See docs/performance.md.

For every round, mode (ws, wss, zstd: wss with compress=true) and client, in that nesting, with
the client order rotated from one round to the next: a fresh server (Scripts/bench.d/server)
serves the prebuilt frames of one data set on one connection, the client reads N events with
stdout redirected to a file, and the output must equal the events file byte for byte. Each run
gives events/s (N over the client's wall time, from spawn to exit), CPU seconds per million
events (user + sys of the client, from wait4) and peak RSS (ru_maxrss); the table shows the
median over rounds, and the ratios are taken between medians of the same run.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)

import events  # noqa: E402

WORK = os.path.join(ROOT, ".build", "bench")
BIN = os.path.join(WORK, "bin")
DEFAULT_DICT = os.path.join(os.path.dirname(ROOT), "shared", "data", "jetstream", "zstd_dictionary")
MODES = ["ws", "wss", "zstd"]
MODE_TITLES = {"ws": "ws://", "wss": "wss://", "zstd": "wss:// + zstd"}
CLIENTS = ["jetstream-tail", "go", "python", "c", "c-checked", "floor", "floor-curl"]
CLIENT_TITLES = {
    "jetstream-tail": "jetstream-tail (release)",
    "go": "Go + gorilla/websocket",
    "python": "Python websockets",
    "c": "minimal C reader",
    "c-checked": "C reader + the tool's checks",
    "floor": "floor: read and discard",
    "floor-curl": "floor through libcurl (wss:// only)",
}


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------------------------
# Building the programs


def go_env() -> dict:
    """Go in GOPATH mode over Debian's packaged sources: nothing is fetched."""
    env = dict(os.environ)
    env.update(GO111MODULE="off", GOPATH="/usr/share/gocode", GOCACHE=os.path.join(WORK, "gocache"),
               GOPROXY="off", GOFLAGS="", GOTOOLCHAIN="local", CGO_ENABLED="0")
    return env


def build(skip_swift: bool) -> None:
    os.makedirs(BIN, exist_ok=True)
    if not skip_swift:
        log("bench: swift build -c release")
        subprocess.run(["swift", "build", "-c", "release", "--product", "jetstream-tail"], cwd=ROOT, check=True,
                       stdout=subprocess.DEVNULL)
    for name in ("server", "gorilla"):
        subprocess.run(["go", "build", "-o", os.path.join(BIN, name), "./" + os.path.relpath(os.path.join(HERE, name), ROOT)],
                       cwd=ROOT, env=go_env(), check=True)
    subprocess.run(["cc", "-O2", "-Wall", "-Wextra", "-o", os.path.join(BIN, "creader"), os.path.join(HERE, "creader.c"),
                    "-lssl", "-lcrypto", "-lzstd"], check=True)
    subprocess.run(["cc", "-O2", "-Wall", "-Wextra", "-o", os.path.join(BIN, "curlfloor"), os.path.join(HERE, "curlfloor.c"),
                    "-lcurl"], check=True)
    subprocess.run(["cc", "-O2", "-Wall", "-Wextra", "-o", os.path.join(BIN, "runstat"), os.path.join(HERE, "runstat.c")], check=True)


def release_binary() -> str:
    path = subprocess.run(["swift", "build", "-c", "release", "--show-bin-path"], cwd=ROOT, check=True,
                          capture_output=True, text=True).stdout.strip()
    return os.path.join(path, "jetstream-tail")


def make_certificates(directory: str) -> tuple[str, str, str]:
    import trustme

    ca = trustme.CA()
    server = ca.issue_cert("127.0.0.1", "localhost")
    paths = tuple(os.path.join(directory, name) for name in ("ca.pem", "server.pem", "server.key"))
    ca.cert_pem.write_to_path(paths[0])
    server.private_key_and_cert_chain_pem.write_to_path(paths[1])
    server.private_key_pem.write_to_path(paths[2])
    return paths


# ---------------------------------------------------------------------------------------------
# One run


@dataclass
class Run:
    client: str
    mode: str
    seconds: float = 0.0
    cpu: float = 0.0
    user: float = 0.0
    sys: float = 0.0
    rss_kib: int = 0
    server_cpu: float = 0.0
    ok: bool = False
    problem: str = ""


@dataclass
class Setup:
    count: int
    data: str
    meta: dict
    dictionary: str
    ca: str
    cert: str
    key: str
    tail: str
    out_dir: str
    timeout: float
    log_dir: str
    server_args: list = field(default_factory=list)
    stdout: str = "file"


def client_command(client: str, mode: str, url: str, s: Setup) -> list[str]:
    tls = mode != "ws"
    zstd = mode == "zstd"
    if client == "jetstream-tail":
        command = [s.tail, "--host", url, "--limit", str(s.count), "-q", "--stats-interval", "0"]
        if tls:
            command += ["--cacert", s.ca]
        if zstd:
            command += ["--compress", "--zstd-dict", s.dictionary]
        return command
    if client == "go":
        command = [os.path.join(BIN, "gorilla"), "-url", url + "/subscribe", "-n", str(s.count)]
        if tls:
            command += ["-cacert", s.ca]
        if zstd:
            command += ["-zstd-dict", s.dictionary]
        return command
    if client == "python":
        command = [sys.executable, os.path.join(HERE, "python_client.py"), url + "/subscribe", "-n", str(s.count)]
        if tls:
            command += ["--cacert", s.ca]
        if zstd:
            command += ["--zstd-dict", s.dictionary]
        return command
    if client in ("c", "c-checked"):
        command = [os.path.join(BIN, "creader"), "-n", str(s.count)] + (["--check"] if client == "c-checked" else [])
        if tls:
            command += ["--cacert", s.ca]
        if zstd:
            command += ["--zstd-dict", s.dictionary]
        return command + [url + "/subscribe"]
    if client in ("floor", "floor-curl"):
        frames = s.meta["zstd_frames_bytes" if zstd else "text_frames_bytes"] + 4  # + the close frame
        command = [os.path.join(BIN, "creader" if client == "floor" else "curlfloor"), "--discard", str(frames)]
        if tls:
            command += ["--cacert", s.ca]
        return command + [url + "/subscribe"]
    raise ValueError(client)


def start_server(mode: str, s: Setup, log_file) -> tuple[subprocess.Popen, int]:
    frames = os.path.join(s.data, "zstd.frames" if mode == "zstd" else "text.frames")
    command = [os.path.join(BIN, "server"), "-frames", frames, "-timeout", str(s.timeout)]
    if mode != "ws":
        command += ["-cert", s.cert, "-key", s.key]
    command += s.server_args
    server = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=log_file)
    line = server.stdout.readline()
    if not line:
        server.wait()
        raise RuntimeError(f"the benchmark server did not start (exit {server.returncode})")
    return server, json.loads(line)["port"]


def measure(client: str, mode: str, s: Setup) -> Run:
    run = Run(client, mode)
    stem = os.path.join(s.log_dir, f"{client}-{mode}")
    with open(stem + ".server.log", "ab") as server_log, open(stem + ".client.log", "ab") as client_log:
        server, port = start_server(mode, s, server_log)
        url = f"{'ws' if mode == 'ws' else 'wss'}://127.0.0.1:{port}"
        output_path = os.path.join(s.out_dir, f"{client}-{mode}.out")
        report_path = os.path.join(s.out_dir, "runstat.json")
        env = {k: v for k, v in os.environ.items() if not k.startswith("JETSTREAM_TAIL_")}
        with open(output_path, "wb") as output:
            # --stdout pipe: the client writes into a pipe that `cat` empties into the file, as
            # into `| jq`; cat's own CPU is not counted, but it competes for the cores.
            consumer = None
            if s.stdout == "pipe":
                consumer = subprocess.Popen(["cat"], stdin=subprocess.PIPE, stdout=output, stderr=client_log)
            process = subprocess.Popen([os.path.join(BIN, "runstat"), report_path] + client_command(client, mode, url, s),
                                       stdin=subprocess.DEVNULL, stdout=consumer.stdin if consumer else output,
                                       stderr=client_log, env=env, start_new_session=True)
            if consumer:
                consumer.stdin.close()  # the client holds the pipe's only write end now
            try:
                process.wait(timeout=s.timeout)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
            if consumer:
                try:
                    consumer.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    consumer.kill()
                    consumer.wait()
        try:
            server.wait(timeout=15)
            report = json.loads(server.stdout.readline() or "{}")
            run.server_cpu = report.get("serve_cpu_seconds", float("nan"))
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        server.stdout.close()
    try:
        with open(report_path) as f:
            stats = json.load(f)
        os.unlink(report_path)
    except (OSError, ValueError):
        stats = {"wall": 0.0, "user": 0.0, "sys": 0.0, "maxrss_kib": 0, "status": process.returncode or -1}
    run.seconds, run.user, run.sys, run.rss_kib = stats["wall"], stats["user"], stats["sys"], stats["maxrss_kib"]
    run.cpu = run.user + run.sys
    if process.returncode < 0 or stats["status"] == 128 + signal.SIGKILL:
        run.problem = f"killed after {s.timeout:.0f} s (see {stem}.client.log)"
    elif stats["status"] != 0:
        run.problem = f"exit status {stats['status']} (see {stem}.client.log)"
    elif client in ("floor", "floor-curl"):
        run.ok = True
    else:
        run.problem = check_output(output_path, s)
        run.ok = not run.problem
    os.unlink(output_path)
    return run


def check_output(path: str, s: Setup) -> str:
    """'' when the file equals the events file byte for byte, otherwise what differs."""
    size = os.path.getsize(path)
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
    if size == s.meta["json_bytes"] + s.count and digest.hexdigest() == s.meta["sha256"]:
        return ""
    with open(path, "rb") as got, open(os.path.join(s.data, "events.jsonl"), "rb") as want:
        for number, (a, b) in enumerate(zip(got, want), 1):
            if a != b:
                return f"line {number} differs: {a[:80]!r} != {b[:80]!r}"
    return f"{size} bytes, expected {s.meta['json_bytes'] + s.count} (a missing or extra line)"


# ---------------------------------------------------------------------------------------------
# Report


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def summarise(runs: list[Run], count: int) -> dict:
    table: dict = {}
    for run in runs:
        cell = table.setdefault(run.client, {}).setdefault(run.mode, {"rate": [], "cpu": [], "rss": [], "server": [], "failed": 0})
        if not run.ok:
            cell["failed"] += 1
            continue
        cell["rate"].append(count / run.seconds)
        cell["cpu"].append(run.cpu / count * 1e6)
        cell["rss"].append(run.rss_kib / 1024)
        cell["server"].append(run.server_cpu / count * 1e6)
    return {client: {mode: {"events_per_s": median(c["rate"]), "cpu_s_per_million": median(c["cpu"]),
                            "rss_mb": median(c["rss"]), "server_cpu_s_per_million": median(c["server"]),
                            "runs": len(c["rate"]), "failed": c["failed"]}
                     for mode, c in modes.items()}
            for client, modes in table.items()}


def fmt_rate(value: float) -> str:
    return "–" if value != value else f"{value:,.0f}"


def fmt(value: float, digits: int = 2) -> str:
    return "–" if value != value else f"{value:.{digits}f}"


def print_table(summary: dict, clients: list[str], modes: list[str], meta: dict, rounds: int, stdout: str) -> None:
    print()
    print(f"{meta['count']:,} events, average {meta['average_json']:.0f} bytes of JSON, "
          f"{meta['average_zstd']:.0f} bytes zstd-compressed; median of {rounds} round{'s' if rounds != 1 else ''}"
          + ("; stdout a pipe emptied by cat" if stdout == "pipe" else ""))
    print()
    header = "| client | " + " | ".join(f"{MODE_TITLES[m]} events/s" for m in modes) + \
        " | CPU s per 1M events (" + " / ".join(modes) + ") | peak RSS MB (" + " / ".join(modes) + ") |"
    print(header)
    print("|---|" + "---:|" * len(modes) + "---|---|")
    for client in clients:
        cells = summary.get(client, {})
        get = lambda mode, key: cells.get(mode, {}).get(key, float("nan"))  # noqa: E731
        rates = [fmt_rate(get(m, "events_per_s")) for m in modes]
        cpu = " / ".join(fmt(get(m, "cpu_s_per_million")) for m in modes)
        rss = " / ".join(fmt(get(m, "rss_mb"), 1) for m in modes)
        print(f"| {CLIENT_TITLES[client]} | " + " | ".join(rates) + f" | {cpu} | {rss} |")
    print()
    server = " / ".join(fmt(median([summary[c][m]["server_cpu_s_per_million"] for c in clients if m in summary.get(c, {})]))
                        for m in modes)
    print(f"benchmark server CPU s per 1M events ({' / '.join(modes)}), median over all runs: {server}")
    tail = summary.get("jetstream-tail", {})
    for peer, what in (("go", "Go"), ("c", "the C reader"), ("c-checked", "the checked C reader")):
        if peer not in summary or not tail:
            continue
        ratios = []
        for mode in modes:
            ours, theirs = tail.get(mode, {}), summary[peer].get(mode, {})
            speed = ours.get("events_per_s", float("nan")) / theirs.get("events_per_s", float("nan"))
            cpu = ours.get("cpu_s_per_million", float("nan")) / theirs.get("cpu_s_per_million", float("nan"))
            ratios.append(f"{mode} {fmt(speed)}× speed, {fmt(cpu)}× CPU")
        print(f"jetstream-tail vs {what}: " + "; ".join(ratios))


# ---------------------------------------------------------------------------------------------


def parse_args(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="Scripts/bench", description="jetstream-tail against its peers on loopback.")
    p.add_argument("-n", "--events", type=int, default=500_000, help="events per run (default 500000)")
    p.add_argument("-r", "--rounds", type=int, default=3, help="interleaved rounds; the table shows medians (default 3)")
    p.add_argument("--quick", action="store_true", help="20,000 events, 1 round: checks the benchmark works, in seconds")
    p.add_argument("--clients", default=",".join(CLIENTS), help=f"comma-separated subset of {','.join(CLIENTS)}")
    p.add_argument("--modes", default=",".join(MODES), help=f"comma-separated subset of {','.join(MODES)}")
    p.add_argument("--seed", type=int, default=20260525, help="generator seed")
    p.add_argument("--zstd-dict", default=DEFAULT_DICT, help="Jetstream's zstd dictionary (default ../shared/data/jetstream/zstd_dictionary)")
    p.add_argument("--tail", help="jetstream-tail binary to measure (default: the release build, built first)")
    p.add_argument("--stdout", choices=["file", "pipe"], default="file",
                   help="each client's stdout: the output file itself (default), or a pipe that cat empties into it")
    p.add_argument("--out-dir", help="where client output goes (default a fresh directory in /dev/shm, else the temp dir)")
    p.add_argument("--timeout", type=float, default=0, help="seconds one run may take (default from N)")
    p.add_argument("--json", metavar="FILE", help="also write every run and the summary as JSON")
    p.add_argument("--server-arg", action="append", default=[], metavar="ARG",
                   help="extra argument for the benchmark server, e.g. --server-arg=-sendfile=false (repeatable)")
    args = p.parse_args(argv)
    if args.quick:
        args.events, args.rounds = 20_000, 1
    args.clients = [c for c in args.clients.split(",") if c]
    args.modes = [m for m in args.modes.split(",") if m]
    for name in args.clients:
        if name not in CLIENTS:
            p.error(f"unknown client {name!r}")
    for name in args.modes:
        if name not in MODES:
            p.error(f"unknown mode {name!r}")
    if args.events < 1 or args.rounds < 1:
        p.error("--events and --rounds must be positive")
    return args


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    if not os.path.exists(args.zstd_dict):
        log(f"bench: no zstd dictionary at {args.zstd_dict} (give --zstd-dict)")
        return 2
    with open(args.zstd_dict, "rb") as f:
        dictionary = f.read()

    build(skip_swift=args.tail is not None)
    tail = args.tail or release_binary()

    data = os.path.join(WORK, "data-" + events.cache_key(args.events, args.seed, dictionary))
    if not os.path.exists(os.path.join(data, "meta.json")):
        log(f"bench: generating {args.events:,} events into {os.path.relpath(data, ROOT)}")
    meta = events.build(data, args.events, args.seed, dictionary)
    log(f"bench: {meta['count']:,} events, {meta['average_json']:.1f} bytes average, "
        f"{meta['average_zstd']:.1f} compressed; mix {json.dumps(meta['mix'])}")

    scratch_parent = args.out_dir or ("/dev/shm" if os.path.isdir("/dev/shm") and os.access("/dev/shm", os.W_OK) else None)
    scratch = tempfile.mkdtemp(prefix="jetstream-bench-", dir=scratch_parent)
    log_dir = os.path.join(WORK, "logs")
    shutil.rmtree(log_dir, ignore_errors=True)
    os.makedirs(log_dir)
    try:
        ca, cert, key = make_certificates(scratch)
        setup = Setup(args.events, data, meta, args.zstd_dict, ca, cert, key, tail, scratch,
                      args.timeout or max(60.0, args.events / 5_000), log_dir, args.server_arg, args.stdout)
        runs: list[Run] = []
        for round_index in range(args.rounds):
            shift = round_index % len(args.clients)
            order = args.clients[shift:] + args.clients[:shift]
            for mode in args.modes:
                for client in order:
                    if client == "floor" and mode == "zstd":
                        continue  # the compressed bytes are fewer, not a floor for decoding
                    if client == "floor-curl" and mode != "wss":
                        continue  # the floor of TLS through libcurl: wss:// alone
                    run = measure(client, mode, setup)
                    runs.append(run)
                    state = "ok" if run.ok else "FAILED: " + run.problem
                    log(f"bench: round {round_index + 1}/{args.rounds} {mode:<4} {client:<14} "
                        f"{args.events / run.seconds if run.seconds else 0:>12,.0f} events/s  {run.cpu:6.2f} s CPU  "
                        f"{run.rss_kib / 1024:6.1f} MB  {state}")
    finally:
        shutil.rmtree(scratch, ignore_errors=True)

    summary = summarise(runs, args.events)
    print_table(summary, args.clients, args.modes, meta, args.rounds, args.stdout)
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"meta": meta, "stdout": args.stdout, "summary": summary, "runs": [run.__dict__ for run in runs]}, f, indent=1)
    failed = [run for run in runs if not run.ok]
    if failed:
        print(f"\n{len(failed)} of {len(runs)} runs failed:")
        for run in failed:
            print(f"  {run.client} {run.mode}: {run.problem}")
        return 1
    print(f"\n{len(runs)} passed, 0 failed")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
