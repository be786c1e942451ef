#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Keeps `--cursor-file` up to date, from the writer thread, and only with events that are already
/// on stdout: a crash (even `kill -9`) can make the next run repeat a few events, never skip one.
///
/// The writer calls `written(events:mark:)` after each successful `write(2)`; a save happens every
/// `--save-every` events or `--save-interval` seconds, whichever comes first, and once more at exit.
/// When stdout is a regular file it is fsynced before each save, so a power loss cannot leave the
/// cursor ahead of the output. Used by one thread at a time: the writer while it runs, then the
/// reader after joining it. (With a cursor file there is always a writer thread, so that those
/// fsyncs never stall reading.)
public final class Checkpoint: @unchecked Sendable {
    private let file: CursorFile
    /// `authority` of each configured endpoint, by index: the `host` saved with a sequence number.
    private let hosts: [String]
    private let saveEvery: Int
    private let saveIntervalNS: UInt64
    private let stdoutFD: Int32
    private let syncStdout: Bool
    private let diagnostics: Diagnostics

    private var unsaved = 0
    private var lastSaveAt = MonotonicClock.now()
    private var pending: ResumeMark?
    private var warned = false
    /// The last point saved (or read at start).
    public private(set) var saved: ResumeMark?

    public init(file: CursorFile, hosts: [String], saveEvery: Int, saveInterval: Double, stdoutFD: Int32 = 1, diagnostics: Diagnostics) {
        self.file = file
        self.hosts = hosts
        self.saveEvery = saveEvery
        self.saveIntervalNS = saveInterval > 0 ? UInt64(saveInterval * 1e9) : .max
        self.stdoutFD = stdoutFD
        self.diagnostics = diagnostics
        var st = stat()
        syncStdout = fstat(stdoutFD, &st) == 0 && (st.st_mode & S_IFMT) == S_IFREG
    }

    /// Reads the saved point and maps its host onto the configured endpoints (-1: none of them).
    public func load() throws(CursorFileError) -> ResumeMark? {
        guard let cursor = try file.read() else { return nil }
        let index = cursor.host.flatMap { host in hosts.firstIndex(of: host) } ?? -1
        let mark = ResumeMark(timeUS: cursor.timeUS, sequence: cursor.sequence, endpointIndex: index)
        saved = mark
        return mark
    }

    /// `events` more lines reached stdout, the last of them with resume point `mark`.
    func written(events: Int, mark: ResumeMark?) {
        if let mark { pending = mark }
        unsaved += events
        let dueByCount = saveEvery > 0 && unsaved >= saveEvery
        let dueByTime = MonotonicClock.now() &- lastSaveAt >= saveIntervalNS
        if dueByCount || dueByTime {
            do { try saveNow() } catch {
                if !warned {
                    warned = true
                    diagnostics.warning("\(error); will try again")
                }
            }
        }
    }

    /// Moves the point to save forward to `mark` (never back), at the end of a run whose every
    /// admitted event is known to be written or deliberately left out.
    public func advance(to mark: ResumeMark) {
        if let current = pending ?? saved, current.timeUS >= mark.timeUS { return }
        pending = mark
    }

    /// Saves the last written point now, if it moved since the last save.
    public func saveNow() throws(CursorFileError) {
        lastSaveAt = MonotonicClock.now()
        guard let mark = pending, mark != saved else { unsaved = 0; return }
        if syncStdout { _ = fsync(stdoutFD) }
        let host = mark.endpointIndex >= 0 && mark.endpointIndex < hosts.count ? hosts[mark.endpointIndex] : nil
        try file.save(SavedCursor(timeUS: mark.timeUS, sequence: mark.sequence, host: host))
        saved = mark
        unsaved = 0
    }
}
