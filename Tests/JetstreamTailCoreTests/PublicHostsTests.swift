import Testing
@testable import JetstreamTailCore

@Suite struct PublicHostsTests {
    @Test func theTwoGenerationsHaveTheirNames() {
        #expect(PublicHosts.endpoint(named: "us-east")?.description == "wss://jetstream.us-east.bsky.network/subscribe")
        #expect(PublicHosts.endpoint(named: "us-west")?.description == "wss://jetstream.us-west.bsky.network/subscribe")
        #expect(PublicHosts.endpoint(named: "us-east-1")?.description == "wss://jetstream1.us-east.bsky.network/subscribe")
        #expect(PublicHosts.endpoint(named: "us-west-2")?.description == "wss://jetstream2.us-west.bsky.network/subscribe")
    }

    @Test func onlyWholeNamesAreRecognised() {
        #expect(PublicHosts.endpoint(named: "us-east:443") == nil)
        #expect(PublicHosts.endpoint(named: "us-east-3") == nil)
        #expect(PublicHosts.endpoint(named: "jetstream.us-east.bsky.network") == nil)
    }

    @Test func theDefaultHostIsOneOfThem() {
        #expect(PublicHosts.all.contains { $0.host == Endpoint.defaultHost })
    }
}
