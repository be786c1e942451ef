import Testing
@testable import JetstreamTailCore
#if canImport(Glibc)
import Glibc
#endif

@Suite struct OutputWriterTests {
    private func pipePair() throws -> (read: Int32, write: Int32) {
        var fds: [Int32] = [0, 0]
        try #require(pipe(&fds) == 0)
        return (fds[0], fds[1])
    }

    private func drain(_ fd: Int32) -> [UInt8] {
        var out: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n <= 0 { break }
            out += chunk[0..<n]
        }
        return out
    }

    @Test func writesEveryByteInOrder() throws {
        let (r, w) = try pipePair()
        let writer = OutputWriter(fd: w)
        let block = Array("{\"a\":1}\n{\"t\":\"é\"}\n".utf8)
        try block.withUnsafeBytes { try writer.writeAll($0) }
        try [UInt8]().withUnsafeBytes { try writer.writeAll($0) }
        close(w)
        #expect(drain(r) == block)
        close(r)
    }

    @Test func reportsABrokenPipe() throws {
        signal(SIGPIPE, SIG_IGN)
        let (r, w) = try pipePair()
        close(r)
        let writer = OutputWriter(fd: w)
        let failure: OutputError? = Array("{}\n".utf8).withUnsafeBytes { raw -> OutputError? in
            do throws(OutputError) { try writer.writeAll(raw); return nil } catch { return error }
        }
        #expect(failure?.isBrokenPipe == true)
        close(w)
    }

    @Test func onlyAFileOrDevNullNeverWaitsForAReader() throws {
        let path = "/tmp/jt-output-writer-\(getpid())"
        let file = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        try #require(file >= 0)
        defer { close(file); unlink(path) }
        #expect(OutputWriter.neverWaitsForAReader(fd: file))
        let null = open("/dev/null", O_WRONLY)
        try #require(null >= 0)
        defer { close(null) }
        #expect(OutputWriter.neverWaitsForAReader(fd: null))
        // Another character device, a pipe and a closed descriptor may all make a write wait, or fail.
        let zero = open("/dev/zero", O_WRONLY)
        try #require(zero >= 0)
        defer { close(zero) }
        #expect(!OutputWriter.neverWaitsForAReader(fd: zero))
        let (r, w) = try pipePair()
        #expect(!OutputWriter.neverWaitsForAReader(fd: w))
        close(r)
        close(w)
        #expect(!OutputWriter.neverWaitsForAReader(fd: w))
    }
}
