"""wss:// verifies the server: an unknown CA or a wrong name is a one-line error and exit 1;
--cacert trusts an extra CA; -k skips verification. The tail must speak HTTP/1.1 even to a
TLS server that would pick h2 by ALPN."""

from __future__ import annotations

import re

import pytest

from support import assert_same_stream, event_payloads, lines

TLS_WORDS = re.compile(r"certificate|tls|ssl|verif", re.IGNORECASE)


def tls_error_line(stderr: bytes) -> str | None:
    return next((line for line in stderr.decode(errors="replace").splitlines() if TLS_WORDS.search(line)), None)


@pytest.mark.parametrize("cacert", [None, "other"], ids=["system-trust", "unrelated-ca"])
def test_an_untrusted_certificate_fails_with_exit_1_and_one_clear_line(jetstream, tail, certificates, cacert):
    server = jetstream("--generate", 10, "--then-hold", tls=True)
    args = ["--host", server.url, "--limit", 10, "--connect-timeout", 10]
    if cacert:
        args += ["--cacert", certificates.other_ca]
    result = tail(*args)
    assert result.returncode == 1, result.stderr.decode(errors="replace")
    assert result.stdout == b""
    assert tls_error_line(result.stderr), f"no TLS/certificate error on stderr: {result.stderr!r}"
    assert not server.entries("open"), "no WebSocket connection may open over an unverified channel"


def test_cacert_makes_the_same_server_trusted(jetstream, tail, certificates):
    server = jetstream("--generate", 10, "--then-hold", tls=True)
    failed = tail("--host", server.url, "--limit", 10)
    assert failed.returncode == 1
    result = tail("--host", server.url, "--limit", 10, "--cacert", certificates.ca)
    assert result.returncode == 0, result.stderr.decode(errors="replace")
    assert lines(result.stdout) == event_payloads("--generate", 10)


def test_a_name_the_certificate_does_not_cover_fails(jetstream, tail, certificates):
    # The certificate names 127.0.0.1, ::1 and localhost; 127.0.0.2 is loopback too, but not named.
    server = jetstream("--generate", 10, "--then-hold", "--bind", "127.0.0.2", tls=True)
    result = tail("--host", server.url, "--limit", 10, "--cacert", certificates.ca, "--connect-timeout", 10)
    assert result.returncode == 1, result.stderr.decode(errors="replace")
    assert result.stdout == b""
    assert tls_error_line(result.stderr), f"no TLS/certificate error on stderr: {result.stderr!r}"


@pytest.mark.parametrize("flag", ["-k", "--insecure"])
def test_insecure_skips_verification(jetstream, tail, flag):
    server = jetstream("--generate", 50, "--then-hold", tls=True)
    result = tail("--host", server.url, "--limit", 50, flag)
    assert result.returncode == 0, result.stderr.decode(errors="replace")
    server.wait_until_settled()
    assert_same_stream(result.stdout, server.sent())


def test_http_1_1_even_when_the_server_would_choose_h2(jetstream, tail, certificates):
    # A server that prefers h2 picks it if the client offers it, and then the Upgrade request
    # would be sent into an HTTP/2 connection. The tail must offer http/1.1 only (or no ALPN).
    server = jetstream("--generate", 50, "--then-hold", "--alpn", "h2,http/1.1", tls=True)
    result = tail("--host", server.url, "--limit", 50, "--cacert", certificates.ca)
    assert result.returncode == 0, result.stderr.decode(errors="replace")
    server.wait_until_settled()
    assert server.requests()[0]["alpn"] in ("http/1.1", None)
    assert_same_stream(result.stdout, server.sent())
