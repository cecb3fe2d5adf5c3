import Dispatch
import Foundation

/// A request to stop training after the current update, set by SIGINT/SIGTERM (Ctrl-C, `kill`,
/// a job scheduler) and checked by the loop between updates, so the run saves a checkpoint and
/// exits cleanly instead of dying mid-step. Signal handling goes through DispatchSource (not a C
/// signal handler), so the flag is set on an ordinary thread.
public final class StopRequest: @unchecked Sendable {
    private let lock = NSLock()
    private var signalName: String?
    private var sources: [DispatchSourceSignal] = []

    public init() {}

    /// Whether a stop was requested, and by which signal.
    public var requested: String? { lock.withLock { signalName } }

    public func request(_ reason: String) { lock.withLock { if signalName == nil { signalName = reason } } }

    /// Routes SIGINT and SIGTERM to this request until `uninstall()`. A second signal while the
    /// step finishes means "now": the process exits at once (130 / 143) without the checkpoint.
    public func installSignalHandlers() {
        for (number, name) in [(SIGINT, "SIGINT"), (SIGTERM, "SIGTERM")] {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { [weak self] in
                guard let self else { return }
                if self.requested != nil {
                    FileHandle.standardError.write(Data("\n\(name) again: exiting without a checkpoint\n".utf8))
                    exit(128 + number)
                }
                self.request(name)
                FileHandle.standardError.write(Data("\n\(name): finishing the current update, then saving a checkpoint (again to quit at once)\n".utf8))
            }
            source.resume()
            sources.append(source)
        }
    }

    /// Restores the default signal actions.
    public func uninstall() {
        for source in sources { source.cancel() }
        sources.removeAll()
        signal(SIGINT, SIG_DFL)
        signal(SIGTERM, SIG_DFL)
    }
}
