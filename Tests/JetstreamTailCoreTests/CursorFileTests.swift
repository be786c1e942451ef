#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import Testing
@testable import JetstreamTailCore

/// A fresh folder under /tmp, removed with everything in it when the test ends.
private final class TemporaryFolder {
    let path: String

    init() throws {
        var template = Array("/tmp/jetstream-tail-test-XXXXXX".utf8CString)
        let made = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
        path = String(cString: try #require(made))
    }

    deinit {
        for name in entries() { unlink(path + "/" + name) }
        rmdir(path)
    }

    /// The names in the folder, sorted, without `.` and `..`.
    func entries() -> [String] {
        guard let dir = opendir(path) else { return [] }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(cString: $0.bindMemory(to: CChar.self).baseAddress!) }
            if name != ".", name != ".." { names.append(name) }
        }
        return names.sorted()
    }

    func write(_ name: String, _ text: String) {
        let fd = open(path + "/" + name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        _ = Array(text.utf8).withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
        close(fd)
    }

    func read(_ name: String) -> String? {
        let fd = open(path + "/" + name, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var buffer = [UInt8](repeating: 0, count: 65536)
        let n = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
        return String(decoding: buffer[..<max(0, n)], as: UTF8.self)
    }

    func mode(_ name: String) -> mode_t {
        var info = stat()
        stat(path + "/" + name, &info)
        return info.st_mode & 0o777
    }
}

private func malformed(_ text: String) -> SavedCursorError? {
    do { _ = try SavedCursor.parse(text); return nil } catch { return error }
}

@Suite struct CursorFileTests {
    // MARK: The line format

    @Test func theLineIsKeyValuePairsWithTimeUSFirst() {
        let full = SavedCursor(timeUS: 1_732_350_000_123_456, sequence: 469_083, host: "jetstream.us-east.bsky.network")
        #expect(full.line == "time_us=1732350000123456 time=2024-11-23T08:20:00.123456Z seq=469083 host=jetstream.us-east.bsky.network\n")
        #expect(SavedCursor(timeUS: 1_732_350_000_000_000).line == "time_us=1732350000000000 time=2024-11-23T08:20:00.000000Z\n")
    }

    @Test func parseReadsWhatLineWrites() throws {
        for cursor in [
            SavedCursor(timeUS: 1_732_350_000_123_456, sequence: 469_083, host: "jetstream.us-east.bsky.network"),
            SavedCursor(timeUS: 1_732_350_000_123_456, sequence: nil, host: "[::1]:6008"),
            SavedCursor(timeUS: 0, sequence: 0, host: nil),
        ] {
            #expect(try SavedCursor.parse(cursor.line) == cursor)
        }
    }

    @Test func parseIsLenientAboutWhitespaceOrderAndNewKeys() throws {
        #expect(try SavedCursor.parse("time_us=5") == SavedCursor(timeUS: 5))
        #expect(try SavedCursor.parse("  host=h\tseq=7   time_us=5 \r\n\n") == SavedCursor(timeUS: 5, sequence: 7, host: "h"))
        #expect(try SavedCursor.parse("time_us=5 time=whatever future=1\n") == SavedCursor(timeUS: 5))
    }

    @Test func blankContentMeansNothingSaved() throws {
        #expect(try SavedCursor.parse("") == nil)
        #expect(try SavedCursor.parse(" \n\t\n") == nil)
    }

    @Test func garbageIsRefusedWithTheReason() {
        #expect(malformed("1732350000123456 jetstream2.us-east.bsky.network") == .notAPair("1732350000123456"))
        #expect(malformed("time_us=5\ntime_us=6\n") == .moreThanOneLine)
        #expect(malformed("time_us=5 time_us=6") == .repeatedKey("time_us"))
        #expect(malformed("=5") == .notAPair("=5"))
        #expect(malformed("time_us=-5") == .invalidNumber(key: "time_us", value: "-5"))
        #expect(malformed("time_us=9223372036854775808") == .invalidNumber(key: "time_us", value: "9223372036854775808"))
        #expect(malformed("time_us=5 seq=x") == .invalidNumber(key: "seq", value: "x"))
        #expect(malformed("time_us=") == .invalidNumber(key: "time_us", value: ""))
        #expect(malformed("time_us=5 host=") == .emptyHost)
        #expect(malformed("seq=5 host=h") == .missingTimeUS)
        #expect(malformed("{\"did\":\"did:plc:x\",\"time_us\":5}") == .notAPair("{\"did\":\"did:plc:x\",\"time_us\":5}"))
    }

    // MARK: The file

    @Test func aMissingFileReadsAsNothingAndCreatesOnlyTheLock() throws {
        let folder = try TemporaryFolder()
        let file = try CursorFile(path: folder.path + "/cursor")
        #expect(try file.read() == nil)
        #expect(folder.entries() == ["cursor.lock"])
        #expect(folder.mode("cursor.lock") & 0o600 == 0o600)
    }

    @Test func saveThenReadRoundTripsAndLeavesNoTemporaryFile() throws {
        let folder = try TemporaryFolder()
        let file = try CursorFile(path: folder.path + "/cursor")
        let cursor = SavedCursor(timeUS: 1_732_350_000_123_456, sequence: 469_083, host: "jetstream.us-east.bsky.network")
        try file.save(cursor)
        #expect(try file.read() == cursor)
        #expect(folder.read("cursor") == cursor.line)
        #expect(folder.entries() == ["cursor", "cursor.lock"])
    }

    @Test func aSaveReplacesTheLastOne() throws {
        let folder = try TemporaryFolder()
        let file = try CursorFile(path: folder.path + "/cursor")
        try file.save(SavedCursor(timeUS: 1_732_350_000_000_000, sequence: 1, host: "a.example"))
        try file.save(SavedCursor(timeUS: 1_732_350_000_000_001))
        #expect(folder.read("cursor") == "time_us=1732350000000001 time=2024-11-23T08:20:00.000001Z\n")
        #expect(folder.entries() == ["cursor", "cursor.lock"])
    }

    @Test func aSaveOverwritesAStaleTemporaryFile() throws {
        let folder = try TemporaryFolder()
        folder.write("cursor.tmp", "left by a crash, and much longer than the new line will be\n")
        let file = try CursorFile(path: folder.path + "/cursor")
        try file.save(SavedCursor(timeUS: 7))
        #expect(try file.read() == SavedCursor(timeUS: 7))
        #expect(folder.entries() == ["cursor", "cursor.lock"])
    }

    @Test func anExistingFileWrittenByHandIsRead() throws {
        let folder = try TemporaryFolder()
        folder.write("cursor", "time_us=1732350000123456\n")
        let file = try CursorFile(path: folder.path + "/cursor")
        #expect(try file.read() == SavedCursor(timeUS: 1_732_350_000_123_456))
    }

    @Test func garbageNamesTheFile() throws {
        let folder = try TemporaryFolder()
        folder.write("cursor", "hello\n")
        let file = try CursorFile(path: folder.path + "/cursor")
        #expect(throws: CursorFileError.malformed(folder.path + "/cursor", .notAPair("hello"))) { try file.read() }
        #expect(CursorFileError.malformed("/x/cursor", .notAPair("hello")).description
            == "/x/cursor is not a jetstream-tail cursor file: 'hello' is not a key=value pair")
    }

    @Test func aLargeFileIsNotACursorFile() throws {
        let folder = try TemporaryFolder()
        folder.write("cursor", String(repeating: "time_us=1 ", count: 500))
        let file = try CursorFile(path: folder.path + "/cursor")
        #expect(throws: CursorFileError.malformed(folder.path + "/cursor", .tooLong)) { try file.read() }
    }

    @Test func aFolderInPlaceOfTheFileCannotBeRead() throws {
        let folder = try TemporaryFolder()
        mkdir(folder.path + "/cursor", 0o755)
        defer { rmdir(folder.path + "/cursor") }
        let file = try CursorFile(path: folder.path + "/cursor")
        #expect(throws: CursorFileError.self) { try file.read() }
    }

    // MARK: The lock

    @Test func aSecondOpenOfTheSameFileIsRefusedAtOnce() throws {
        let folder = try TemporaryFolder()
        let path = folder.path + "/cursor"
        let first = try CursorFile(path: path)
        #expect(throws: CursorFileError.locked(path)) { try CursorFile(path: path) }
        #expect(CursorFileError.locked(path).description == "another jetstream-tail is using \(path)")
        _ = first
    }

    @Test func theLockSurvivesSaves() throws {
        let folder = try TemporaryFolder()
        let path = folder.path + "/cursor"
        let first = try CursorFile(path: path)
        try first.save(SavedCursor(timeUS: 1))
        try first.save(SavedCursor(timeUS: 2))
        #expect(throws: CursorFileError.locked(path)) { try CursorFile(path: path) }
    }

    @Test func closingReleasesTheLock() throws {
        let folder = try TemporaryFolder()
        let path = folder.path + "/cursor"
        let first = try CursorFile(path: path)
        first.close()
        #expect(throws: CursorFileError.unwritable(path, reason: "the cursor file was closed")) { try first.save(SavedCursor(timeUS: 1)) }
        let second = try CursorFile(path: path)
        try second.save(SavedCursor(timeUS: 3))
        #expect(try second.read() == SavedCursor(timeUS: 3))
    }

    @Test func twoCursorFilesInOneFolderDoNotBlockEachOther() throws {
        let folder = try TemporaryFolder()
        let a = try CursorFile(path: folder.path + "/a")
        let b = try CursorFile(path: folder.path + "/b")
        try a.save(SavedCursor(timeUS: 1))
        try b.save(SavedCursor(timeUS: 2))
        #expect(folder.entries() == ["a", "a.lock", "b", "b.lock"])
    }

    @Test func aMissingFolderIsReportedAtOpen() {
        let path = "/nonexistent-jetstream-tail-folder/cursor"
        #expect(throws: CursorFileError.cannotOpen(path + ".lock", reason: "No such file or directory")) { try CursorFile(path: path) }
    }

    // MARK: What save refuses

    @Test func valuesThatWouldBreakTheLineAreRefused() throws {
        let folder = try TemporaryFolder()
        let file = try CursorFile(path: folder.path + "/cursor")
        #expect(throws: CursorFileError.self) { try file.save(SavedCursor(timeUS: -1)) }
        #expect(throws: CursorFileError.self) { try file.save(SavedCursor(timeUS: 1, host: "a b")) }
        #expect(throws: CursorFileError.self) { try file.save(SavedCursor(timeUS: 1, host: "a\nb")) }
        #expect(throws: CursorFileError.self) { try file.save(SavedCursor(timeUS: 1, host: "")) }
        #expect(try file.read() == nil)
    }

    @Test func folderOfAPath() {
        #expect(CursorFile.folder(of: "cursor") == ".")
        #expect(CursorFile.folder(of: "/cursor") == "/")
        #expect(CursorFile.folder(of: "/a/b/cursor") == "/a/b")
        #expect(CursorFile.folder(of: "a/cursor") == "a")
    }
}
