import Synchronization
import Testing
@testable import JetstreamTailCore

@Suite struct PosixThreadTests {
    private final class Flag: Sendable {
        let value = Atomic<Int>(0)
    }

    @Test func runsTheBodyAndJoinsIt() {
        let flag = Flag()
        var thread = PosixThread()
        #expect(!thread.isRunning)
        thread.start("test") { flag.value.store(42, ordering: .sequentiallyConsistent) }
        #expect(thread.isRunning)
        thread.join()
        #expect(!thread.isRunning)
        #expect(flag.value.load(ordering: .sequentiallyConsistent) == 42)
        thread.join()  // a second join is a no-op
    }

    @Test func keepsWhatTheBodyCapturesAliveUntilItReturns() {
        final class Owned: Sendable {
            let flag: Flag
            init(_ flag: Flag) { self.flag = flag }
            deinit { flag.value.store(2, ordering: .sequentiallyConsistent) }
        }
        let flag = Flag()
        var thread = PosixThread()
        do {
            let owned = Owned(flag)
            thread.start("test") { [owned] in
                // The starter's reference is gone by now or soon; this one keeps it.
                owned.flag.value.store(1, ordering: .sequentiallyConsistent)
            }
        }
        thread.join()
        #expect(flag.value.load(ordering: .sequentiallyConsistent) == 2)
    }
}
