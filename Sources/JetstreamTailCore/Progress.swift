#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// The one-line progress bar of an `--until` backfill, redrawn in place on a terminal's stderr:
///
///     [#########.........]  47%  12,345 ev/s  ETA 3m12s  lag 1h02m
///
/// Progress is measured in stream time, the share of `start..<until` that the events written so
/// far cover, because the number of events still to come is unknown. The ETA extrapolates the
/// average stream-time speed of the run so far, which is steadier than the instantaneous one.
public enum Progress {
    /// The line for one redraw, at most `width - 1` columns: writing the last column of a terminal
    /// line makes some terminals wrap, and the next `\r` would then redraw one line too low.
    /// When space runs short, lag goes first, then the ETA, then the rate; the bar shrinks down to
    /// `minimumBar` cells and then disappears.
    ///
    /// - Parameters:
    ///   - startUS: `time_us` where the backfill started (the first event's, if the cursor was a
    ///     sequence number).
    ///   - untilUS: the `--until` time.
    ///   - currentUS: `time_us` of the last event written.
    ///   - elapsedSeconds: time since the backfill started, for the ETA.
    ///   - eventsPerSecond: recent write rate.
    ///   - lagSeconds: wall-clock time minus `currentUS`.
    public static func render(startUS: Int64, untilUS: Int64, currentUS: Int64, elapsedSeconds: Double,
                              eventsPerSecond: Double, lagSeconds: Double, width: Int) -> String {
        let done = fraction(startUS: startUS, untilUS: untilUS, currentUS: currentUS)
        let percent = Int((done * 100).rounded(.down))
        let fields = [
            String(repeating: " ", count: percent < 10 ? 2 : percent < 100 ? 1 : 0) + "\(percent)%",
            "\(grouped(Int64(max(0, eventsPerSecond).rounded()))) ev/s",
            "ETA " + duration(eta(startUS: startUS, untilUS: untilUS, currentUS: currentUS, elapsedSeconds: elapsedSeconds)),
            "lag " + duration(max(0, lagSeconds)),
        ]
        let room = max(0, width - 1)
        for count in stride(from: fields.count, through: 1, by: -1) {
            let text = fields.prefix(count).joined(separator: "  ")
            let barCells = room - text.count - 3 // "[", "]" and one space
            if barCells >= minimumBar {
                let filled = Int((done * Double(barCells)).rounded(.down))
                return "[" + String(repeating: "#", count: filled) + String(repeating: ".", count: barCells - filled) + "] " + text
            }
        }
        return String(fields[0].drop(while: { $0 == " " }).prefix(room))
    }

    /// Below this many cells a bar says nothing the percentage does not.
    static let minimumBar = 10

    /// The share of the range covered, 0...1; an empty or inverted range counts as done.
    static func fraction(startUS: Int64, untilUS: Int64, currentUS: Int64) -> Double {
        guard untilUS > startUS else { return 1 }
        let covered = Double(currentUS) - Double(startUS)
        return min(1, max(0, covered / (Double(untilUS) - Double(startUS))))
    }

    /// Seconds until `currentUS` reaches `untilUS` at the run's average pace; nil before there is any.
    static func eta(startUS: Int64, untilUS: Int64, currentUS: Int64, elapsedSeconds: Double) -> Double? {
        if currentUS >= untilUS { return 0 }
        let covered = Double(currentUS) - Double(startUS)
        guard covered > 0, elapsedSeconds > 0 else { return nil }
        return (Double(untilUS) - Double(currentUS)) / (covered / elapsedSeconds)
    }

    /// `45s`, `3m12s`, `1h02m`, `2d03h`: two units at most, the way people read a remaining time;
    /// `--` when unknown.
    static func duration(_ seconds: Double?) -> String {
        guard let seconds, seconds.isFinite, seconds >= 0 else { return "--" }
        let s = Int64(min(seconds, 99 * 86_400 + 86_399).rounded(.down))
        func two(_ n: Int64) -> String { n < 10 ? "0\(n)" : "\(n)" }
        if s < 60 { return "\(s)s" }
        if s < 3600 { return "\(s / 60)m\(two(s % 60))s" }
        if s < 86_400 { return "\(s / 3600)h\(two(s / 60 % 60))m" }
        return "\(s / 86_400)d\(two(s / 3600 % 24))h"
    }

    /// `12,345`: thousands separated by commas, whatever the locale, like the rest of the output.
    static func grouped(_ n: Int64) -> String {
        let digits = Array(String(n))
        var out = ""
        for (i, d) in digits.enumerated() {
            if i > 0, (digits.count - i) % 3 == 0 { out += "," }
            out.append(d)
        }
        return out
    }

    /// What to write to redraw the line in place: back to column 0, the line, then erase what a
    /// longer previous line left to its right (ECMA-48 EL, `CSI K`).
    public static func redraw(_ line: String) -> String { "\r" + line + "\u{1B}[K" }

    /// Erases the bar, leaving the cursor at column 0, before a stats or error line is printed
    /// and at exit.
    public static let erase = "\r\u{1B}[K"

    /// Whether `fd` is a terminal: only then is a bar drawn, since in a log file every redraw
    /// would pile up as another line.
    public static func isTerminal(_ fd: Int32 = 2) -> Bool { isatty(fd) == 1 }

    /// The terminal's width in columns: the `TIOCGWINSZ` answer for `fd`, else `$COLUMNS`, else 80.
    /// Ask again on each redraw (or on SIGWINCH) to follow a resized window.
    public static func terminalWidth(_ fd: Int32 = 2) -> Int {
        var size = winsize()
        if ioctl(fd, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0 { return Int(size.ws_col) }
        if let text = getenv("COLUMNS"), let columns = Int(String(cString: text)), columns > 0 { return columns }
        return 80
    }
}
