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
}
