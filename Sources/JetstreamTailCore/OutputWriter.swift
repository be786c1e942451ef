#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Writes whole blocks to stdout (fd 1): each block is a batch of JSON lines from `BatchQueue`, so a
/// fast stream leaves in few large `write(2)` calls. stdout is left blocking: O_NONBLOCK would leak
/// into the shell's shared file description.
public struct OutputWriter: Sendable {
    public let fd: Int32

    public init(fd: Int32 = 1) { self.fd = fd }

    /// Whether a write to `fd` completes without waiting for another process to read: true for a
    /// regular file and for /dev/null, false for pipes, sockets, terminals and anything unknown.
    public static func neverWaitsForAReader(fd: Int32) -> Bool {
        var output = stat()
        guard fstat(fd, &output) == 0 else { return false }
        let type = output.st_mode & S_IFMT
        if type == S_IFREG { return true }
        guard type == S_IFCHR else { return false }
        var null = stat()
        return stat("/dev/null", &null) == 0 && null.st_mode & S_IFMT == S_IFCHR && null.st_rdev == output.st_rdev
    }

    /// Writes every byte, retrying short writes and interruptions.
    public func writeAll(_ bytes: UnsafeRawBufferPointer) throws(OutputError) {
        var offset = 0
        while offset < bytes.count {
            let n = write(fd, bytes.baseAddress! + offset, bytes.count - offset)
            if n > 0 { offset += n; continue }
            if n < 0 && (errno == EINTR || errno == EAGAIN) { continue }
            throw OutputError(errno: n < 0 ? errno : EIO)
        }
    }
}

/// Writing to stdout failed. `EPIPE` means the reader went away (`| head -n 3`): a normal end.
public struct OutputError: Error, Equatable, CustomStringConvertible {
    public var errno: Int32
    public var isBrokenPipe: Bool { errno == EPIPE }
    public var description: String { "cannot write to stdout: \(SystemError.describe(errno))" }
}
