import Testing
@testable import JetstreamTailCore
#if canImport(Glibc)
import Glibc
#endif

@Suite struct OutputWriterTests {
    /// A pipe whose read end the test drains.
    private final class Pipe {
        let read: Int32, write: Int32
        init() throws {
            var fds: [Int32] = [0, 0]
            try #require(pipe(&fds) == 0)
            read = fds[0]
            write = fds[1]
        }
        func drain() -> [UInt8] {
            Glibc.close(write)
            var out: [UInt8] = []
            var chunk = [UInt8](repeating: 0, count: 65536)
            while true {
                let n = chunk.withUnsafeMutableBytes { Glibc.read(read, $0.baseAddress, $0.count) }
                if n <= 0 { break }
                out += chunk[0..<n]
            }
            Glibc.close(read)
            return out
        }
    }

    private func line(_ w: OutputWriter, _ s: String) throws {
        var s = s
        try s.withUTF8 { try w.writeLine(UnsafeRawBufferPointer($0)) }
    }

    @Test func buffersLinesUntilFlushed() throws {
        let p = try Pipe()
        let w = OutputWriter(fd: p.write, capacity: 64)
        try line(w, "{\"a\":1}")
        try line(w, "{\"b\":2}")
        #expect(w.pendingBytes == 16)
        #expect(w.linesFlushed == 0)
        try w.flush()
        #expect(w.linesFlushed == 2)
        #expect(String(decoding: p.drain(), as: UTF8.self) == "{\"a\":1}\n{\"b\":2}\n")
    }

    @Test func flushesWhenTheBufferFillsAndKeepsOrder() throws {
        let p = try Pipe()
        let w = OutputWriter(fd: p.write, capacity: 32)
        var expected = ""
        for i in 0..<20 {
            try line(w, "{\"i\":\(i)}")
            expected += "{\"i\":\(i)}\n"
        }
        try w.flush()
        #expect(String(decoding: p.drain(), as: UTF8.self) == expected)
    }

    @Test func writesALineLargerThanTheBufferDirectly() throws {
        let p = try Pipe()
        let w = OutputWriter(fd: p.write, capacity: 16)
        let big = "{\"t\":\"" + String(repeating: "é", count: 100) + "\"}"
        try line(w, "{}")
        try line(w, big)
        try line(w, "[]")
        try w.flush()
        #expect(String(decoding: p.drain(), as: UTF8.self) == "{}\n" + big + "\n[]\n")
        #expect(w.linesFlushed == 3)
    }

    @Test func reportsABrokenPipe() throws {
        signal(SIGPIPE, SIG_IGN)
        let p = try Pipe()
        Glibc.close(p.read)
        let w = OutputWriter(fd: p.write, capacity: 16)
        try line(w, "{}")
        #expect(throws: OutputError.self) { try w.flush() }
        do { try w.flush(); Issue.record("expected EPIPE") } catch { #expect(error.isBrokenPipe) }
        Glibc.close(p.write)
    }
}
