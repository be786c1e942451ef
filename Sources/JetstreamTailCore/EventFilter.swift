/// The filters Jetstream has no parameter for, `--kind` and `--operation`, applied to each event as
/// `EventScanner` saw it: the decision reads two small enums, so the event's bytes are written out
/// untouched (or not at all) and nothing is allocated per event.
///
/// The rules, as documented in the man page:
/// - `kinds` empty lets every kind through; otherwise an event passes only if its `kind` is one of
///   them. An event without a recognised kind (absent, or a value other than commit, identity and
///   account) never matches a kind filter.
/// - `operations` applies to commits only, in the way Jetstream's `wantedCollections` does: identity
///   and account events pass it (`--kind` is the way to drop them). A commit passes only if its
///   `operation` is one of them; a commit without a recognised operation never does.
public struct EventFilter: Sendable, Equatable {
    /// One bit per `EventKind` wanted; all ones when every kind is.
    private let kindMask: UInt8
    /// One bit per `CommitOperation` wanted; all ones when every operation is.
    private let operationMask: UInt8

    public init(kinds: Set<EventKind> = [], operations: Set<CommitOperation> = []) {
        kindMask = kinds.isEmpty ? .max : kinds.reduce(0) { $0 | Self.bit($1) }
        operationMask = operations.isEmpty ? .max : operations.reduce(0) { $0 | Self.bit($1) }
    }

    /// The filter `--kind` and `--operation` ask for.
    public init(_ config: StreamConfig) {
        self.init(kinds: config.kinds, operations: config.operations)
    }

    /// True when every event passes, so the caller can skip the check altogether.
    public var passesEverything: Bool { kindMask == .max && operationMask == .max }

    /// Whether `matches` reads a commit's `operation` (with `--operation`); `kind` it always may.
    public var readsOperation: Bool { operationMask != .max }

    /// Whether the event is to be written.
    @inline(__always)
    public func matches(_ event: ScannedEvent) -> Bool {
        if kindMask != .max {
            guard let kind = event.kind, kindMask & Self.bit(kind) != 0 else { return false }
        }
        if operationMask != .max, event.kind == .commit {
            guard let operation = event.operation, operationMask & Self.bit(operation) != 0 else { return false }
        }
        return true
    }

    @inline(__always)
    private static func bit(_ kind: EventKind) -> UInt8 {
        switch kind {
        case .commit: return 1
        case .identity: return 2
        case .account: return 4
        case .other: return 0
        }
    }

    @inline(__always)
    private static func bit(_ operation: CommitOperation) -> UInt8 {
        switch operation {
        case .create: return 1
        case .update: return 2
        case .delete: return 4
        case .other: return 0
        }
    }
}
