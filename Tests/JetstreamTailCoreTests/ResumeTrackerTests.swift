import Testing
@testable import JetstreamTailCore

@Suite struct ResumeTrackerTests {
    /// Scans `json` and offers it to the tracker.
    private func offer(_ t: inout ResumeTracker, _ json: String, endpoint: Int = 0) -> Bool {
        var copy = json
        return copy.withUTF8 { raw in
            let bytes = UnsafeRawBufferPointer(raw)
            guard let event = EventScanner.scan(bytes) else { Issue.record("not JSON"); return false }
            return t.admit(event, bytes: bytes, endpointIndex: endpoint)
        }
    }

    private func commit(_ time: Int64, rkey: String, did: String = "did:plc:a", cursor: UInt64? = nil) -> String {
        let c = cursor.map { ",\"cursor\":\($0)" } ?? ""
        return "{\"did\":\"\(did)\",\"time_us\":\(time)\(c),\"kind\":\"commit\",\"commit\":{\"rev\":\"r\(rkey)\",\"operation\":\"create\",\"collection\":\"app.bsky.feed.post\",\"rkey\":\"\(rkey)\"}}"
    }

    @Test func startsFromTheUserCursorUntilSomethingIsWritten() {
        let t = ResumeTracker(rewindSeconds: 5, tracksIdentities: false)
        #expect(t.resumeCursor(endpointIndex: 0, initial: 123) == 123)
        #expect(t.resumeCursor(endpointIndex: 0, initial: nil) == nil)
    }

    @Test func legacyResumeRewindsAndSkipsWhatWasWritten() {
        var t = ResumeTracker(rewindSeconds: 5, tracksIdentities: false)
        t.beginConnection(endpointIndex: 0)
        for i: Int64 in 1...3 { #expect(offer(&t, commit(10_000_000 + i, rkey: "k\(i)"))) }
        let cursor: Int64? = t.resumeCursor(endpointIndex: 0, initial: nil)
        #expect(cursor == Int64(5_000_003))
        t.beginConnection(endpointIndex: 0)
        // The replay repeats 1...3, then goes on.
        for i: Int64 in 1...3 { #expect(!offer(&t, commit(10_000_000 + i, rkey: "k\(i)"))) }
        #expect(offer(&t, commit(10_000_004, rkey: "k4")))
        #expect(t.catchUp == .none)
    }

    @Test func catchUpEndsAtTheFirstNewEventSoLaterReorderingIsKept() {
        var t = ResumeTracker(rewindSeconds: 1, tracksIdentities: false)
        t.beginConnection(endpointIndex: 0)
        #expect(offer(&t, commit(100, rkey: "a")))
        t.beginConnection(endpointIndex: 0)
        #expect(offer(&t, commit(101, rkey: "b")))
        // An out-of-order event on a live stream is not a duplicate.
        #expect(offer(&t, commit(99, rkey: "late")))
    }

    @Test func v2ServersResumeBySequenceNumber() {
        var t = ResumeTracker(rewindSeconds: 5, tracksIdentities: false)
        t.beginConnection(endpointIndex: 0)
        // time_us is shared by a batch on v2 servers.
        #expect(offer(&t, commit(500, rkey: "a", cursor: 41)))
        #expect(offer(&t, commit(500, rkey: "b", cursor: 42)))
        #expect(t.resumeCursor(endpointIndex: 0, initial: nil) == 42)
        t.beginConnection(endpointIndex: 0)
        #expect(!offer(&t, commit(500, rkey: "b", cursor: 42)))
        #expect(offer(&t, commit(500, rkey: "c", cursor: 43)))
    }

    @Test func failoverSkipsByIdentityWithinTheRewindWindow() {
        var t = ResumeTracker(rewindSeconds: 1, tracksIdentities: true)
        t.beginConnection(endpointIndex: 0)
        for i: Int64 in 1...3 { #expect(offer(&t, commit(5_000_000 + i * 10, rkey: "k\(i)"), endpoint: 0)) }
        // The other host resumes by time, not by its own sequence numbers.
        let cursor: Int64? = t.resumeCursor(endpointIndex: 1, initial: nil)
        #expect(cursor == Int64(4_000_030))
        t.beginConnection(endpointIndex: 1)
        // The same events, stamped a little differently by the other host.
        for i: Int64 in 1...3 { #expect(!offer(&t, commit(5_000_000 + i * 10 + 7, rkey: "k\(i)"), endpoint: 1)) }
        // One the first host never sent, inside the window: kept.
        #expect(offer(&t, commit(5_000_025, rkey: "missed"), endpoint: 1))
        #expect(offer(&t, commit(5_000_047, rkey: "k4"), endpoint: 1))
    }

    @Test func identityOfNonCommitEventsIgnoresTheServerStamps() {
        var t = ResumeTracker(rewindSeconds: 1, tracksIdentities: true)
        t.beginConnection(endpointIndex: 0)
        let a = "{\"did\":\"did:plc:x\",\"time_us\":1000,\"kind\":\"identity\",\"identity\":{\"did\":\"did:plc:x\",\"seq\":7,\"time\":\"t\"}}"
        let b = "{\"did\":\"did:plc:x\",\"time_us\":1003,\"cursor\":9,\"kind\":\"identity\",\"identity\":{\"did\":\"did:plc:x\",\"seq\":7,\"time\":\"t\"}}"
        let c = "{\"did\":\"did:plc:x\",\"time_us\":1004,\"kind\":\"identity\",\"identity\":{\"did\":\"did:plc:x\",\"seq\":8,\"time\":\"t\"}}"
        #expect(offer(&t, a, endpoint: 0))
        t.beginConnection(endpointIndex: 1)
        #expect(!offer(&t, b, endpoint: 1))
        #expect(offer(&t, c, endpoint: 1))
    }

    @Test func neverAsksForANegativeCursor() {
        var t = ResumeTracker(rewindSeconds: 5, tracksIdentities: false)
        t.beginConnection(endpointIndex: 0)
        #expect(offer(&t, commit(10, rkey: "a")))
        #expect(t.resumeCursor(endpointIndex: 0, initial: nil) == 0)
    }
}
