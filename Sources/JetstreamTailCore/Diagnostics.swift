#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Messages on stderr, each one line prefixed `jetstream-tail: `, written with one `write(2)` so that
/// lines never interleave with other writers. Written to fd 2 directly: Glibc's `stderr` global is not
/// concurrency-safe in Swift 6, and stdio buffering would reorder it against our own writes.
public struct Diagnostics: Sendable {
    /// Silences notes and stats; errors and warnings still go out.
    public var quiet: Bool
    fileprivate let fd: Int32

    public init(quiet: Bool = false, fd: Int32 = 2) {
        self.quiet = quiet
        self.fd = fd
    }

    public func error(_ message: String) { emit("error: " + message) }
    public func warning(_ message: String) { emit("warning: " + message) }
    /// Informational notes and stats: dropped under `--quiet`.
    public func note(_ message: String) { if !quiet { emit(message) } }

    fileprivate func emit(_ message: String) {
        var line = "jetstream-tail: " + Self.oneLine(message)
        line.append("\n")
        line.withUTF8 { buf in
            var offset = 0
            while offset < buf.count {
                let n = Glibc.write(fd, buf.baseAddress! + offset, buf.count - offset)
                if n > 0 { offset += n } else if n < 0 && errno == EINTR { continue } else { return }
            }
        }
    }
}

extension Diagnostics {
    /// `message` as one line that a terminal shows as text: line breaks become spaces, and any
    /// other control character — which a server's close reason or a value the user typed may hold
    /// — is written as an escape (see `escapingControls`), so nothing in a message can move the
    /// cursor, clear the line or start an escape sequence.
    static func oneLine(_ message: String) -> String {
        guard message.unicodeScalars.contains(where: isControl) else { return message }
        return escapingControls(message.replacing("\r\n", with: " ").replacing("\n", with: " "))
    }

    /// C0 controls, DEL, and C1 controls (U+0080–U+009F, which include the 8-bit CSI).
    static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value)
    }

    /// `text` with each control character written as `\n`, `\r`, `\t` or `\u{1b}`: for text
    /// that came from outside (a server, the command line) on its way into a message.
    static func escapingControls(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: isControl) else { return text }
        var out = ""
        for scalar in text.unicodeScalars {
            switch scalar.value {
            case 0x0A: out += "\\n"
            case 0x0D: out += "\\r"
            case 0x09: out += "\\t"
            case _ where isControl(scalar): out += "\\u{" + String(scalar.value, radix: 16) + "}"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    /// A usage error: the message, then the hint line (as jq and GNU tools do).
    public func usage(_ message: String) {
        emit(message)
        writeRaw("Try 'jetstream-tail --help' for more information.\n")
    }

    /// Text as is, with no prefix or newline (the progress line redraws itself in place).
    public func raw(_ text: String) { writeRaw(text) }

    private func writeRaw(_ text: String) {
        var copy = text
        copy.withUTF8 { buf in _ = Glibc.write(fd, buf.baseAddress, buf.count) }
    }
}

/// Text for stdout outside the event stream (`--help`, `--version`).
public enum StandardOutput {
    public static func write(_ text: String) {
        var copy = text
        copy.withUTF8 { buf in
            var offset = 0
            while offset < buf.count {
                let n = Glibc.write(1, buf.baseAddress! + offset, buf.count - offset)
                if n > 0 { offset += n } else if n < 0 && errno == EINTR { continue } else { return }
            }
        }
    }
}
