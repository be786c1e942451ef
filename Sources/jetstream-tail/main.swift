// jetstream-tail: argument parsing, signals and wiring. Everything else lives in JetstreamTailCore.
import JetstreamTailCore
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// SIGINT/SIGTERM count: the first asks the loop to stop cleanly, the second exits at once.
let stopRequests = Atomic<Int>(0)

func installSignalHandlers() {
    // A closed stdout must surface as EPIPE (a normal end), not kill the process.
    signal(SIGPIPE, SIG_IGN)
    var action = sigaction()
    action.__sigaction_handler.sa_handler = { _ in
        if stopRequests.wrappingAdd(1, ordering: .relaxed).newValue >= 2 { _exit(ExitStatus.interrupted.rawValue) }
    }
    sigemptyset(&action.sa_mask)
    action.sa_flags = 0
    sigaction(SIGINT, &action, nil)
    sigaction(SIGTERM, &action, nil)
}

let diagnostics = Diagnostics()
let command: Command
do {
    command = try Arguments.parse(Array(CommandLine.arguments.dropFirst()))
} catch {
    diagnostics.usage(error.description)
    exit(ExitStatus.usage.rawValue)
}

switch command {
case .help:
    StandardOutput.write(Arguments.helpText)
    exit(ExitStatus.success.rawValue)
case .version:
    StandardOutput.write("jetstream-tail \(JetstreamTail.version)\n")
    exit(ExitStatus.success.rawValue)
case .completions(let shell):
    StandardOutput.write(Completions.script(for: shell))
    exit(ExitStatus.success.rawValue)
case .run(var config):
    installSignalHandlers()
    // Before any thread starts (see `globalInit`); HTTPS fetches load libcurl themselves.
    if config.endpoints.contains(where: { $0.scheme == .wss }), let failure = CurlTransport.globalInit() {
        diagnostics.error(failure.description)
        exit(ExitStatus.failure.rawValue)
    }
    if !config.handles.isEmpty {
        do throws(HandleResolutionError) {
            config.wantedDids = try HandleResolver.resolveHandles(config, using: FetchGetter(config))
        } catch {
            for line in error.lines { diagnostics.error(line) }
            exit(ExitStatus.failure.rawValue)
        }
    }
    let tailer = Tailer(config: config, diagnostics: Diagnostics(quiet: config.quiet)) {
        stopRequests.load(ordering: .relaxed) > 0
    }
    exit(tailer.run().rawValue)
}
