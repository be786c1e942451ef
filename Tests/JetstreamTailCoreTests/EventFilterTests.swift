import Testing
@testable import JetstreamTailCore

/// Scans a JSON text the way the tail does, so the filter sees exactly what it will see in a run.
private func scanned(_ json: String) throws -> ScannedEvent {
    var text = json
    return try #require(text.withUTF8 { EventScanner.scan(UnsafeRawBufferPointer($0)) })
}

private let create = #"{"did":"did:plc:a","time_us":1,"kind":"commit","commit":{"rev":"r","operation":"create","collection":"app.bsky.feed.post","rkey":"k","record":{},"cid":"c"}}"#
private let update = #"{"did":"did:plc:a","time_us":2,"kind":"commit","commit":{"rev":"r","operation":"update","collection":"app.bsky.actor.profile","rkey":"self","record":{},"cid":"c"}}"#
private let delete = #"{"did":"did:plc:a","time_us":3,"kind":"commit","commit":{"rev":"r","operation":"delete","collection":"app.bsky.feed.like","rkey":"k"}}"#
private let identity = #"{"did":"did:plc:a","time_us":4,"kind":"identity","identity":{"did":"did:plc:a","seq":1,"time":"t"}}"#
private let account = #"{"did":"did:plc:a","time_us":5,"kind":"account","account":{"active":true,"did":"did:plc:a","seq":2,"time":"t"}}"#
private let unknownKind = #"{"did":"did:plc:a","time_us":6,"kind":"sync"}"#
private let noKind = #"{"did":"did:plc:a","time_us":7}"#
private let oddOperation = #"{"did":"did:plc:a","time_us":8,"kind":"commit","commit":{"operation":"merge"}}"#

private let all = [create, update, delete, identity, account, unknownKind, noKind, oddOperation]

/// Which of `all` pass the filter, by index.
private func passing(_ filter: EventFilter) throws -> [Int] {
    try all.indices.filter { filter.matches(try scanned(all[$0])) }
}

@Suite struct EventFilterTests {
    @Test func anEmptyFilterPassesEverything() throws {
        let filter = EventFilter()
        #expect(filter.passesEverything)
        #expect(try passing(filter) == Array(all.indices))
    }

    @Test func kindsKeepOnlyTheirKind() throws {
        #expect(try passing(EventFilter(kinds: [.commit])) == [0, 1, 2, 7])
        #expect(try passing(EventFilter(kinds: [.identity])) == [3])
        #expect(try passing(EventFilter(kinds: [.account, .identity])) == [3, 4])
        #expect(!EventFilter(kinds: [.commit]).passesEverything)
    }

    @Test func onlyAnOperationFilterReadsTheOperation() {
        #expect(!EventFilter().readsOperation)
        #expect(!EventFilter(kinds: [.commit, .identity]).readsOperation)
        #expect(EventFilter(operations: [.delete]).readsOperation)
        #expect(EventFilter(kinds: [.commit], operations: [.create]).readsOperation)
    }

    @Test func operationsFilterCommitsAndLetOtherKindsThrough() throws {
        #expect(try passing(EventFilter(operations: [.delete])) == [2, 3, 4, 5, 6])
        #expect(try passing(EventFilter(operations: [.create, .update])) == [0, 1, 3, 4, 5, 6])
    }

    @Test func kindsAndOperationsCombine() throws {
        #expect(try passing(EventFilter(kinds: [.commit], operations: [.create])) == [0])
        #expect(try passing(EventFilter(kinds: [.commit, .account], operations: [.delete])) == [2, 4])
        #expect(try passing(EventFilter(kinds: [.identity], operations: [.delete])) == [3])
    }

    @Test func everyOperationIsNotTheSameAsNoFilter() throws {
        // A commit whose operation is not one of the three is dropped once any --operation is given.
        #expect(try passing(EventFilter(operations: [.create, .update, .delete])) == [0, 1, 2, 3, 4, 5, 6])
    }

    @Test func theConfigurationBuildsTheSameFilter() {
        var c = StreamConfig()
        c.kinds = [.commit]
        c.operations = [.delete]
        #expect(EventFilter(c) == EventFilter(kinds: [.commit], operations: [.delete]))
        #expect(EventFilter(StreamConfig()).passesEverything)
    }
}
