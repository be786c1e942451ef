import Testing
@testable import JetstreamTailCore
#if canImport(Glibc)
import Glibc
#endif

@Suite struct EventQueueTests {
    private func batch(_ q: BatchQueue, _ lines: [String], mark: Int64? = nil) -> Batch {
        let b = q.emptyBatch()
        for var line in lines {
            let ok = line.withUTF8 { b.append(UnsafeRawBufferPointer($0), now: 1) }
            #expect(ok)
        }
        if let mark { b.last = ResumeMark(timeUS: mark) }
        return b
    }

    @Test func batchAppendsLinesWithNewlines() {
        let q = BatchQueue(maxEvents: 10, maxBytes: 1000, policy: .block)
        let b = batch(q, ["{}", "[1]"])
        #expect(Array(b.bytes) == Array("{}\n[1]\n".utf8))
        #expect(b.events == 2)
    }

    @Test func batchRefusesALineThatDoesNotFit() {
        let b = Batch(capacity: 4)
        #expect(b.append(UnsafeRawBufferPointer(start: nil, count: 0), now: 0))
        "abcd".utf8CString.withUnsafeBytes { raw in
            #expect(!b.append(UnsafeRawBufferPointer(rebasing: raw.prefix(4)), now: 0))
        }
    }

    @Test func batchLinesWrittenInPlaceAreKeptOnlyWhenCommitted() throws {
        let b = Batch(capacity: 16)
        #expect(b.reserve(16) == nil)  // no room left for the newline
        let room = try #require(b.reserve(5))
        room.copyBytes(from: Array("hello".utf8))
        #expect(b.events == 0 && b.bytes.isEmpty)  // written but not kept: the next line overwrites it
        b.commitLine(2, now: 3)
        #expect(Array(b.bytes) == Array("he\n".utf8))
        #expect(b.events == 1)
        let next = try #require(b.reserve(4))
        next.copyBytes(from: Array("a\nb}".utf8))
        b.commitLine(4, now: 4)
        b.joinLastLine(length: 4)
        #expect(Array(b.bytes) == Array("he\na b}\n".utf8))
    }

    /// A queue that fills and drains again reuses its batches rather than allocating new ones.
    @Test func drainedBatchesAreReusedUpToWhatTheQueueHolds() {
        let q = BatchQueue(maxEvents: 1000, maxBytes: 64 << 10, policy: .block, batchCapacity: 4096)
        let line = String(repeating: "x", count: 3000)  // too big to fold two into one batch
        var made: [Batch] = []
        for _ in 0..<10 {
            let b = batch(q, [line])
            made.append(b)
            #expect(q.push(b, deadline: .never) == .queued(dropped: 0))
        }
        for _ in 0..<10 { if let b = q.pop() { q.written(b) } }
        let again = (0..<10).map { _ in q.emptyBatch() }  // kept alive, so no address is reused
        #expect(Set(again.map(ObjectIdentifier.init)) == Set(made.map(ObjectIdentifier.init)))
    }

    @Test func dropPolicyDiscardsTheOldestAndCountsThem() {
        let q = BatchQueue(maxEvents: 3, maxBytes: 1 << 20, policy: .drop)
        #expect(q.push(batch(q, ["1", "2"]), deadline: .never) == .queued(dropped: 0))
        #expect(q.push(batch(q, ["3"]), deadline: .never) == .queued(dropped: 0))
        // The first two hand-offs were folded into one queued batch, which goes as a whole.
        #expect(q.push(batch(q, ["4", "5"]), deadline: .never) == .queued(dropped: 3))
        #expect(q.depth.events == 2)
    }

    @Test func smallHandOffsAreFoldedIntoTheLastQueuedBatch() {
        let q = BatchQueue(maxEvents: 100, maxBytes: 1 << 20, policy: .block)
        for i in 0..<10 {
            #expect(q.push(batch(q, ["{\"i\":\(i)}"], mark: Int64(i)), deadline: .never) == .queued(dropped: 0))
        }
        #expect(q.depth.events == 10)
        let first = q.pop()
        #expect(first?.events == 10)
        #expect(first.map { String(decoding: $0.bytes, as: UTF8.self) } == (0..<10).map { "{\"i\":\($0)}\n" }.joined())
        #expect(first?.last?.timeUS == 9)
    }

    @Test func blockPolicyWaitsAndReportsFull() {
        let q = BatchQueue(maxEvents: 2, maxBytes: 1 << 20, policy: .block)
        #expect(q.push(batch(q, ["1", "2"]), deadline: .never) == .queued(dropped: 0))
        #expect(q.push(batch(q, ["3"]), deadline: .after(seconds: 0.01)) == .full)
        #expect(q.depth.events == 2)
    }

    @Test func oneBatchAlwaysFitsAnEmptyQueue() {
        let q = BatchQueue(maxEvents: 1, maxBytes: 1, policy: .block)
        #expect(q.push(batch(q, ["a big one", "and more"]), deadline: .never) == .queued(dropped: 0))
    }

    @Test func writerThreadWritesInOrderAndTracksTheFlushedMark() throws {
        var fds: [Int32] = [0, 0]
        try #require(pipe(&fds) == 0)
        let q = BatchQueue(maxEvents: 100, maxBytes: 1 << 20, policy: .block)
        let w = StdoutWriter(queue: q, fd: fds[1])
        w.start()
        for i in 0..<20 {
            #expect(q.push(batch(q, ["{\"i\":\(i)}"], mark: Int64(i)), deadline: .never) == .queued(dropped: 0))
        }
        q.close()
        w.join()
        close(fds[1])
        var out: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = chunk.withUnsafeMutableBytes { read(fds[0], $0.baseAddress, $0.count) }
            if n <= 0 { break }
            out += chunk[0..<n]
        }
        close(fds[0])
        #expect(String(decoding: out, as: UTF8.self) == (0..<20).map { "{\"i\":\($0)}\n" }.joined())
        #expect(q.flushedState.events == 20)
        #expect(q.flushedState.mark?.timeUS == 19)
    }

    /// Runs `body` with a new temporary file opened with `flags`, a queue, and an inline writer on both.
    private func withInlineWriter(_ name: String, flags: Int32, _ body: (Int32, BatchQueue, StdoutWriter) throws -> Void) throws {
        let path = "/tmp/jt-\(name)-\(getpid())"
        let fd = open(path, flags | O_CREAT | O_TRUNC, 0o600)
        try #require(fd >= 0)
        defer { close(fd); unlink(path) }
        let q = BatchQueue(maxEvents: 100, maxBytes: 1 << 20, policy: .block)
        try body(fd, q, StdoutWriter(queue: q, fd: fd, inline: true))
    }

    @Test func anInlineWriterWritesOnTheCallersThreadAndTracksTheFlushedMark() throws {
        try withInlineWriter("inline-writer", flags: O_RDWR) { fd, q, w in
            w.start()  // starts nothing
            for i in 0..<3 {
                try w.write(batch(q, ["{\"i\":\(i)}", "{}"], mark: Int64(i)))
                // Each batch is out before the call returns.
                #expect(lseek(fd, 0, SEEK_END) == off_t(String((0...i).map { "{\"i\":\($0)}\n{}\n" }.joined()).utf8.count))
            }
            #expect(q.flushedState.events == 6)
            #expect(q.flushedState.mark?.timeUS == 2)
            #expect(q.depth.events == 0)
            q.close()
            w.join()
        }
    }

    @Test func anInlineWriterThatFailedKeepsFailingWithoutWriting() throws {
        // A read-only descriptor: write(2) fails with EBADF.
        try withInlineWriter("inline-failure", flags: O_RDONLY) { _, q, w in
            for attempt in 0..<2 {
                let failure: OutputError? = {
                    do throws(OutputError) { try w.write(batch(q, ["{}"], mark: 1)); return nil } catch { return error }
                }()
                #expect(failure?.errno == EBADF, "attempt \(attempt)")
            }
            #expect(q.writerFailure?.errno == EBADF)
            #expect(q.flushedState.events == 0)
        }
    }

    @Test func aClosedPipeStopsTheWriterAndTellsTheReader() throws {
        signal(SIGPIPE, SIG_IGN)
        var fds: [Int32] = [0, 0]
        try #require(pipe(&fds) == 0)
        close(fds[0])
        let q = BatchQueue(maxEvents: 100, maxBytes: 1 << 20, policy: .block)
        let w = StdoutWriter(queue: q, fd: fds[1])
        w.start()
        _ = q.push(batch(q, ["{}"]), deadline: .never)
        var result = BatchQueue.PushResult.full
        for _ in 0..<200 {
            result = q.push(batch(q, ["{}"]), deadline: .after(seconds: 0.01))
            if case .writerStopped = result { break }
            usleep(5000)
        }
        guard case .writerStopped(let error) = result else { Issue.record("writer did not stop: \(result)"); return }
        #expect(error.isBrokenPipe)
        q.close()
        w.join()
        close(fds[1])
    }
}
