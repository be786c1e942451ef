#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import Testing
@testable import JetstreamTailCore

/// A fresh directory under /tmp, removed with everything in it when the value goes away. Also used
/// by the zstd dictionary cache tests.
final class TemporaryDirectory {
    let path: String
    init() throws {
        var template = Array("/tmp/jetstream-tail-test-XXXXXX".utf8CString)
        let made = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
        try #require(made != nil)
        path = template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
    }
    deinit { Self.remove(path) }

    private static func remove(_ path: String) {
        if let dir = opendir(path) {
            while let entry = readdir(dir) {
                let name = withUnsafeBytes(of: entry.pointee.d_name) { String(cString: $0.bindMemory(to: CChar.self).baseAddress!) }
                if name == "." || name == ".." { continue }
                remove(path + "/" + name)
            }
            closedir(dir)
            rmdir(path)
        } else {
            unlink(path)
        }
    }

    /// Names in `directory`, without `.` and `..`.
    static func names(in directory: String) -> [String] {
        guard let dir = opendir(directory) else { return [] }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(cString: $0.bindMemory(to: CChar.self).baseAddress!) }
            if name != "." && name != ".." { names.append(name) }
        }
        return names.sorted()
    }
}

private func mode(_ path: String) -> mode_t? {
    var info = stat()
    return stat(path, &info) == 0 ? info.st_mode & 0o777 : nil
}

private func readError(_ path: String, limit: Int) -> FileError? {
    do { _ = try FileIO.read(path, limit: limit); return nil } catch { return error }
}

@Suite struct FileIOTests {
    @Test func readsUpToTheLimitAndNoMore() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path + "/f"
        try FileIO.storeAtomically(Array(repeating: 7, count: 100), directory: dir.path, path: path)
        #expect(try FileIO.read(path, limit: 100) == Array(repeating: 7, count: 100))
        #expect(try FileIO.read(path, limit: 1000).count == 100)
        #expect(readError(path, limit: 99) == .tooLarge(limit: 99))
    }

    @Test func readsAFileWhoseSizeStatDoesNotKnow() throws {
        // /proc files are regular with st_size 0: the buffer grows as the bytes come.
        let status = try FileIO.read("/proc/self/status", limit: 1 << 20)
        #expect(status.count > 100)
        #expect(String(decoding: status, as: UTF8.self).hasPrefix("Name:"))
        #expect(readError("/proc/self/status", limit: 10) == .tooLarge(limit: 10))
    }

    @Test func readFailuresNameTheSystemError() throws {
        let dir = try TemporaryDirectory()
        let missing = readError(dir.path + "/missing", limit: 10)
        #expect(missing == .system(call: "open", path: dir.path + "/missing", code: ENOENT))
        #expect(missing?.reason == "No such file or directory")
        #expect(readError(dir.path, limit: 10) == .system(call: "read", path: dir.path, code: EISDIR))
    }

    @Test func storingCreatesPrivateDirectoriesAndLeavesNoTemporaryFile() throws {
        let dir = try TemporaryDirectory()
        let nested = dir.path + "/a/b/jetstream-tail"
        try FileIO.storeAtomically(Array("one".utf8), directory: nested, path: nested + "/file")
        #expect(try FileIO.read(nested + "/file", limit: 10) == Array("one".utf8))
        #expect(mode(dir.path + "/a") == 0o700)
        #expect(mode(nested) == 0o700)
        #expect(mode(nested + "/file") == 0o600)
        #expect(TemporaryDirectory.names(in: nested) == ["file"])
    }

    @Test func storingReplacesTheOldFile() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path + "/file"
        try FileIO.storeAtomically(Array("old contents".utf8), directory: dir.path, path: path)
        try FileIO.storeAtomically(Array("new".utf8), directory: dir.path, path: path)
        #expect(try FileIO.read(path, limit: 100) == Array("new".utf8))
        #expect(TemporaryDirectory.names(in: dir.path) == ["file"])
    }

    @Test func storingUnderARegularFileFailsCleanly() throws {
        let dir = try TemporaryDirectory()
        try FileIO.storeAtomically([1], directory: dir.path, path: dir.path + "/plain")
        #expect(throws: FileError.self) {
            try FileIO.storeAtomically([2], directory: dir.path + "/plain/sub", path: dir.path + "/plain/sub/file")
        }
        #expect(TemporaryDirectory.names(in: dir.path) == ["plain"])
    }

    @Test func makingExistingDirectoriesIsNotAnError() throws {
        let dir = try TemporaryDirectory()
        try FileIO.makeDirectories(dir.path, mode: 0o700)
        try FileIO.makeDirectories(dir.path + "/x/y", mode: 0o700)
        try FileIO.makeDirectories(dir.path + "/x/y", mode: 0o700)
        #expect(TemporaryDirectory.names(in: dir.path + "/x") == ["y"])
    }
}
