import Testing
@testable import JetstreamTailCore

@Suite struct StreamConfigTests {
    @Test func defaultsToThePublicHostOverTLS() {
        let c = StreamConfig()
        #expect(c.endpoints == [Endpoint(scheme: .wss, host: "jetstream2.us-east.bsky.network", port: 443)])
        #expect(c.endpoints[0].description == "wss://jetstream2.us-east.bsky.network/subscribe")
    }

    @Test func authorityBracketsIPv6AndKeepsNonDefaultPorts() {
        #expect(Endpoint(scheme: .ws, host: "::1", port: 6008).authority == "[::1]:6008")
        #expect(Endpoint(scheme: .ws, host: "localhost", port: 80).authority == "localhost")
        #expect(Endpoint(scheme: .wss, host: "example.com", port: 8443).authority == "example.com:8443")
    }

    @Test func startsLiveWithoutCursorFileOrEnd() {
        let c = StreamConfig()
        #expect(c.startCursor == nil && c.cursor == nil && c.until == nil && c.cursorFile == nil)
        #expect(c.saveEvery == 10_000 && c.saveInterval == 5 && c.progress)
    }

    @Test func cursorIsWhatTheServerIsSentForTheStartCursor() {
        var c = StreamConfig()
        c.startCursor = .micros(1_732_350_000_000_000)
        #expect(c.cursor == 1_732_350_000_000_000)
        c.startCursor = .sequence(469_083)
        #expect(c.cursor == 469_083)
    }
}
