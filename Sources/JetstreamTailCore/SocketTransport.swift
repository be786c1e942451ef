#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// `ws://` over a plain TCP socket: `getaddrinfo` (IPv4 and IPv6, each address tried in turn),
/// a non-blocking connect bounded by the deadline, then non-blocking reads and writes that wait
/// in `poll(2)`.
public final class SocketTransport: Transport {
    private var fd: Int32

    /// 1 MiB. Most of a fast ws:// stream's CPU time is the kernel's, and some of that is per
    /// `recv`: reading up to 1 MiB at a time instead of 256 KiB took 7–17% off it
    /// (docs/performance.md) for 0.75 MiB more memory. Over TLS the reads are libcurl's, so
    /// `CurlTransport` keeps the default.
    public var readBufferSize: Int { 1024 * 1024 }

    /// Connects to `host`:`port`, trying every resolved address until one answers or `deadline` passes.
    public init(host: String, port: Int, deadline: Deadline) throws(TransportError) {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_protocol = Int32(IPPROTO_TCP)
        var list: UnsafeMutablePointer<addrinfo>?
        let rc = getaddrinfo(host, String(port), &hints, &list)
        guard rc == 0, let first = list else {
            throw .resolve(host: host, reason: rc == EAI_SYSTEM ? SystemError.describe(errno) : String(cString: gai_strerror(rc)))
        }
        defer { freeaddrinfo(list) }

        var lastError = TransportError.connect(host: host, port: port, reason: "no usable address")
        var cursor: UnsafeMutablePointer<addrinfo>? = first
        while let ai = cursor {
            cursor = ai.pointee.ai_next
            if deadline.hasPassed { throw .connectTimeout(host: host, port: port) }
            let s = socket(ai.pointee.ai_family, ai.pointee.ai_socktype | Int32(SOCK_CLOEXEC.rawValue) | Int32(SOCK_NONBLOCK.rawValue), ai.pointee.ai_protocol)
            if s < 0 { lastError = .connect(host: host, port: port, reason: SystemError.describe(errno)); continue }
            do {
                try Self.connect(s, ai.pointee.ai_addr, ai.pointee.ai_addrlen, host: host, port: port, deadline: deadline)
                Self.tune(s)
                fd = s
                return
            } catch {
                Glibc.close(s)
                if case .connectTimeout = error { throw error }
                lastError = error
            }
        }
        throw lastError
    }

    deinit { close() }

    private static func connect(_ s: Int32, _ addr: UnsafeMutablePointer<sockaddr>!, _ len: socklen_t, host: String, port: Int, deadline: Deadline) throws(TransportError) {
        if Glibc.connect(s, addr, len) == 0 { return }
        guard errno == EINPROGRESS else { throw .connect(host: host, port: port, reason: SystemError.describe(errno)) }
        var p = pollfd(fd: s, events: Int16(POLLOUT), revents: 0)
        while true {
            let n = poll(&p, 1, deadline.pollTimeout)
            if n < 0 {
                if errno == EINTR { continue }
                throw .connect(host: host, port: port, reason: SystemError.describe(errno))
            }
            if n == 0 { throw .connectTimeout(host: host, port: port) }
            break
        }
        var soError: Int32 = 0
        var optLen = socklen_t(MemoryLayout<Int32>.size)
        getsockopt(s, SOL_SOCKET, SO_ERROR, &soError, &optLen)
        if soError != 0 { throw .connect(host: host, port: port, reason: SystemError.describe(soError)) }
    }

    /// Disables Nagle (close and pong frames should leave at once) and asks for a large receive buffer.
    private static func tune(_ s: Int32) {
        var one: Int32 = 1
        setsockopt(s, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
    }

    public func send(_ bytes: UnsafeRawBufferPointer, deadline: Deadline) throws(TransportError) {
        guard fd >= 0 else { throw .io(call: "send", reason: "connection closed") }
        var offset = 0
        while offset < bytes.count {
            let n = Glibc.send(fd, bytes.baseAddress! + offset, bytes.count - offset, Int32(MSG_NOSIGNAL))
            if n >= 0 { offset += n; continue }
            switch errno {
            case EINTR: continue
            case EAGAIN, EWOULDBLOCK:
                if try !wait(for: Int16(POLLOUT), deadline: deadline) { throw .sendTimeout }
            default: throw .io(call: "send", reason: SystemError.describe(errno))
            }
        }
    }

    public func receive(into buffer: UnsafeMutableRawBufferPointer, deadline: Deadline) throws(TransportError) -> Int? {
        guard fd >= 0 else { throw .io(call: "recv", reason: "connection closed") }
        while true {
            let n = recv(fd, buffer.baseAddress, buffer.count, 0)
            if n >= 0 { return n }
            switch errno {
            case EINTR: continue
            case EAGAIN, EWOULDBLOCK:
                if try !wait(for: Int16(POLLIN), deadline: deadline) { return nil }
            default: throw .io(call: "recv", reason: SystemError.describe(errno))
            }
        }
    }

    /// Waits until the socket is ready for `events`; false when the deadline passed first.
    private func wait(for events: Int16, deadline: Deadline) throws(TransportError) -> Bool {
        try SocketPoll.wait(fd: fd, events: events, deadline: deadline)
    }

    public func close() {
        if fd >= 0 { Glibc.close(fd); fd = -1 }
    }
}

@available(*, unavailable)
extension SocketTransport: Sendable {}

/// `poll(2)` on one descriptor, retried on EINTR, shared by both transports.
enum SocketPoll {
    /// True when ready (or in error/hang-up, which the next read or write reports); false on timeout.
    /// Reads return early (false) when a signal interrupts the wait, so the caller can look at its
    /// stop flag; writes keep waiting until their deadline.
    static func wait(fd: Int32, events: Int16, deadline: Deadline) throws(TransportError) -> Bool {
        var p = pollfd(fd: fd, events: events, revents: 0)
        while true {
            let n = poll(&p, 1, deadline.pollTimeout)
            if n > 0 { return true }
            if n == 0 { return false }
            if errno == EINTR {
                if deadline.hasPassed || events & Int16(POLLIN) != 0 { return false }
                continue
            }
            throw .io(call: "poll", reason: SystemError.describe(errno))
        }
    }
}

/// Text for an `errno` value, as `strerror(3)` gives it.
public enum SystemError {
    public static func describe(_ code: Int32) -> String {
        String(cString: strerror(code))
    }
}
