#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// The lists behind `--did @FILE`, `--did -` and the same for `--handle`: one value per line, as
/// people keep them in files and as `jq -r` and `cut` print them.
///
/// Everything from a `#` to the end of its line is a comment (neither DIDs nor handles can hold a
/// `#`), spaces, tabs and a trailing CR are trimmed, and lines left empty are skipped. Each value keeps
/// its line number, so a bad one is reported as `FILE:LINE:`.
public enum ListFile {
    /// A list longer than this is refused rather than read: 10,000 DIDs take well under 1 MiB, and
    /// the bound keeps `@/dev/zero` from exhausting memory.
    public static let maxBytes = 16 << 20

    /// The values of a list, with their 1-based line numbers.
    public static func items(_ bytes: [UInt8]) -> [(line: Int, value: String)] {
        var result: [(line: Int, value: String)] = []
        var number = 0
        for line in bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
            number += 1
            var content = line[...]
            if let hash = content.firstIndex(of: UInt8(ascii: "#")) { content = content[..<hash] }
            while let b = content.first, isBlank(b) { content = content.dropFirst() }
            while let b = content.last, isBlank(b) { content = content.dropLast() }
            if !content.isEmpty { result.append((number, String(decoding: content, as: UTF8.self))) }
        }
        return result
    }

    /// The whole of the file at `path`, for the option `option`.
    public static func read(path: String, option: String) throws(UsageError) -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw .unreadableFile(path, option: option, reason: String(cString: strerror(errno))) }
        defer { close(fd) }
        var info = stat()
        if fstat(fd, &info) == 0, (info.st_mode & S_IFMT) == S_IFDIR {
            throw .unreadableFile(path, option: option, reason: String(cString: strerror(EISDIR)))
        }
        return try readAll(fd: fd, name: path, option: option)
    }

    /// Everything standard input holds, up to end of file.
    public static func readStandardInput(option: String) throws(UsageError) -> [UInt8] {
        try readAll(fd: 0, name: "-", option: option)
    }

    private static func readAll(fd: Int32, name: String, option: String) throws(UsageError) -> [UInt8] {
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw .unreadableFile(name, option: option, reason: String(cString: strerror(errno)))
            }
            if n == 0 { return bytes }
            if bytes.count + n > maxBytes {
                throw .unreadableFile(name, option: option, reason: "longer than \(OptionValue.formatBytes(Int64(maxBytes)))")
            }
            bytes += chunk[..<n]
        }
    }

    private static func isBlank(_ b: UInt8) -> Bool {
        b == UInt8(ascii: " ") || b == UInt8(ascii: "\t") || b == UInt8(ascii: "\r")
    }
}
