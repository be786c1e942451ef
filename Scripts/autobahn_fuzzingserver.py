# -*- coding: utf-8 -*-
"""Loopback-only Autobahn|Testsuite fuzzing server, driven by Scripts/autobahn.

Runs under the Python 2.7 interpreter of .venv-autobahn/. Stock `wstest -m fuzzingserver`
listens on every interface and also serves a web page on port 8080; this launcher builds the
same fuzzing factory but listens on 127.0.0.1 only, on a port the kernel picks, without any
web page.

Usage: python autobahn_fuzzingserver.py SPEC.json LOGFILE

Control channel (stdin/stdout, one line each):
  stdout  READY {"port": N, "cases": ["1.1.1", ...]}   once listening; case N is cases[N-1]
  stdin   report                                       write the reports once no connection is open
  stdout  REPORTED
  stdin   end of file                                  stop the server
Everything the test suite and Twisted print goes to LOGFILE, so the pipe never fills up.
"""

import json
import sys

# The test suite picks its reactor when this module is imported: it has to come first.
import autobahntestsuite.choosereactor  # noqa: F401

from twisted.internet import reactor, ssl, stdio
from twisted.protocols.basic import LineReceiver
from twisted.python import log as twisted_log

from autobahn.twisted.websocket import listenWS
from autobahntestsuite import fuzzing

LOOPBACK = "127.0.0.1"
IDLE_WAIT_SECONDS = 15.0
IDLE_POLL_SECONDS = 0.05


class Control(LineReceiver):
    """Reads commands from the driver on stdin and answers on stdout."""

    delimiter = b"\n"

    def __init__(self, factory):
        self.factory = factory

    def lineReceived(self, line):
        command = line.strip()
        if command == b"report":
            self.reportWhenIdle(reactor.seconds() + IDLE_WAIT_SECONDS)
        elif command:
            self.sendLine(b"ERROR unknown command " + command)

    def reportWhenIdle(self, giveUpAt):
        """A case is logged only when its TCP connection is gone, so wait for every one to end."""
        if self.factory.countConnections > 0 and reactor.seconds() < giveUpAt:
            reactor.callLater(IDLE_POLL_SECONDS, self.reportWhenIdle, giveUpAt)
            return
        self.factory.createReports()
        self.sendLine(b"REPORTED")

    def connectionLost(self, reason):
        if reactor.running:
            reactor.stop()


def main():
    if len(sys.argv) != 3:
        sys.stderr.write("usage: autobahn_fuzzingserver.py SPEC.json LOGFILE\n")
        return 2
    with open(sys.argv[1]) as f:
        spec = json.load(f)

    # The suite reports progress with `print`: send that to the log, keep stdout for the driver.
    log = open(sys.argv[2], "a", 1)
    sys.stdout = log
    # Twisted drops the tracebacks of failed connections unless its log goes somewhere.
    twisted_log.startLogging(log, setStdout=False)

    # Port 0 in the URL disables the suite's Host-header port check until the real port is known.
    spec["url"] = "%s://%s:0" % ("wss" if spec.get("cert") else "ws", LOOPBACK)
    factory = fuzzing.FuzzingServerFactory(spec)
    context = None
    if spec.get("cert"):
        context = ssl.DefaultOpenSSLContextFactory(spec["key"], spec["cert"])
    listener = listenWS(factory, context, interface=LOOPBACK)
    port = listener.getHost().port
    factory.port = port
    factory.externalPort = port
    factory.url = "%s://%s:%d" % ("wss" if context else "ws", LOOPBACK, port)
    print("listening on %s" % factory.url)

    control = Control(factory)
    stdio.StandardIO(control)
    ready = {"port": port, "cases": list(factory.specCases)}
    control.sendLine(b"READY " + json.dumps(ready).encode("utf-8"))
    reactor.run()
    log.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
