#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import Testing
@testable import JetstreamTailCore

/// A transport that says nothing about its read size.
private final class SilentTransport: Transport {
    func send(_ bytes: UnsafeRawBufferPointer, deadline: Deadline) throws(TransportError) {}
    func receive(into buffer: UnsafeMutableRawBufferPointer, deadline: Deadline) throws(TransportError) -> Int? { 0 }
    func close() {}
}

/// A `SocketTransport` connected to a fresh loopback listener, and the listener's end of it.
private func connectedPair() throws -> (transport: SocketTransport, peer: Int32, listener: LoopbackListener) {
    let listener = try LoopbackListener()
    let transport = try SocketTransport(host: "127.0.0.1", port: listener.port, deadline: .after(seconds: 5))
    let peer = listener.nextConnection()
    try #require(peer >= 0)
    return (transport, peer, listener)
}

private func receive(_ transport: SocketTransport, capacity: Int = 4096, seconds: Double = 5) throws -> [UInt8]? {
    var bytes = [UInt8](repeating: 0, count: capacity)
    let count = try bytes.withUnsafeMutableBytes { buffer throws(TransportError) in
        try transport.receive(into: buffer, deadline: .after(seconds: seconds))
    }
    return count.map { Array(bytes[..<$0]) }
}

@Suite struct SocketTransportTests {
    @Test func aPlainSocketIsReadUpTo1MiBAtATimeOtherTransports256KiB() throws {
        let (transport, peer, listener) = try connectedPair()
        defer { transport.close(); close(peer); close(listener.fd) }
        #expect(transport.readBufferSize == 1 << 20)
        #expect(SilentTransport().readBufferSize == 256 << 10)
    }

    @Test func receiveBringsWhatThePeerSentThenZeroAtTheEnd() throws {
        let (transport, peer, listener) = try connectedPair()
        defer { transport.close(); close(listener.fd) }
        let hello = Array("hello".utf8)
        #expect(hello.withUnsafeBytes { send(peer, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) } == hello.count)
        close(peer)
        #expect(try receive(transport) == hello)
        #expect(try receive(transport) == [])
    }

    @Test func receiveGivesNilWhenTheDeadlinePassesWithNothingToRead() throws {
        let (transport, peer, listener) = try connectedPair()
        defer { transport.close(); close(peer); close(listener.fd) }
        #expect(try receive(transport, seconds: 0.05) == nil)
    }

    @Test func sendDeliversEveryByte() throws {
        let (transport, peer, listener) = try connectedPair()
        defer { transport.close(); close(peer); close(listener.fd) }
        let message = [UInt8](repeating: 0x61, count: 100_000)
        try transport.send(message, deadline: .after(seconds: 5))
        var got = 0
        var chunk = [UInt8](repeating: 0, count: 65536)
        while got < message.count {
            var ready = pollfd(fd: peer, events: Int16(POLLIN), revents: 0)
            try #require(poll(&ready, 1, 5000) == 1)
            let n = chunk.withUnsafeMutableBytes { recv(peer, $0.baseAddress, $0.count, 0) }
            try #require(n > 0)
            #expect(chunk[..<n].allSatisfy { $0 == 0x61 })
            got += n
        }
        #expect(got == message.count)
    }

    @Test func aRefusedConnectionNamesTheHostAndPort() throws {
        let listener = try LoopbackListener()
        let port = listener.port
        close(listener.fd)
        do {
            let transport = try SocketTransport(host: "127.0.0.1", port: port, deadline: .after(seconds: 5))
            transport.close()
            Issue.record("connected to a closed port")
        } catch {
            guard case let .connect(host, failedPort, _) = error else { Issue.record("unexpected \(error)"); return }
            #expect(host == "127.0.0.1" && failedPort == port)
            #expect(error.description.contains("127.0.0.1 port \(port)"))
        }
    }
}
