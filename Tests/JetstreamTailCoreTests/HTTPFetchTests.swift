#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import Testing
@testable import JetstreamTailCore

/// A loopback HTTP/1.1 server on its own thread that answers each connection with the next canned
/// response, then closes it, and records the request heads. It gives up after a few seconds
/// without a connection, so a test that fails early cannot hang.
private final class CannedServer {
    let port: Int
    private let listening: LoopbackListener
    private var responses: [String]
    private(set) var requests: [String] = []
    private var thread: pthread_t

    /// `responses` may use `{PORT}`, replaced by the server's port.
    init(_ responses: [String]) throws {
        let listening = try LoopbackListener()
        let port = listening.port
        self.port = port
        self.listening = listening
        self.responses = responses.map { $0.replacing("{PORT}", with: String(port)) }
        thread = pthread_t()
        let started = pthread_create(&thread, nil, { context in
            Unmanaged<CannedServer>.fromOpaque(context!).takeUnretainedValue().serve()
            return nil
        }, Unmanaged.passUnretained(self).toOpaque())
        try #require(started == 0)
    }

    /// Waits for the server thread; after this, `requests` is complete.
    func finish() -> [String] {
        pthread_join(thread, nil)
        close(listening.fd)
        return requests
    }

    private func serve() {
        for response in responses {
            let connection = listening.nextConnection()
            guard connection >= 0 else { return }
            var head: [UInt8] = []
            var chunk = [UInt8](repeating: 0, count: 4096)
            while !head.ends(with: Array("\r\n\r\n".utf8)) {
                let n = chunk.withUnsafeMutableBytes { recv(connection, $0.baseAddress, $0.count, 0) }
                if n <= 0 { break }
                head += chunk[..<n]
            }
            requests.append(String(decoding: head, as: UTF8.self))
            var bytes = Array(response.utf8)
            var sent = 0
            while sent < bytes.count {
                let n = bytes.withUnsafeMutableBytes { send(connection, $0.baseAddress! + sent, $0.count - sent, Int32(MSG_NOSIGNAL)) }
                if n <= 0 { break }
                sent += n
            }
            close(connection)
        }
    }
}

private extension Array where Element == UInt8 {
    func ends(with suffix: [UInt8]) -> Bool { count >= suffix.count && Array(self[(count - suffix.count)...]) == suffix }
}

private func ok(_ body: String, contentLength: Bool = true) -> String {
    "HTTP/1.1 200 OK\r\nConnection: close\r\n" + (contentLength ? "Content-Length: \(body.utf8.count)\r\n" : "") + "\r\n" + body
}

private func fetch(_ url: String, accept: String? = nil, maxBodySize: Int = 1 << 20, maxRedirects: Int = 5) throws(HTTPFetchError) -> HTTPFetch.Response {
    try HTTPFetch.get(HTTPFetch.Request(url: url, accept: accept, connectTimeout: 5, totalTimeout: 10,
                                        maxBodySize: maxBodySize, maxRedirects: maxRedirects))
}

private func fetchError(_ url: String, maxBodySize: Int = 1 << 20, maxRedirects: Int = 5) -> HTTPFetchError? {
    do { _ = try fetch(url, maxBodySize: maxBodySize, maxRedirects: maxRedirects); return nil } catch { return error }
}

@Suite struct HTTPFetchTests {
    @Test func returnsTheBodyAndSendsTheHeaders() throws {
        let server = try CannedServer([ok("{\"did\":\"did:plc:a\"}")])
        let response = try fetch("http://127.0.0.1:\(server.port)/xrpc/x?handle=a", accept: "application/json")
        let requests = server.finish()
        #expect(response.status == 200)
        #expect(response.body == Array("{\"did\":\"did:plc:a\"}".utf8))
        #expect(response.url == "http://127.0.0.1:\(server.port)/xrpc/x?handle=a")
        let head = try #require(requests.first)
        #expect(head.hasPrefix("GET /xrpc/x?handle=a HTTP/1.1\r\n"))
        #expect(head.contains("\r\nUser-Agent: \(JetstreamTail.userAgent)\r\n"))
        #expect(head.contains("\r\nAccept: application/json\r\n"))
    }

    @Test func anErrorStatusIsAnAnswerNotAFailure() throws {
        let server = try CannedServer(["HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 4\r\n\r\ngone"])
        let response = try fetch("http://127.0.0.1:\(server.port)/missing")
        _ = server.finish()
        #expect(response.status == 404)
        #expect(response.body == Array("gone".utf8))
    }

    @Test func followsRedirects() throws {
        let server = try CannedServer([
            "HTTP/1.1 302 Found\r\nLocation: http://127.0.0.1:{PORT}/b\r\nConnection: close\r\nContent-Length: 0\r\n\r\n",
            ok("moved"),
        ])
        let response = try fetch("http://127.0.0.1:\(server.port)/a")
        let requests = server.finish()
        #expect(response.status == 200 && response.body == Array("moved".utf8))
        #expect(response.url == "http://127.0.0.1:\(server.port)/b")
        #expect(requests.count == 2 && requests[1].hasPrefix("GET /b "))
    }

    @Test func stopsAfterTheRedirectLimit() throws {
        let redirect = "HTTP/1.1 302 Found\r\nLocation: /again\r\nConnection: close\r\nContent-Length: 0\r\n\r\n"
        let server = try CannedServer([redirect, redirect])
        let e = fetchError("http://127.0.0.1:\(server.port)/", maxRedirects: 1)
        _ = server.finish()
        #expect(e == .tooManyRedirects(limit: 1))
    }

    @Test func aRedirectCannotLeaveHTTPForAnotherScheme() throws {
        let server = try CannedServer(["HTTP/1.1 302 Found\r\nLocation: file:///etc/passwd\r\nConnection: close\r\nContent-Length: 0\r\n\r\n"])
        let e = fetchError("http://127.0.0.1:\(server.port)/")
        _ = server.finish()
        #expect(e != nil)
        if case .invalidURL = e {} else { Issue.record("got \(String(describing: e))") }
    }

    @Test func aDeclaredLargeBodyIsRefused() throws {
        let server = try CannedServer([ok(String(repeating: "x", count: 2000))])
        let e = fetchError("http://127.0.0.1:\(server.port)/", maxBodySize: 1000)
        _ = server.finish()
        #expect(e == .tooLarge(limit: 1000))
    }

    @Test func anUndeclaredLargeBodyIsCutOffWhileArriving() throws {
        let server = try CannedServer([ok(String(repeating: "x", count: 200_000), contentLength: false)])
        let e = fetchError("http://127.0.0.1:\(server.port)/", maxBodySize: 1000)
        _ = server.finish()
        #expect(e == .tooLarge(limit: 1000))
    }

    @Test func aBodyOfExactlyTheLimitIsAccepted() throws {
        let server = try CannedServer([ok(String(repeating: "x", count: 1000), contentLength: false)])
        let response = try fetch("http://127.0.0.1:\(server.port)/", maxBodySize: 1000)
        _ = server.finish()
        #expect(response.body.count == 1000)
    }

    @Test func anUnreachableServerSaysSo() {
        let e = fetchError("http://127.0.0.1:1/")
        if case let .unreachable(reason) = e {
            #expect(!reason.isEmpty)
        } else {
            Issue.record("got \(String(describing: e))")
        }
    }

    @Test func onlyHTTPAndHTTPSAreFetched() {
        #expect(fetchError("file:///etc/passwd") == .unsupportedURL("file:///etc/passwd"))
        #expect(fetchError("ftp://127.0.0.1/x") == .unsupportedURL("ftp://127.0.0.1/x"))
        #expect(fetchError("/etc/passwd") == .unsupportedURL("/etc/passwd"))
    }

    @Test func everyErrorHasAOneLineDescription() {
        let all: [HTTPFetchError] = [
            .unsupportedURL("x"), .invalidURL(reason: "r"), .unreachable(reason: "r"), .timedOut(reason: "r"),
            .certificate(reason: "r"), .tls(reason: "r"), .tooManyRedirects(limit: 5), .tooLarge(limit: 1),
            .setup(reason: "r"), .failed(reason: "r"),
        ]
        for e in all {
            #expect(!e.description.isEmpty && !e.description.contains("\n"))
        }
    }
}
