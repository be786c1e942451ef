// autobahn-testee: the conformance test client for Autobahn|Testsuite's fuzzingserver.
//
//     autobahn-testee [--cacert FILE] [--max-message-size BYTES] URL
//
// Connects to URL (for example ws://127.0.0.1:9001/runCase?case=3&agent=jetstream-tail) with the
// very WebSocketConnection that jetstream-tail uses, echoes every message back with the same opcode
// until the connection ends, then exits 0. A protocol violation by the server is reported on stderr
// and also ends with 0: failing the connection is the expected behaviour the suite grades.
// Test-only: not installed, not part of the jetstream-tail CLI.
import JetstreamTailCore
#if canImport(Glibc)
import Glibc
#endif

let diagnostics = Diagnostics()
var caCert: String? = nil
var maxMessageSize = 64 << 20
var url: String? = nil
var args = CommandLine.arguments.dropFirst()
while let arg = args.popFirst() {
    switch arg {
    case "--cacert": caCert = args.popFirst()
    case "--max-message-size": maxMessageSize = args.popFirst().flatMap { Int($0) } ?? maxMessageSize
    default: url = arg
    }
}

/// Splits `ws[s]://host[:port]/path?query` into the endpoint and the request target.
func split(_ url: String) -> (Endpoint, String)? {
    let scheme: Endpoint.Scheme
    var rest: Substring
    if url.hasPrefix("ws://") { scheme = .ws; rest = url.dropFirst(5) }
    else if url.hasPrefix("wss://") { scheme = .wss; rest = url.dropFirst(6) }
    else { return nil }
    let slash = rest.firstIndex(where: { $0 == "/" || $0 == "?" }) ?? rest.endIndex
    let authority = rest[..<slash]
    var target = String(rest[slash...])
    if target.isEmpty || target.first == "?" { target = "/" + target }
    rest = authority
    var host = String(authority)
    var port: Int? = nil
    if rest.first == "[", let close = rest.firstIndex(of: "]") {
        host = String(rest[rest.index(after: rest.startIndex)..<close])
        let after = rest[rest.index(after: close)...]
        if after.first == ":" { port = Int(after.dropFirst()) }
    } else if let colon = rest.lastIndex(of: ":") {
        host = String(rest[..<colon])
        port = Int(rest[rest.index(after: colon)...])
    }
    let path = String(target.prefix { $0 != "?" })
    return (Endpoint(scheme: scheme, host: host, port: port, path: path), target)
}

guard let url, let (endpoint, target) = split(url) else {
    diagnostics.usage("usage: autobahn-testee [--cacert FILE] [--max-message-size BYTES] ws[s]://HOST:PORT/PATH?QUERY")
    exit(2)
}

signal(SIGPIPE, SIG_IGN)
CurlTransport.globalInit()
let options = WebSocketConnection.Options(maxMessageSize: maxMessageSize, connectTimeout: 10, tls: .init(caCertPath: caCert))
let connection: WebSocketConnection
do {
    connection = try WebSocketConnection(endpoint: endpoint, target: target, options: options)
} catch {
    diagnostics.error("\(url): \(error)")
    exit(1)
}

do {
    while let incoming = try connection.next(deadline: .after(seconds: 120)) {
        switch incoming {
        case .text(let payload): try connection.send(opcode: .text, payload: payload)
        case .binary(let payload): try connection.send(opcode: .binary, payload: payload)
        case .closed: exit(0)
        }
    }
    connection.close()
} catch {
    diagnostics.note("\(target): connection failed: \(error)")
}
exit(0)
