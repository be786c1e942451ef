#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Whole-file reads with a size limit, and crash-safe replacement of a file: what the dictionary
/// cache needs from the file system.
enum FileIO {
    /// Reads the file at `path`, refusing one larger than `limit` bytes, even one that grows while
    /// being read or that `stat` cannot size (a pipe).
    static func read(_ path: String, limit: Int) throws(FileError) -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw .system(call: "open", path: path, code: errno) }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw .system(call: "fstat", path: path, code: errno) }
        if (info.st_mode & S_IFMT) == S_IFDIR { throw .system(call: "read", path: path, code: EISDIR) }
        if (info.st_mode & S_IFMT) == S_IFREG, info.st_size > limit { throw .tooLarge(limit: limit) }

        // The buffer starts at the file's size (plus the byte that shows it grew; 64 KiB when there
        // is no size) and doubles only while more arrives, never past `limit + 1`: zero-filling
        // `limit + 1` bytes up front made a 110 KB dictionary read under the 16 MiB limit touch
        // 16 MiB, two thirds of the peak RSS of a `--compress --zstd-dict` run.
        let regular = (info.st_mode & S_IFMT) == S_IFREG
        var bytes = [UInt8](repeating: 0, count: min(limit, regular ? Int(info.st_size) : 64 << 10) + 1)
        var count = 0
        while true {
            if count == bytes.count {
                if count > limit { break }
                bytes += repeatElement(0, count: min(max(count, 4096), limit + 1 - count))
            }
            let n = bytes.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress! + count, $0.count - count) }
            if n < 0, errno == EINTR { continue }
            if n < 0 { throw .system(call: "read", path: path, code: errno) }
            if n == 0 { break }
            count += n
        }
        if count > limit { throw .tooLarge(limit: limit) }
        bytes.removeSubrange(count...)
        return bytes
    }

    /// Replaces `path` (inside `directory`) with `bytes` so that a reader sees either the old file
    /// or the whole new one, even after a crash or power loss: write a temporary file in the same
    /// directory, `fsync` it, `rename` it over the target, then `fsync` the directory so the
    /// rename itself is durable. Missing directories are created with mode 0700.
    static func storeAtomically(_ bytes: [UInt8], directory: String, path: String) throws(FileError) {
        try makeDirectories(directory, mode: 0o700)
        var template = Array((directory + "/.tmp-XXXXXX").utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard fd >= 0 else { throw .system(call: "mkstemp", path: directory, code: errno) }
        let temporary = template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        var committed = false
        defer { if !committed { unlink(temporary) } }

        var written = 0
        while written < bytes.count {
            let n = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + written, $0.count - written) }
            if n < 0, errno == EINTR { continue }
            if n <= 0 {
                let code = errno
                close(fd)
                throw .system(call: "write", path: temporary, code: code)
            }
            written += n
        }
        if fsync(fd) != 0 {
            let code = errno
            close(fd)
            throw .system(call: "fsync", path: temporary, code: code)
        }
        if close(fd) != 0 { throw .system(call: "close", path: temporary, code: errno) }
        guard rename(temporary, path) == 0 else { throw .system(call: "rename", path: path, code: errno) }
        committed = true

        let dirfd = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard dirfd >= 0 else { throw .system(call: "open", path: directory, code: errno) }
        defer { close(dirfd) }
        if fsync(dirfd) != 0 { throw .system(call: "fsync", path: directory, code: errno) }
    }

    /// `mkdir -p` with `mode` for each directory it creates; existing ones are left as they are.
    static func makeDirectories(_ path: String, mode: mode_t) throws(FileError) {
        if mkdir(path, mode) == 0 || errno == EEXIST { return }
        guard errno == ENOENT else { throw .system(call: "mkdir", path: path, code: errno) }
        let parent = String(path.utf8.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: false).dropLast()
            .map { String(decoding: $0, as: UTF8.self) }.joined(separator: "/"))
        guard !parent.isEmpty, parent != path else { throw .system(call: "mkdir", path: path, code: ENOENT) }
        try makeDirectories(parent, mode: mode)
        if mkdir(path, mode) != 0, errno != EEXIST { throw .system(call: "mkdir", path: path, code: errno) }
    }
}

/// Why a file operation failed.
enum FileError: Error, Equatable, CustomStringConvertible {
    /// The file is larger than the caller accepts.
    case tooLarge(limit: Int)
    /// A system call failed with `code` (an `errno` value).
    case system(call: String, path: String, code: Int32)

    /// The system's words for the failure, such as "No such file or directory".
    var reason: String {
        switch self {
        case let .tooLarge(limit): return "larger than \(limit) bytes"
        case let .system(_, _, code): return String(cString: strerror(code))
        }
    }

    var description: String {
        switch self {
        case .tooLarge: return reason
        case let .system(call, path, _): return "\(call) \(path): \(reason)"
        }
    }
}
