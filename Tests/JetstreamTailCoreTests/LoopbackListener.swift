#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import Testing

/// A listening TCP socket on 127.0.0.1 and a port the kernel picked, for tests that need a real
/// peer on loopback. The caller accepts (or not) and closes `fd`.
struct LoopbackListener {
    let fd: Int32
    let port: Int

    init() throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        try #require(fd >= 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let ready = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, length) == 0 && listen(fd, 8) == 0 && getsockname(fd, $0, &length) == 0
            }
        }
        if !ready { close(fd) }
        try #require(ready)
        self.fd = fd
        port = Int(UInt16(bigEndian: address.sin_port))
    }

    /// The next connection, waiting at most `milliseconds` for it; -1 when none came.
    func nextConnection(within milliseconds: Int32 = 5000) -> Int32 {
        var waiting = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        guard poll(&waiting, 1, milliseconds) == 1 else { return -1 }
        return accept(fd, nil, nil)
    }
}
