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
}
