"""The tool around the stream: large DID lists sent in an options_update, lists from files and
standard input, handles resolved over HTTPS, the --kind/--operation filters, the environment,
shell completions, and Scripts/install."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import urllib.parse
from pathlib import Path

import pytest

from support import REPO, LocalHTTPSServer, assert_same_stream, event_payloads, lines

FLAGS = ("--generate", 3000)



def parsed(payloads: list[bytes]) -> list[dict]:
    return [json.loads(p) for p in payloads]


def stderr_of(result: subprocess.CompletedProcess) -> str:
    return result.stderr.decode(errors="replace")


def run(binary: Path, *args: object, env: dict | None = None, stdin: bytes = b"", timeout: float = 30) -> subprocess.CompletedProcess:
    """The tail with a given environment (added to a copy of this one) and standard input."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith("JETSTREAM_TAIL_")}
    environment.update(env or {})
    return subprocess.run([str(binary), *[str(a) for a in args]], input=stdin, capture_output=True,
                          timeout=timeout, env=environment)


def many_dids(events: list[dict], real: int, total: int) -> tuple[list[str], list[str]]:
    """`real` DIDs that occur in the stream, padded with made-up ones to `total`."""
    present = sorted({e["did"] for e in events})[:real]
    made_up = [f"did:plc:zz{n:022d}" for n in range(total - real)]
    return present, present + made_up


def write_list(path: Path, values: list[str]) -> Path:
    text = "# accounts to follow\n\n"
    for n, value in enumerate(values):
        text += f"{value}   # number {n}\n" if n % 7 == 0 else f"{value}\n"
    path.write_text(text)
    return path


# --------------------------------------------------------------------------------------------
# Large DID lists: requireHello and options_update


def test_two_thousand_dids_leave_the_url_for_require_hello(jetstream, tail_binary, tmp_path):
    events = parsed(event_payloads(*FLAGS))
    _, wanted = many_dids(events, 40, 2000)
    server = jetstream(*FLAGS, "--then-hold")
    process = subprocess.Popen([str(tail_binary), "--host", server.url, "--did", f"@{write_list(tmp_path / 'dids.txt', wanted)}",
                                "-c", "app.bsky.feed.post", "--idle-timeout", "3", "--max-reconnects", "0", "--limit", "1"],
                               stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        server.wait_for(lambda log: any(e["event"] == "awaiting_hello" for e in log), what="a request waiting for its hello")
    finally:
        process.send_signal(signal.SIGTERM)
        process.communicate(timeout=10)
    query = server.query(1)
    assert ("requireHello", "true") in query
    assert not server.query_values("wantedDids") and not server.query_values("wantedCollections"), query
    assert server.query_values("maxMessageSizeBytes") == [str(4 << 20)]
    assert len(server.requests()[0]["path"]) < 4096 + 100


def test_two_thousand_dids_from_a_file_go_in_an_options_update(jetstream, tail, tmp_path):
    everything = event_payloads(*FLAGS)
    events = parsed(everything)
    present, wanted = many_dids(events, 40, 2000)
    expected = [p for p, e in zip(everything, events) if e["did"] in present]
    assert 100 < len(expected) < len(everything)
    server = jetstream(*FLAGS, "--then-hold")
    result = tail("--host", server.url, "--did", f"@{write_list(tmp_path / 'dids.txt', wanted)}", "--limit", len(expected),
                  "--idle-timeout", 3, "--max-reconnects", 0)
    assert result.returncode == 0, stderr_of(result)
    server.wait_until_settled()
    updates = server.entries("options_update")
    assert len(updates) == 1
    assert updates[0]["dids"] == sorted(wanted)
    assert updates[0]["collections"] == []
    assert updates[0]["max_size"] == 4 << 20
    assert_same_stream(result.stdout, server.sent())
    assert lines(result.stdout) == expected


def test_the_options_update_is_sent_again_after_a_reconnect(jetstream, tail, tmp_path):
    everything = event_payloads(*FLAGS)
    events = parsed(everything)
    present, wanted = many_dids(events, 40, 2000)
    collections = ("app.bsky.feed.like", "app.bsky.feed.post")
    expected = [p for p, e in zip(everything, events)
                if e["did"] in present and (e["kind"] != "commit" or e["commit"]["collection"] in collections)]
    server = jetstream(*FLAGS, "--drop-after", 30, "--then-hold")
    result = tail("--host", server.url, "--did", f"@{write_list(tmp_path / 'dids.txt', wanted)}",
                  "-c", "app.bsky.feed.like", "-c", "app.bsky.feed.post", "--limit", len(expected),
                  "--idle-timeout", 3, "--max-reconnects", 1, timeout=60)
    assert result.returncode == 0, stderr_of(result)
    server.wait_until_settled()
    updates = server.entries("options_update")
    assert [u["conn"] for u in updates] == [1, 2]
    for update in updates:
        assert update["dids"] == sorted(wanted)
        assert update["collections"] == ["app.bsky.feed.like", "app.bsky.feed.post"]
    assert ("requireHello", "true") in server.query(2)
    assert lines(result.stdout) == expected


def test_dids_from_standard_input(jetstream, tail_binary):
    everything = event_payloads(*FLAGS)
    events = parsed(everything)
    wanted = [events[0]["did"], events[1]["did"]]
    expected = [p for p, e in zip(everything, events) if e["did"] in wanted]
    server = jetstream(*FLAGS, "--then-hold")
    result = run(tail_binary, "--host", server.url, "--did", "-", "--limit", len(expected),
                 stdin=f"# two accounts\n{wanted[0]}\n\n{wanted[1]}  # the second\n".encode())
    assert result.returncode == 0, stderr_of(result)
    assert sorted(server.query_values("wantedDids")) == sorted(wanted)
    assert lines(result.stdout) == expected


def test_a_bad_list_entry_is_a_usage_error_naming_file_and_line(jetstream, tail, tmp_path):
    server = jetstream("--generate", 3, "--then-hold")
    path = tmp_path / "dids.txt"
    path.write_text("did:plc:aaaaaaaaaaaaaaaaaaaaaaaa\n# a comment\nbsky.app\n")
    result = tail("--host", server.url, "--did", f"@{path}")
    assert result.returncode == 2
    assert f"{path}:3: invalid value 'bsky.app' for '--did'" in stderr_of(result)
    assert not server.requests()


# --------------------------------------------------------------------------------------------
# Handles, resolved against a local HTTPS resolver


class Resolver(LocalHTTPSServer):
    """A loopback HTTPS server answering com.atproto.identity.resolveHandle from a table."""

    def __init__(self, certificates, table: dict[str, str]):
        self.table = table
        self.requests: list[dict] = []

        def answer(path: str, headers) -> tuple[int, str, bytes]:
            url = urllib.parse.urlsplit(path)
            handle = urllib.parse.parse_qs(url.query).get("handle", [""])[0]
            self.requests.append({"path": url.path, "handle": handle, "accept": headers.get("Accept"),
                                  "user_agent": headers.get("User-Agent")})
            if url.path != "/xrpc/com.atproto.identity.resolveHandle":
                status, body = 404, {"error": "MethodNotImplemented", "message": "Method Not Implemented"}
            elif handle in self.table:
                status, body = 200, {"did": self.table[handle]}
            else:
                status, body = 400, {"error": "InvalidRequest", "message": "Unable to resolve handle"}
            return status, "application/json; charset=utf-8", json.dumps(body).encode()

        super().__init__(certificates, answer)
        self.url = self.base_url


@pytest.fixture
def resolver(certificates):
    started: list[Resolver] = []

    def start(table: dict[str, str]) -> Resolver:
        started.append(Resolver(certificates, table))
        return started[-1]

    yield start
    for r in started:
        r.stop()


def test_handles_are_resolved_over_https_before_connecting(jetstream, tail, resolver, certificates, tmp_path):
    everything = event_payloads(*FLAGS)
    events = parsed(everything)
    alice, bob = events[0]["did"], events[1]["did"]
    service = resolver({"alice.test": alice, "bob.test": bob})
    handles = tmp_path / "handles.txt"
    handles.write_text("# people\n@Bob.Test\n")
    expected = [p for p, e in zip(everything, events) if e["did"] in (alice, bob)]
    server = jetstream(*FLAGS, "--then-hold")
    result = tail("--host", server.url, "--handle", "alice.test", "--handle", f"@{handles}",
                  "--resolver", service.url, "--cacert", certificates.ca, "--limit", len(expected))
    assert result.returncode == 0, stderr_of(result)
    assert [r["handle"] for r in service.requests] == ["alice.test", "bob.test"]
    assert all(r["accept"] == "application/json" for r in service.requests)
    assert sorted(server.query_values("wantedDids")) == sorted([alice, bob])
    assert lines(result.stdout) == expected


def test_unknown_handles_are_each_reported_and_nothing_connects(jetstream, tail, resolver, certificates):
    service = resolver({"alice.test": "did:plc:aaaaaaaaaaaaaaaaaaaaaaaa"})
    server = jetstream("--generate", 3, "--then-hold")
    result = tail("--host", server.url, "--handle", "ghost.test", "--handle", "alice.test", "--handle", "nobody.test",
                  "--resolver", service.url, "--cacert", certificates.ca, "--limit", 1)
    stderr = stderr_of(result)
    assert result.returncode == 1, stderr
    assert "cannot resolve handle 'ghost.test': Unable to resolve handle" in stderr
    assert "cannot resolve handle 'nobody.test': Unable to resolve handle" in stderr
    assert "alice.test" not in stderr
    assert not server.requests()


def test_an_untrusted_resolver_certificate_stops_before_connecting(jetstream, tail, resolver):
    service = resolver({"alice.test": "did:plc:aaaaaaaaaaaaaaaaaaaaaaaa"})
    server = jetstream("--generate", 3, "--then-hold")
    result = tail("--host", server.url, "--handle", "alice.test", "--resolver", service.url, "--limit", 1)
    assert result.returncode == 1, stderr_of(result)
    assert "cannot resolve handle 'alice.test'" in stderr_of(result)
    assert not server.requests()


def test_a_malformed_handle_is_a_usage_error_without_any_request(jetstream, tail, resolver, certificates):
    service = resolver({})
    server = jetstream("--generate", 3, "--then-hold")
    result = tail("--host", server.url, "--handle", "not_a_handle.test", "--resolver", service.url, "--cacert", certificates.ca)
    assert result.returncode == 2
    assert "invalid value 'not_a_handle.test' for '--handle'" in stderr_of(result)
    assert not service.requests and not server.requests()


# --------------------------------------------------------------------------------------------
# --kind and --operation on a mixed stream


def kind_and_operation(event: dict, kinds: set[str], operations: set[str]) -> bool:
    """The documented rule, computed independently of the tool."""
    if kinds and event["kind"] not in kinds:
        return False
    if operations and event["kind"] == "commit":
        return event["commit"]["operation"] in operations
    return True


@pytest.mark.parametrize("kinds, operations", [
    ({"commit"}, {"delete"}),
    ({"identity", "account"}, set()),
    (set(), {"create"}),
    ({"commit", "account"}, {"update", "delete"}),
], ids=["deletes", "identity-and-account", "creates-and-other-kinds", "mixed"])
def test_kind_and_operation_filter_a_mixed_stream(jetstream, tail, kinds, operations):
    everything = event_payloads(*FLAGS)
    events = parsed(everything)
    assert {e["kind"] for e in events} == {"commit", "identity", "account"}
    assert {e["commit"]["operation"] for e in events if e["kind"] == "commit"} == {"create", "update", "delete"}
    expected = [p for p, e in zip(everything, events) if kind_and_operation(e, kinds, operations)]
    assert 0 < len(expected) < len(everything)
    server = jetstream(*FLAGS, "--then-hold")
    args = ["--host", server.url, "--limit", len(expected)]
    for k in sorted(kinds):
        args += ["--kind", k]
    for o in sorted(operations):
        args += ["--operation", o]
    result = tail(*args)
    assert result.returncode == 0, stderr_of(result)
    assert lines(result.stdout) == expected
    assert not server.query_values("kind") and not server.query_values("operation"), "these filters are client-side"


# --------------------------------------------------------------------------------------------
# The environment


def test_environment_supplies_options_and_flags_win(jetstream, tail_binary):
    server = jetstream("--generate", 200, "--then-hold")
    env = {"JETSTREAM_TAIL_HOST": server.url, "JETSTREAM_TAIL_COLLECTION": "app.bsky.feed.like,app.bsky.graph.*",
           "JETSTREAM_TAIL_MAX_MESSAGE_SIZE": "64K", "JETSTREAM_TAIL_QUIET": "1"}
    result = run(tail_binary, "--collection", "app.bsky.feed.post", "--limit", 1, env=env)
    assert result.returncode == 0, stderr_of(result)
    assert result.stderr == b"", "JETSTREAM_TAIL_QUIET=1 silences the summary"
    assert server.query_values("wantedCollections") == ["app.bsky.feed.post"]
    assert server.query_values("maxMessageSizeBytes") == [str(64 << 10)]


def test_a_bad_environment_value_is_a_usage_error_naming_the_variable(jetstream, tail_binary):
    server = jetstream("--generate", 3, "--then-hold")
    result = run(tail_binary, "--host", server.url, env={"JETSTREAM_TAIL_CONNECT_TIMEOUT": "soon"})
    assert result.returncode == 2
    assert "JETSTREAM_TAIL_CONNECT_TIMEOUT: invalid value 'soon' for '--connect-timeout'" in stderr_of(result)
    assert not server.requests()


# --------------------------------------------------------------------------------------------
# Completions


def bash_complete(script: str, words: list[str], cwd: Path) -> list[str]:
    """Runs the generated bash completion function on a command line, as bash would on TAB."""
    program = script + "\n" + "\n".join([
        "COMP_WORDS=(" + " ".join(f"'{w}'" for w in words) + ")",
        f"COMP_CWORD={len(words) - 1}",
        "_jetstream_tail",
        'printf "%s\\n" "${COMPREPLY[@]}"',
    ])
    result = subprocess.run(["bash", "--norc", "--noprofile", "-c", program], capture_output=True, text=True, cwd=cwd, timeout=10)
    assert result.returncode == 0, result.stderr
    return [line for line in result.stdout.splitlines() if line]


def test_bash_completions_offer_options_words_and_files(tail, tmp_path):
    script = tail("--completions", "bash").stdout.decode()
    (tmp_path / "accounts.txt").write_text("did:plc:a\n")
    (tmp_path / "ca.pem").write_text("")
    assert bash_complete(script, ["jetstream-tail", "--op"], tmp_path) == ["--operation"]
    assert sorted(bash_complete(script, ["jetstream-tail", "--kind", ""], tmp_path)) == ["account", "commit", "identity"]
    assert bash_complete(script, ["jetstream-tail", "--on-full", "d"], tmp_path) == ["drop"]
    assert bash_complete(script, ["jetstream-tail", "--host", "us-w"], tmp_path) == ["us-west", "us-west-1", "us-west-2"]
    assert bash_complete(script, ["jetstream-tail", "--cacert", "c"], tmp_path) == ["ca.pem"]
    assert bash_complete(script, ["jetstream-tail", "-d", "@acc"], tmp_path) == ["@accounts.txt"]
    assert bash_complete(script, ["jetstream-tail", "--did", "did:"], tmp_path) == []
    assert bash_complete(script, ["jetstream-tail", "--kind", "=", "i"], tmp_path) == ["identity"]


@pytest.mark.parametrize("shell, first", [("zsh", "#compdef jetstream-tail"), ("fish", "# Completions for jetstream-tail")])
def test_zsh_and_fish_scripts(tail, shell, first):
    result = tail("--completions", shell)
    assert result.returncode == 0
    assert result.stdout.decode().startswith(first)
    checker = shutil.which(shell)
    if checker:  # a syntax check where the shell is installed
        flag = ["-n"] if shell == "zsh" else ["--no-execute"]
        check = subprocess.run([checker, *flag], input=result.stdout, capture_output=True, timeout=10)
        assert check.returncode == 0, check.stderr.decode()


# --------------------------------------------------------------------------------------------
# Scripts/install and Scripts/uninstall

INSTALLED = [
    "bin/jetstream-tail",
    "share/man/man1/jetstream-tail.1",
    "share/bash-completion/completions/jetstream-tail",
    "share/zsh/site-functions/_jetstream-tail",
    "share/fish/vendor_completions.d/jetstream-tail.fish",
]


def test_install_into_a_prefix_then_uninstall(tmp_path):
    prefix = tmp_path / "prefix"
    install = subprocess.run([str(REPO / "Scripts" / "install"), str(prefix)], capture_output=True, text=True, timeout=1800)
    assert install.returncode == 0, install.stderr[-3000:]
    found = sorted(str(p.relative_to(prefix)) for p in prefix.rglob("*") if p.is_file())
    assert found == sorted(INSTALLED)

    binary = prefix / "bin" / "jetstream-tail"
    version = subprocess.run([str(binary), "--version"], capture_output=True, text=True, timeout=10)
    assert version.returncode == 0
    assert version.stdout.startswith("jetstream-tail ")
    # Runs without the toolchain: no Swift runtime library is loaded from outside the binary.
    linked = subprocess.run(["ldd", str(binary)], capture_output=True, text=True, timeout=10).stdout
    assert "libswift" not in linked and "libFoundation" not in linked, linked

    page = subprocess.run(["man", "-l", str(prefix / "share/man/man1/jetstream-tail.1")], capture_output=True, text=True,
                          timeout=30, env={**os.environ, "MANPAGER": "cat", "MANWIDTH": "80"})
    assert page.returncode == 0, page.stderr
    for heading in ("NAME", "SYNOPSIS", "OPTIONS", "ENVIRONMENT", "FILES", "EXIT STATUS", "EXAMPLES"):
        assert f"\n{heading}\n" in page.stdout
    for shell, path in (("bash", INSTALLED[2]), ("zsh", INSTALLED[3]), ("fish", INSTALLED[4])):
        generated = subprocess.run([str(binary), "--completions", shell], capture_output=True, timeout=10).stdout
        assert (prefix / path).read_bytes() == generated

    (prefix / "share" / "man" / "man1" / "other.1").write_text("not ours\n")
    uninstall = subprocess.run([str(REPO / "Scripts" / "uninstall"), str(prefix)], capture_output=True, text=True, timeout=60)
    assert uninstall.returncode == 0, uninstall.stderr
    left = sorted(str(p.relative_to(prefix)) for p in prefix.rglob("*") if p.is_file())
    assert left == ["share/man/man1/other.1"]


def test_the_man_page_lints_clean():
    """groff -man -ww -z (and mandoc -Tlint where installed) report nothing."""
    result = subprocess.run(["sh", str(REPO / "Scripts" / "check-man.sh")], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "warning" not in result.stderr.lower() or "mandoc not installed" in result.stderr, result.stderr
