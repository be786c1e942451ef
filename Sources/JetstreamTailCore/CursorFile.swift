#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import Synchronization

/// The resume point kept in a `--cursor-file`: the last event already written to stdout.
///
/// On disk it is one line of space-separated `key=value` pairs, always written in this order:
///
///     time_us=1732350000123456 time=2024-11-23T08:20:00.123456Z seq=469083 host=jetstream.us-east.bsky.network
///
/// - `time_us` (required, first): the event's `time_us`, so `cut -d' ' -f1 | cut -d= -f2` or
///   `awk -F'[ =]' '{print $2}'` yields a value `--cursor` accepts.
/// - `time`: the same instant in RFC 3339, UTC, for people; ignored when reading.
/// - `seq` (v2 servers only): the event's `cursor` field, that server's sequence number.
/// - `host`: the server that sent the event; a sequence number means nothing on another instance.
///
/// Reading ignores keys it does not know, so a later version may add some, and accepts any
/// whitespace between pairs and at the end.
public struct SavedCursor: Equatable, Sendable {
    public var timeUS: Int64
    public var sequence: UInt64?
    public var host: String?

    public init(timeUS: Int64, sequence: UInt64? = nil, host: String? = nil) {
        self.timeUS = timeUS
        self.sequence = sequence
        self.host = host
    }

    /// The file's content: one line ending in a newline.
    public var line: String {
        var text = "time_us=\(timeUS) time=\(RFC3339.format(micros: timeUS))"
        if let sequence { text += " seq=\(sequence)" }
        if let host { text += " host=\(host)" }
        return text + "\n"
    }

    /// Reads the file's content; nil when it holds nothing but whitespace (a file created and never
    /// written, or emptied by hand to start over).
    public static func parse(_ text: String) throws(SavedCursorError) -> SavedCursor? {
        let lines = text.split(whereSeparator: { $0 == "\n" || $0 == "\r\n" || $0 == "\r" })
            .filter { !$0.allSatisfy(isBlank) }
        guard let line = lines.first else { return nil }
        if lines.count > 1 { throw .moreThanOneLine }

        var timeUS: Int64? = nil
        var sequence: UInt64? = nil
        var host: String? = nil
        var seen = Set<Substring>()
        for pair in line.split(whereSeparator: isBlank) {
            guard let eq = pair.firstIndex(of: "="), eq != pair.startIndex else { throw .notAPair(String(pair)) }
            let key = pair[..<eq]
            let value = pair[pair.index(after: eq)...]
            guard seen.insert(key).inserted else { throw .repeatedKey(String(key)) }
            switch key {
            case "time_us":
                guard let n = decimal(value), n <= UInt64(Int64.max) else { throw .invalidNumber(key: "time_us", value: String(value)) }
                timeUS = Int64(n)
            case "seq":
                guard let n = decimal(value) else { throw .invalidNumber(key: "seq", value: String(value)) }
                sequence = n
            case "host":
                guard !value.isEmpty else { throw .emptyHost }
                host = String(value)
            default:
                continue
            }
        }
        guard let timeUS else { throw .missingTimeUS }
        return SavedCursor(timeUS: timeUS, sequence: sequence, host: host)
    }

    /// Plain decimal digits only: no sign, no spaces, nothing Swift's integer parsing would also take.
    private static func decimal(_ text: Substring) -> UInt64? {
        guard !text.isEmpty, text.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) else { return nil }
        return UInt64(text)
    }

    private static func isBlank(_ c: Character) -> Bool { c == " " || c == "\t" }
}

/// What is wrong with the content of a cursor file. The description completes "PATH is not a
/// jetstream-tail cursor file: ".
public enum SavedCursorError: Error, Equatable, CustomStringConvertible {
    /// The file holds one resume point, on one line.
    case moreThanOneLine
    /// A word that is not `key=value`.
    case notAPair(String)
    /// A key given twice leaves the intended value unclear.
    case repeatedKey(String)
    /// `time_us` and `seq` are unsigned decimal integers.
    case invalidNumber(key: String, value: String)
    /// `host=` with nothing after it.
    case emptyHost
    /// Without `time_us` there is nothing to resume from.
    case missingTimeUS
    /// Longer than any cursor line: probably the wrong file, such as the output itself.
    case tooLong

    public var description: String {
        switch self {
        case .moreThanOneLine: return "it has more than one line"
        case let .notAPair(word): return "'\(word.prefix(40))' is not a key=value pair"
        case let .repeatedKey(key): return "'\(key)' appears twice"
        case let .invalidNumber(key, value): return "\(key) '\(value.prefix(40))' is not a whole number"
        case .emptyHost: return "host is empty"
        case .missingTimeUS: return "there is no time_us=MICROSECONDS"
        case .tooLong: return "it is longer than \(CursorFile.maxSize) bytes"
        }
    }
}

/// A `--cursor-file`: reads the saved resume point at start and replaces it atomically later.
///
/// **Locking.** An exclusive `flock` on a companion file, `PATH.lock`, makes a second run on the
/// same cursor file fail at once instead of racing the first. The data file itself cannot carry
/// the lock: every save renames a new file over it, so after the first save the lock would sit on
/// an unlinked inode and a second process opening PATH would lock the new one unhindered. Locking
/// the folder instead would forbid two cursor files side by side in one folder. `flock` rather
/// than `fcntl` record locks, because those are dropped when the process closes *any* descriptor of
/// the file. The lock file stays behind, empty; deleting it while a run holds it would let a second
/// run lock a fresh one, so it is never removed.
///
/// **Saving.** `save` writes `PATH.tmp` in the same folder (a rename is atomic only within one file
/// system), fsyncs it, renames it over PATH, then fsyncs the folder so the rename itself survives a
/// power loss. A reader therefore sees the old line or the new one, never a mix; a crash at worst
/// leaves a stale `PATH.tmp`, which the next save truncates. The temporary name is fixed, not
/// random, because only the lock holder writes and a fixed name cannot accumulate litter.
///
/// Thread-safe: `save` may be called from a writer thread while another one holds the object.
public final class CursorFile: Sendable {
    /// The cursor file, as given.
    public let path: String
    /// The lock file, `PATH.lock`.
    public let lockPath: String
    /// The descriptor holding the lock; -1 once closed. The mutex also keeps saves one at a time,
    /// since they share the temporary file.
    private let lock: Mutex<Int32>

    /// A cursor line is about 120 bytes; anything past this is not a cursor file.
    public static let maxSize = 4096

    /// Opens (creating if missing, mode 0644 before the umask) `PATH.lock` and takes an exclusive,
    /// non-blocking lock on it. The cursor file itself is created by the first `save`.
    public init(path: String) throws(CursorFileError) {
        self.path = path
        self.lockPath = path + ".lock"
        let fd = open(lockPath, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw .cannotOpen(lockPath, reason: systemError()) }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            let code = errno
            Glibc.close(fd)
            if code == EWOULDBLOCK { throw .locked(path) }
            throw .cannotOpen(lockPath, reason: systemError(code))
        }
        lock = Mutex(fd)
    }

    deinit { close() }

    /// Releases the lock. Later saves fail; the process exiting releases it too.
    public func close() {
        lock.withLock { fd in
            if fd >= 0 { Glibc.close(fd) }
            fd = -1
        }
    }

    /// The saved point; nil when the file does not exist or holds only whitespace.
    public func read() throws(CursorFileError) -> SavedCursor? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        if fd < 0 {
            if errno == ENOENT { return nil }
            throw .cannotRead(path, reason: systemError())
        }
        defer { Glibc.close(fd) }
        var bytes = [UInt8](repeating: 0, count: Self.maxSize + 1)
        var count = 0
        while count < bytes.count {
            let n = bytes.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress! + count, $0.count - count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw .cannotRead(path, reason: systemError())
            }
            if n == 0 { break }
            count += n
        }
        if count > Self.maxSize { throw .malformed(path, .tooLong) }
        do throws(SavedCursorError) {
            return try SavedCursor.parse(String(decoding: bytes[..<count], as: UTF8.self))
        } catch {
            throw .malformed(path, error)
        }
    }

    /// Replaces the saved point atomically and durably (see the type's notes). Call it only with an
    /// event whose bytes have already been written to stdout.
    public func save(_ cursor: SavedCursor) throws(CursorFileError) {
        if cursor.timeUS < 0 { throw .unwritable(path, reason: "negative time_us \(cursor.timeUS)") }
        if let host = cursor.host, host.isEmpty || !host.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) {
            throw .unwritable(path, reason: "host '\(host)' is empty or has spaces or control characters")
        }
        try lock.withLock { (fd: inout Int32) throws(CursorFileError) in
            guard fd >= 0 else { throw .unwritable(path, reason: "the cursor file was closed") }
            try replace(with: cursor.line)
        }
    }

    /// Temporary file, fsync, rename, fsync of the folder.
    private func replace(with text: String) throws(CursorFileError) {
        let temporary = path + ".tmp"
        // O_NOFOLLOW: a symbolic link planted at the temporary name must not redirect the write.
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0o644)
        guard fd >= 0 else { throw .unwritable(temporary, reason: systemError()) }
        var failure: String? = nil
        let bytes = Array(text.utf8)
        var written = 0
        while written < bytes.count, failure == nil {
            let n = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + written, $0.count - written) }
            if n < 0 {
                if errno != EINTR { failure = systemError() }
            } else {
                written += n
            }
        }
        if failure == nil, fsync(fd) != 0 { failure = systemError() }
        if Glibc.close(fd) != 0, failure == nil { failure = systemError() }
        if failure == nil, rename(temporary, path) != 0 { failure = systemError() }
        if let failure {
            unlink(temporary)
            throw .unwritable(path, reason: failure)
        }
        try syncFolder()
    }

    /// Makes the rename durable: POSIX leaves it to the folder's own fsync. Some file systems
    /// cannot fsync a folder (EINVAL); the rename is then as durable as they make it.
    private func syncFolder() throws(CursorFileError) {
        let folder = Self.folder(of: path)
        let fd = open(folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw .unwritable(path, reason: "cannot open its folder: \(systemError())") }
        defer { Glibc.close(fd) }
        if fsync(fd) != 0, errno != EINVAL {
            throw .unwritable(path, reason: "cannot sync its folder: \(systemError())")
        }
    }

    /// The folder part of a path: `.` for a bare name, `/` for a file at the root.
    static func folder(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        let folder = path[..<slash]
        return folder.isEmpty ? "/" : String(folder)
    }
}

private func systemError(_ code: Int32 = errno) -> String { String(cString: strerror(code)) }

/// Why the cursor file cannot be used. Every description names the file.
public enum CursorFileError: Error, Equatable, CustomStringConvertible {
    /// Another process holds `PATH.lock`.
    case locked(String)
    /// The lock file cannot be created or opened, as when the folder does not exist.
    case cannotOpen(String, reason: String)
    /// The cursor file exists but cannot be read.
    case cannotRead(String, reason: String)
    /// The content is not a cursor line.
    case malformed(String, SavedCursorError)
    /// A save failed. Unless only the final folder sync failed, the previous content is intact.
    case unwritable(String, reason: String)

    public var description: String {
        switch self {
        case let .locked(path): return "another jetstream-tail is using \(path)"
        case let .cannotOpen(path, reason): return "cannot open \(path): \(reason)"
        case let .cannotRead(path, reason): return "cannot read \(path): \(reason)"
        case let .malformed(path, error): return "\(path) is not a jetstream-tail cursor file: \(error)"
        case let .unwritable(path, reason): return "cannot save the cursor to \(path): \(reason)"
        }
    }
}
