/// Keeps stdout gapless and duplicate-free across reconnects.
///
/// It remembers the last event accepted for output and, on each new connection, says which cursor to
/// ask for and which replayed events were already written:
/// - a v2 server puts a `cursor` (its sequence number) on every event: resume at that sequence on the
///   same server and skip `cursor <= last` (its `time_us` values are not unique);
/// - a legacy server's `time_us` is unique and increasing per instance: resume `--rewind` seconds
///   earlier and skip `time_us <= last`;
/// - another server (failover) stamps the same event with a slightly different `time_us`: resume
///   `--rewind` seconds earlier and skip events whose identity (DID, rev, collection, record key; or
///   the kind's own fields) was written in that window.
/// Skipping happens only while catching up, until the stream passes the last written event, so an
/// event that a live stream delivers out of order is never mistaken for a duplicate.
public struct ResumeTracker {
    /// How far before the last event a reconnect asks to start, in microseconds.
    public let rewindUS: Int64
    /// Whether identities are recorded (only needed with more than one endpoint).
    public let tracksIdentities: Bool
    /// The last event accepted for output.
    public private(set) var last: ResumeMark?

    enum CatchUp: Equatable {
        case none
        case time(after: Int64)
        case sequence(after: UInt64)
        case identity(until: Int64)
    }
    private(set) var catchUp: CatchUp = .none
    private var recent: IdentityRing
    private var seen: Set<UInt64> = []

    /// How far two hosts' stamps for the same event may differ, at least, for failover dedupe.
    static let hostOffsetMarginUS: Int64 = 1_000_000

    public init(rewindSeconds: Double, tracksIdentities: Bool, identityCapacity: Int = 65_536) {
        rewindUS = Int64(max(0, rewindSeconds) * 1e6)
        self.tracksIdentities = tracksIdentities
        recent = IdentityRing(capacity: tracksIdentities ? identityCapacity : 0)
    }

    /// Starts from a point written by an earlier run (`--cursor-file`): resume after it.
    public mutating func seed(_ mark: ResumeMark) {
        last = mark
    }

    /// The cursor to ask for: the user's start cursor until something was written.
    public func resumeCursor(endpointIndex: Int, initial: Int64?) -> Int64? {
        guard let last else { return initial }
        if last.endpointIndex == endpointIndex, let seq = last.sequence, seq <= UInt64(Int64.max) { return Int64(seq) }
        return max(0, last.timeUS - rewindUS)
    }

    /// A new connection to `endpointIndex` starts: decide how to recognise what was already written.
    public mutating func beginConnection(endpointIndex: Int) {
        seen.removeAll(keepingCapacity: false)
        guard let last else { catchUp = .none; return }
        if last.endpointIndex == endpointIndex {
            if let seq = last.sequence { catchUp = .sequence(after: seq) } else { catchUp = .time(after: last.timeUS) }
        } else if tracksIdentities, !recent.isEmpty {
            // The other host's stamps may run ahead of this one's, so its replay from
            // `last - rewind` (its clock) can begin before `last - rewind` (ours): look further back.
            seen = recent.identities(since: last.timeUS - rewindUS - max(rewindUS, Self.hostOffsetMarginUS))
            catchUp = .identity(until: last.timeUS + rewindUS)
        } else {
            catchUp = .time(after: last.timeUS)
        }
    }

    /// True when the event is new and goes to output; false for a duplicate from a replay.
    @inline(__always)
    public mutating func admit(_ event: ScannedEvent, bytes: UnsafeRawBufferPointer, endpointIndex: Int) -> Bool {
        admit(timeUS: event.timeUS, cursor: event.cursor, identity: EventIdentity.hash(event, bytes: bytes),
              endpointIndex: endpointIndex)
    }

    /// `admit` from the fields it reads; `identity` is computed only when identities are compared
    /// or kept.
    @inline(__always)
    mutating func admit(timeUS: Int64?, cursor: UInt64?, identity: @autoclosure () -> UInt64, endpointIndex: Int) -> Bool {
        switch catchUp {
        case .none:
            break
        case .time(let after):
            if let t = timeUS {
                if t <= after { return false }
                catchUp = .none
            }
        case .sequence(let after):
            if let seq = cursor {
                if seq <= after { return false }
                catchUp = .none
            } else if let t = timeUS, let lastTime = last?.timeUS {
                if t <= lastTime { return false }
                catchUp = .none
            }
        case .identity(let until):
            if let t = timeUS, t > until {
                catchUp = .none
                seen.removeAll(keepingCapacity: false)
            } else if seen.contains(identity()) {
                return false
            }
        }
        if let t = timeUS {
            last = ResumeMark(timeUS: t, sequence: cursor, endpointIndex: endpointIndex)
            if tracksIdentities { recent.append(timeUS: t, identity: identity()) }
        }
        return true
    }
}

/// The identities of the most recent events, oldest overwritten first.
struct IdentityRing {
    private var times: [Int64]
    private var hashes: [UInt64]
    private var next = 0
    private var filled = 0

    var isEmpty: Bool { filled == 0 }

    init(capacity: Int) {
        times = Array(repeating: 0, count: capacity)
        hashes = Array(repeating: 0, count: capacity)
    }

    mutating func append(timeUS: Int64, identity: UInt64) {
        guard !times.isEmpty else { return }
        times[next] = timeUS
        hashes[next] = identity
        next = (next + 1) % times.count
        filled = min(filled + 1, times.count)
    }

    func identities(since timeUS: Int64) -> Set<UInt64> {
        var set = Set<UInt64>(minimumCapacity: filled)
        for i in 0..<filled where times[i] >= timeUS { set.insert(hashes[i]) }
        return set
    }
}

/// A 64-bit fingerprint of what an event is, independent of the server that stamped it.
enum EventIdentity {
    /// Commits: DID, rev, collection and record key. Other kinds: the DID and the bytes from the
    /// top-level `"kind":` on, which follow the server's stamps (`time_us`, `cursor`).
    static func hash(_ event: ScannedEvent, bytes: UnsafeRawBufferPointer) -> UInt64 {
        var h = FNV1a()
        if let did = event.did { h.add(bytes, did) }
        h.separator()
        if event.kind == .commit, let rev = event.rev, let collection = event.collection, let rkey = event.rkey {
            h.add(bytes, rev); h.separator()
            h.add(bytes, collection); h.separator()
            h.add(bytes, rkey)
        } else {
            let from = kindOffset(bytes) ?? 0
            h.add(bytes, from..<bytes.count)
        }
        return h.value
    }

    private static func kindOffset(_ bytes: UnsafeRawBufferPointer) -> Int? {
        let key: [UInt8] = Array("\"kind\":".utf8)
        guard bytes.count >= key.count else { return nil }
        var i = 0
        while i <= bytes.count - key.count {
            if bytes[i] == 0x22 {
                var j = 1
                while j < key.count && bytes[i + j] == key[j] { j += 1 }
                if j == key.count { return i }
            }
            i += 1
        }
        return nil
    }
}

/// FNV-1a, 64-bit: small and fast enough for a few dozen bytes per event.
struct FNV1a {
    private(set) var value: UInt64 = 0xcbf2_9ce4_8422_2325

    mutating func add(_ bytes: UnsafeRawBufferPointer, _ range: Range<Int>) {
        var h = value
        for i in range {
            h ^= UInt64(bytes[i])
            h = h &* 0x0000_0100_0000_01b3
        }
        value = h
    }

    mutating func separator() {
        value ^= 0xff
        value = value &* 0x0000_0100_0000_01b3
    }
}
