// Coverage-guided fuzz targets for everything that reads bytes a server, a file or a user controls.
//
// Not part of the Swift package: `Scripts/fuzz` compiles this file together with the sources of
// JetstreamTailCore into one module, under libFuzzer and AddressSanitizer, so the targets reach
// internal API and every out-of-bounds read or write stops the run. It picks the target with the
// environment variable JT_FUZZ_TARGET. Each target checks more than "no crash": the fast paths
// are compared with an independent reading of the same bytes (the standard library's UTF-8
// decoder, the full JSON scan, libzstd's own header parser, the same stream delivered whole),
// what is written is read back, and errors must stay one line of plain text. A broken property
// aborts, which libFuzzer reports with the input that did it.

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import CLibs

enum FuzzTarget: String, CaseIterable {
    /// `UTF8Validator`, whole and fed in pieces, against the standard library's decoder.
    case utf8
    /// `EventScanner`: the prefix fast path against the full scan.
    case scan
    /// `MessageReader` over a `ReadBuffer`: any stream of server bytes, delivered in pieces.
    case frames
    /// The upgrade: `Handshake.perform` reading a server's answer through a scripted transport.
    case handshake
    /// `CloseFrame.parse` on a Close frame body.
    case close
    /// `ZstdDecoder` with Jetstream's dictionary, and its frame header reader against libzstd's.
    case zstd
    /// What a user or a cursor file supplies: `SavedCursor.parse`, `CursorSpec.parse`, `RFC3339`.
    case cursor
    /// The command line: `Arguments.parse` on any arguments, environment and standard input.
    case args
    /// `--handle`: `HandleResolver.resolve` on any answer (status and body) from the resolver.
    case resolver
    /// The whole tail (`Tailer.run`) against a loopback server that answers the upgrade and then
    /// sends the input: framing, the scan, resume tracking, batches, the writer, decompression on
    /// two threads. What reaches stdout must be lines of UTF-8 that the scan accepts.
    case tail
}

nonisolated(unsafe) private var selected = FuzzTarget.utf8
nonisolated(unsafe) private var zstdDecoder: ZstdDecoder?
nonisolated(unsafe) private var dictionaryPath = ""

@_cdecl("LLVMFuzzerInitialize")
public func fuzzInitialize(_ argc: UnsafeMutablePointer<Int32>,
                           _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>) -> Int32 {
    let names = FuzzTarget.allCases.map(\.rawValue).joined(separator: ", ")
    guard let name = getenv("JT_FUZZ_TARGET").map({ String(cString: $0) }), let target = FuzzTarget(rawValue: name) else {
        fputs("jetstream-tail-fuzz: set JT_FUZZ_TARGET to one of: \(names)\n", stderr)
        exit(2)
    }
    selected = target
    if target == .zstd || target == .tail {
        guard let path = getenv("JT_FUZZ_ZSTD_DICT").map({ String(cString: $0) }), let dictionary = try? FileIO.read(path, limit: 16 << 20) else {
            fputs("jetstream-tail-fuzz: the zstd target needs JT_FUZZ_ZSTD_DICT, the dictionary file\n", stderr)
            exit(2)
        }
        dictionaryPath = path
        do { zstdDecoder = try ZstdDecoder(dictionary: dictionary) } catch {
            fputs("jetstream-tail-fuzz: \(error)\n", stderr)
            exit(2)
        }
    }
    return 0
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let input = UnsafeRawBufferPointer(start: data, count: size)
    switch selected {
    case .utf8: fuzzUTF8(input)
    case .scan: fuzzScan(input)
    case .frames: fuzzFrames(input)
    case .handshake: fuzzHandshake(input)
    case .close: fuzzClose(input)
    case .zstd: fuzzZstd(input)
    case .cursor: fuzzCursor(input)
    case .args: fuzzArguments(input)
    case .resolver: fuzzResolver(input)
    case .tail: fuzzTail(input)
    }
    return 0
}

// MARK: - Targets

private func fuzzUTF8(_ input: UnsafeRawBufferPointer) {
    let expected = String(validating: input, as: UTF8.self) != nil
    withExactCopy(input) { bytes in
        require(UTF8Validator.isValid(bytes) == expected, "isValid disagrees with the standard library")
    }
    // The same bytes fed in up to four pieces, cut where the input's own hash says; each piece is
    // its own allocation, so a read past the end of a piece is caught.
    var validator = UTF8Validator()
    var accepted = true
    for piece in pieces(of: input.count, seed: hash(input), most: 4) {
        let ok = withExactCopy(UnsafeRawBufferPointer(rebasing: input[piece])) { validator.feed($0) }
        if !ok { accepted = false; break }
    }
    require((accepted && validator.isAtBoundary) == expected, "feeding in pieces disagrees with the whole")
}

private func fuzzScan(_ input: UnsafeRawBufferPointer) {
    withExactCopy(input) { bytes in
        let full = EventScanner.validate(bytes)
        let fast = EventScanner.scan(bytes)
        let lean = EventScanner.scan(bytes, commitFields: false)
        // The fast path checks only the prefix and the closing brace of an event in the server's
        // layout, so it may accept bytes the full scan refuses (and, reading less of the prefix
        // with commitFields: false, more of them). Whatever the full scan accepts, both accept.
        if full != nil { require(fast != nil && lean != nil, "scan refused a JSON object") }
        let lineBreaks = bytes.contains(0x0A)
        guard !lineBreaks, let prefix = EventScanner.scanPrefix(bytes) else {
            // A line break, or not the server's layout: `scan` is the full scan.
            var expected = full
            expected?.hasLineBreaks = lineBreaks
            require(fast == expected, "scan is not the full scan for an event outside the fast path")
            return
        }
        require(fast == prefix, "scan is not its own fast path")
        // When both accept, the fields are the same, unless a key the fast path reads appears after
        // the prefix (see `EventScanner.scan`); it reads the commit's fields only for a commit.
        guard var full, !repeatsAKey(bytes), prefix.cursor != nil || occurrences(of: Array("\"cursor\"".utf8), in: bytes) == 0
        else { return }
        if full.kind != .commit { (full.rev, full.operation, full.collection, full.rkey) = (nil, nil, nil, nil) }
        require(prefix == full, "the fast path read other fields than the full scan: \(prefix) against \(full)")
        if let lean {
            require(lean.timeUS == full.timeUS && lean.cursor == full.cursor && lean.kind == full.kind && lean.did == full.did,
                    "commitFields: false changed a top-level field")
        }
    }
}

private func fuzzFrames(_ input: UnsafeRawBufferPointer) {
    guard input.count >= 2 else { return }
    // First byte: the message size limit (a few sizes around the frame length forms); the rest is
    // the stream, delivered whole and then in pieces.
    let limits = [0, 1, 125, 126, 65_535, 65_536, 1 << 20]
    let limit = limits[Int(input[0]) % limits.count]
    let stream = UnsafeRawBufferPointer(rebasing: input[1...])
    let whole = readAll(stream, pieces: [0..<stream.count], limit: limit, takingBuffered: false)
    let split = readAll(stream, pieces: pieces(of: stream.count, seed: hash(input), most: 8), limit: limit, takingBuffered: true)
    require(whole == split, "a stream read in pieces gave other messages than read whole")
}

private func fuzzHandshake(_ input: UnsafeRawBufferPointer) {
    let transport = ScriptedTransport(input, pieces: pieces(of: input.count, seed: hash(input), most: 6))
    let endpoint = Endpoint(scheme: .ws, host: "localhost", port: 6008)
    let key = "dGhlIHNhbXBsZSBub25jZQ=="
    do {
        let rest = try Handshake.perform(over: transport, endpoint: endpoint, target: "/subscribe",
                                         deadline: .never, extraHeaders: [], key: key)
        require(rest.count <= input.count, "the handshake returned more bytes than arrived")
    } catch {
        // Every refusal is an error with a description of one line of plain text, whatever the
        // server's answer held.
        let text = String(describing: error)
        require(!text.isEmpty && !text.unicodeScalars.contains(where: Diagnostics.isControl),
                "a handshake error that is not one line of plain text: \(text.debugDescription)")
    }
}

private func fuzzClose(_ input: UnsafeRawBufferPointer) {
    withExactCopy(input) { body in
        guard let (code, reason) = try? CloseFrame.parse(body) else { return }
        if let code { require(CloseFrame.isValidCode(code), "accepted close code \(code)") }
        require(String(validating: reason, as: UTF8.self) != nil, "accepted a close reason that is not UTF-8")
    }
}

private func fuzzZstd(_ input: UnsafeRawBufferPointer) {
    guard let decoder = zstdDecoder else { return }
    withExactCopy(input) { frame in
        let declared = ZstdDecoder.declaredSize(frame)
        if let base = frame.baseAddress, frame.count >= 4, frame.loadUnaligned(as: UInt32.self) == UInt32(littleEndian: 0xFD2F_B528) {
            // Our header reader against libzstd's, wherever libzstd can read the header
            // (ZSTD_CONTENTSIZE_UNKNOWN and ZSTD_CONTENTSIZE_ERROR are the two largest values).
            let theirs = ZSTD_getFrameContentSize(base, frame.count)
            if theirs != UInt64.max - 1 {
                let header = ZstdDecoder.frameHeader(frame)
                require(header != nil, "libzstd reads a frame header that frameHeader refuses")
                // An 8-byte size field of all ones reads as ZSTD_CONTENTSIZE_UNKNOWN there too.
                let size = header?.contentSize
                require(size == (theirs == .max ? nil : theirs) || (theirs == .max && size == .max),
                        "the header declares \(String(describing: size)) but libzstd reads \(theirs)")
                require(header?.dictionaryID == ZSTD_getDictID_fromFrame(base, frame.count), "dictionary ID differs from libzstd's")
            }
        }
        let room = min(declared ?? 4096, 1 << 16)
        let output = UnsafeMutableRawBufferPointer.allocate(byteCount: max(room, 1), alignment: 16)
        defer { output.deallocate() }
        let into = UnsafeMutableRawBufferPointer(rebasing: output[0..<room])
        if let n = try? decoder.decompress(frame, into: into) {
            require(n <= room, "decompressed \(n) bytes into \(room)")
            if let declared { require(n == declared, "decompressed \(n) bytes, the header declares \(declared)") }
        }
        if declared == room, let n = try? decoder.decompress(frame, intoDeclared: into) {
            require(n == room, "decompressed \(n) bytes into the \(room) declared")
        }
    }
}

private func fuzzCursor(_ input: UnsafeRawBufferPointer) {
    let text = String(decoding: input, as: UTF8.self)
    if let saved = try? SavedCursor.parse(text) {
        // What the tool writes back must read as the same cursor.
        let again = try? SavedCursor.parse(saved.line)
        require(again == saved, "a saved cursor does not read back: \(saved.line)")
    }
    _ = try? CursorSpec.parse(text, nowMicros: 1_764_000_000_000_000, allowNow: true)
    if let t = try? RFC3339.parse(text) {
        let formatted = RFC3339.format(micros: t)
        require((try? RFC3339.parse(formatted)) == t, "\(formatted) does not read back as \(t)")
    }
}

private func fuzzArguments(_ input: UnsafeRawBufferPointer) {
    // Arguments separated by NUL; after a byte 0x01, `NAME=VALUE` lines for the environment; after
    // a byte 0x02, standard input (for `--did -`). `@FILE` would read the machine's files, so an
    // argument that names one is left out.
    let parts = input.split(separator: 0x02, maxSplits: 1, omittingEmptySubsequences: false)
    let stdin = parts.count > 1 ? Array(parts[1]) : []
    let head = parts[0].split(separator: 0x01, maxSplits: 1, omittingEmptySubsequences: false)
    let args = head[0].split(separator: 0, omittingEmptySubsequences: false)
        .map { String(decoding: $0, as: UTF8.self) }
        .filter { !$0.contains("@") }
    var environment: [String: String] = [:]
    if head.count > 1 {
        for line in head[1].split(separator: UInt8(ascii: "\n")) {
            let text = String(decoding: line, as: UTF8.self)
            guard let equals = text.firstIndex(of: "="), !text[equals...].contains("@") else { continue }
            environment["JETSTREAM_TAIL_" + text[..<equals].uppercased()] = String(text[text.index(after: equals)...])
        }
    }
    do {
        _ = try Arguments.parse(args, nowMicros: 1_764_000_000_000_000, lookup: { environment[$0] },
                                standardInput: { _ in stdin })
    } catch {
        // "A clear one-line error naming what was wrong": one line, nothing a terminal would act on.
        let text = error.description
        require(!text.isEmpty, "an empty usage error")
        require(!text.unicodeScalars.contains(where: Diagnostics.isControl),
                "a usage error with a control character: \(text.debugDescription)")
    }
}

private func fuzzResolver(_ input: UnsafeRawBufferPointer) {
    guard let first = input.first else { return }
    let statuses = [200, 400, 404, 500, 302]
    let getter = ScriptedGetter(status: statuses[Int(first) % statuses.count], body: Array(input.dropFirst()))
    do {
        let did = try HandleResolver(getter: getter).resolve("alice.example.com")
        require((try? IdentifierSyntax.validateDID(did)) != nil, "resolved to an invalid DID: \(did.debugDescription)")
    } catch {
        require(!error.description.isEmpty, "an empty resolver error")
        require(!Diagnostics.oneLine(error.description).unicodeScalars.contains(where: Diagnostics.isControl),
                "a resolver error that reaches the terminal with a control character")
    }
}

private func fuzzTail(_ input: UnsafeRawBufferPointer) {
    guard let flags = input.first else { return }
    // Flags: bit 0 asks for compressed events, bit 1 sends stdout to /dev/null (not a regular file,
    // so a writer thread writes it) instead of a file the reader writes itself.
    let compressed = flags & 1 != 0, throughWriter = flags & 2 != 0
    let server = OneShotServer(sending: Array(input.dropFirst()))
    var arguments = ["--host", "ws://127.0.0.1:\(server.port)", "--max-reconnects", "0", "-q", "--stats-interval", "0",
                     "--idle-timeout", "5", "--connect-timeout", "5"]
    if compressed { arguments += ["--compress", "--zstd-dict", dictionaryPath] }
    guard case let .run(config)? = try? Arguments.parse(arguments, nowMicros: 1_764_000_000_000_000, lookup: { _ in nil }) else {
        require(false, "the tail's own arguments were refused")
        return
    }
    var template = Array("/tmp/jetstream-tail-fuzz-XXXXXX".utf8CString)
    let file = throughWriter ? open("/dev/null", O_WRONLY) : mkstemp(&template)
    let quiet = open("/dev/null", O_WRONLY)
    defer {
        close(file)
        close(quiet)
        if !throughWriter { unlink(template) }
    }
    let status = Tailer(config: config, diagnostics: Diagnostics(quiet: true, fd: quiet), outputFD: file) { false }.run()
    server.finish()
    require(status == .success || status == .failure, "the tail ended with \(status)")
    guard !throughWriter else { return }
    // Every line written is one event the scan accepts, valid UTF-8, with no line break inside.
    let written = (try? FileIO.read(String(cString: template), limit: 1 << 30)) ?? []
    require(written.isEmpty || written.last == 0x0A, "the output does not end with a line break")
    for line in written.split(separator: 0x0A, omittingEmptySubsequences: false).dropLast() {
        let bytes = Array(line)
        require(String(validating: bytes, as: UTF8.self) != nil, "a line that is not UTF-8")
        // The least the tail's scan accepts: it reads the commit's fields only for filters.
        bytes.withUnsafeBytes {
            require(EventScanner.scan($0, commitFields: false) != nil,
                    "a line the scan refuses: \(String(decoding: bytes, as: UTF8.self).debugDescription)")
        }
    }
}

// MARK: - Helpers

/// A WebSocket server for one connection on a loopback port: it reads the upgrade request,
/// answers 101 with the right `Sec-WebSocket-Accept`, sends `bytes`, shuts down its side and
/// reads until the client closes (so the client sees the end of the stream, not a reset).
private final class OneShotServer: @unchecked Sendable {
    let port: Int
    private let listener: Int32
    private var thread = PosixThread()

    init(sending bytes: [UInt8]) {
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        self.listener = listener
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(listener, $0, length) == 0 && getsockname(listener, $0, &length) == 0 }
        }
        require(bound && listen(listener, 1) == 0, "the fuzz server cannot listen")
        port = Int(UInt16(bigEndian: address.sin_port))
        thread.start("fuzz server") {
            let connection = accept(listener, nil, nil)
            guard connection >= 0 else { return }
            defer { close(connection) }
            var timeout = timeval(tv_sec: 5, tv_usec: 0)
            setsockopt(connection, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
            var request: [UInt8] = []
            var chunk = [UInt8](repeating: 0, count: 4096)
            while !request.suffix(4).elementsEqual("\r\n\r\n".utf8) {
                let n = read(connection, &chunk, chunk.count)
                if n <= 0 { return }
                request += chunk[..<n]
            }
            let text = String(decoding: request, as: UTF8.self)
            let keyLine = text.split(separator: "\r\n").first { $0.lowercased().hasPrefix("sec-websocket-key:") } ?? ""
            let key = String(keyLine.dropFirst("sec-websocket-key:".count)).trimmingBlanks()
            let answer = Array(("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                + "Sec-WebSocket-Accept: \(Handshake.acceptValue(forKey: String(key)))\r\n\r\n").utf8) + bytes
            var sent = 0
            while sent < answer.count {
                let n = answer[sent...].withUnsafeBytes { send(connection, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
                if n <= 0 { break }
                sent += n
            }
            shutdown(connection, Int32(SHUT_WR))
            while read(connection, &chunk, chunk.count) > 0 {}
        }
    }

    /// Waits for the connection to end and stops listening.
    func finish() {
        shutdown(listener, Int32(SHUT_RDWR))
        thread.join()
        close(listener)
    }
}

/// A resolver that gives one scripted answer.
private struct ScriptedGetter: HTTPGetter {
    let status: Int
    let body: [UInt8]
    func get(url: String, accept: String) throws -> (status: Int, body: [UInt8]) { (status, body) }
}

/// Stops the run with `message`; libFuzzer saves the input as a crash.
private func require(_ condition: Bool, _ message: @autoclosure () -> String) {
    if !condition {
        fputs("jetstream-tail-fuzz (\(selected.rawValue)): \(message())\n", stderr)
        abort()
    }
}

/// Runs `body` on a copy of `bytes` in an allocation of exactly that size.
private func withExactCopy<R>(_ bytes: UnsafeRawBufferPointer, _ body: (UnsafeRawBufferPointer) -> R) -> R {
    let copy = UnsafeMutableRawBufferPointer.allocate(byteCount: bytes.count, alignment: 1)
    defer { copy.deallocate() }
    if let base = bytes.baseAddress { copy.baseAddress!.copyMemory(from: base, byteCount: bytes.count) }
    return body(UnsafeRawBufferPointer(copy))
}

/// FNV-1a: a seed for where to cut the input, so one input always takes the same path.
private func hash(_ bytes: UnsafeRawBufferPointer) -> UInt64 {
    var h: UInt64 = 0xCBF2_9CE4_8422_2325
    for b in bytes { h = (h ^ UInt64(b)) &* 0x0000_0100_0000_01B3 }
    return h
}

/// `0..<count` cut into at most `most` consecutive ranges, at places chosen from `seed`.
private func pieces(of count: Int, seed: UInt64, most: Int) -> [Range<Int>] {
    guard count > 1 else { return [0..<count] }
    var state = seed
    var cuts = Set<Int>()
    for _ in 0..<(Int(seed % UInt64(most))) {
        state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        cuts.insert(1 + Int((state >> 33) % UInt64(count - 1)))
    }
    var result: [Range<Int>] = []
    var start = 0
    for cut in cuts.sorted() {
        result.append(start..<cut)
        start = cut
    }
    result.append(start..<count)
    return result
}

/// What a reader made of a stream: each event as a tag and its bytes, then how it ended.
private struct Reading: Equatable {
    var events: [[UInt8]] = []
    var error: ProtocolError?
}

/// Feeds `stream` to a `MessageReader` in `pieces` as the connection does, checking each event
/// as it comes. Bytes past the end of what has arrived are scribbled over after every read, so a
/// reader that looked at them would not read the same whole and in pieces.
private func readAll(_ stream: UnsafeRawBufferPointer, pieces: [Range<Int>], limit: Int, takingBuffered: Bool) -> Reading {
    let reader = MessageReader(maxMessageSize: limit)
    let buffer = ReadBuffer(capacity: 64)
    var reading = Reading()
    func record(_ event: WebSocketEvent) {
        let (tag, payload): (UInt8, UnsafeRawBufferPointer)
        switch event {
        case let .text(p):
            require(String(validating: p, as: UTF8.self) != nil, "a text message that is not UTF-8")
            (tag, payload) = (1, p)
        case let .binary(p): (tag, payload) = (2, p)
        case let .ping(p): (tag, payload) = (9, p)
        case let .pong(p): (tag, payload) = (10, p)
        case let .close(code, reason):
            if let code { require(CloseFrame.isValidCode(code), "a close frame with code \(code)") }
            (tag, payload) = (8, reason)
        }
        require(payload.count <= limit || tag >= 8, "a message of \(payload.count) bytes over the limit \(limit)")
        reading.events.append([tag] + Array(payload))
    }
    for piece in pieces where !piece.isEmpty {
        buffer.prepareForRead(contiguous: reader.contiguousBytesWanted, minimumFree: piece.count)
        require(buffer.writable.count >= piece.count, "prepareForRead left too little room")
        buffer.writable.baseAddress!.copyMemory(from: stream.baseAddress! + piece.lowerBound, byteCount: piece.count)
        buffer.commit(piece.count)
        let after = buffer.writable
        if let base = after.baseAddress { memset(base, 0xA5, after.count) }
        do {
            while let event = try reader.next(from: buffer) {
                record(event)
                while takingBuffered, let whole = try reader.nextWhole(from: buffer) { record(whole) }
            }
        } catch {
            reading.error = error
            return reading
        }
        // A control frame may carry 125 bytes whatever the limit.
        require(buffer.capacity <= 2 * (max(limit, 125) + 14 + 2 * stream.count) + 64, "the read buffer grew to \(buffer.capacity)")
    }
    return reading
}

/// Whether a key the fast path reads appears more than once anywhere in `bytes` (then the full
/// scan takes the last value and the fast path the first, by design).
private func repeatsAKey(_ bytes: UnsafeRawBufferPointer) -> Bool {
    let keys = ["\"did\"", "\"time_us\"", "\"cursor\"", "\"kind\"", "\"commit\"", "\"rev\"",
                "\"operation\"", "\"collection\"", "\"rkey\""]
    return keys.contains { key in occurrences(of: Array(key.utf8), in: bytes) > 1 }
}

private func occurrences(of needle: [UInt8], in bytes: UnsafeRawBufferPointer) -> Int {
    guard bytes.count >= needle.count else { return 0 }
    var count = 0
    for start in 0...(bytes.count - needle.count) where bytes[start] == needle[0] {
        if (0..<needle.count).allSatisfy({ bytes[start + $0] == needle[$0] }) { count += 1 }
    }
    return count
}

/// A transport that answers a handshake with the input, piece by piece, then end of stream.
private final class ScriptedTransport: Transport {
    private let bytes: [UInt8]
    private var pieces: [Range<Int>]
    init(_ input: UnsafeRawBufferPointer, pieces: [Range<Int>]) {
        bytes = Array(input)
        self.pieces = pieces.reversed()
    }
    func send(_ bytes: UnsafeRawBufferPointer, deadline: Deadline) throws(TransportError) {}
    func receive(into buffer: UnsafeMutableRawBufferPointer, deadline: Deadline) throws(TransportError) -> Int? {
        guard var piece = pieces.popLast() else { return 0 }
        if piece.count > buffer.count {
            pieces.append((piece.lowerBound + buffer.count)..<piece.upperBound)
            piece = piece.lowerBound..<(piece.lowerBound + buffer.count)
        }
        if piece.isEmpty { return try receive(into: buffer, deadline: deadline) }
        bytes.withUnsafeBytes { src in
            buffer.baseAddress!.copyMemory(from: src.baseAddress! + piece.lowerBound, byteCount: piece.count)
        }
        return piece.count
    }
    func close() {}
}
