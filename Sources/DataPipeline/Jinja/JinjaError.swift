/// Errors from parsing or rendering a Jinja template. Every case names the template line and
/// column so a bad chat template can be fixed without guessing which tag broke.
public enum JinjaError: Error, CustomStringConvertible, Equatable {
    /// The template text is not valid Jinja (unclosed tag, unknown statement, bad expression).
    case syntax(message: String, line: Int, column: Int)
    /// Rendering failed (unknown filter, undefined value used, type mismatch).
    case runtime(message: String, line: Int, column: Int)
    /// The template called `raise_exception(message)`.
    case raised(message: String, line: Int, column: Int)
    /// A sandbox cap (loop iterations, recursion depth, output size) was hit.
    case limitExceeded(message: String, line: Int, column: Int)

    public var description: String {
        switch self {
        case .syntax(let m, let l, let c): return "template syntax error at \(l):\(c): \(m)"
        case .runtime(let m, let l, let c): return "template error at \(l):\(c): \(m)"
        case .raised(let m, let l, let c): return "template raised an exception at \(l):\(c): \(m)"
        case .limitExceeded(let m, let l, let c): return "template limit exceeded at \(l):\(c): \(m)"
        }
    }
}

/// A failure inside a filter, method or operator, before its template position is known; the
/// interpreter turns it into `JinjaError.runtime` with the position of the expression.
struct JinjaFailure: Error {
    let message: String
    init(_ message: String) { self.message = message }
}
