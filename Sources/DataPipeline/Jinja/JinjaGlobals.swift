import Foundation

/// The globals HF's environment provides: jinja2's `range`, `namespace`, `dict`, plus HF's
/// `raise_exception` and `strftime_now`. Nothing reaches files or the environment.
enum JinjaGlobals {
    static func function(named name: String, clock: @escaping @Sendable () -> Date) -> JinjaFunction? {
        switch name {
        case "range": return JinjaFunction(name: name, body: range)
        case "namespace": return JinjaFunction(name: name, body: namespace)
        case "dict": return JinjaFunction(name: name, body: dictionary)
        case "raise_exception":
            return JinjaFunction(name: name) { args in
                throw JinjaRaised.message(args.value(0, "message")?.pythonString ?? "")
            }
        case "strftime_now":
            return JinjaFunction(name: name) { args in
                let format = try args.required(0, "format", of: "strftime_now").pythonString
                return .string(strftime(format, clock()))
            }
        default: return nil
        }
    }

    /// jinja2's sandbox refuses ranges longer than this (`MAX_RANGE`).
    static let maximumRangeLength = 100_000

    /// Python's `range(stop)` / `range(start, stop[, step])`, capped so `range(10**12)` fails fast.
    static func range(_ args: JinjaArguments) throws -> JinjaValue {
        let ints = try args.positional.map { v -> Int in
            guard let i = v.integer else { throw JinjaFailure("'\(v.typeName)' object cannot be interpreted as an integer") }
            return i
        }
        let (start, stop, step): (Int, Int, Int)
        switch ints.count {
        case 1: (start, stop, step) = (0, ints[0], 1)
        case 2: (start, stop, step) = (ints[0], ints[1], 1)
        case 3: (start, stop, step) = (ints[0], ints[1], ints[2])
        default: throw JinjaFailure("range expected 1 to 3 arguments, got \(ints.count)")
        }
        guard step != 0 else { throw JinjaFailure("range() arg 3 must not be zero") }
        let (difference, overflow) = stop.subtractingReportingOverflow(start)
        var count = 0
        if overflow { count = Int.max }
        else if step > 0 && difference > 0 { count = (difference - 1) / step + 1 }
        else if step < 0 && difference < 0 { count = Int((difference.magnitude - 1) / step.magnitude + 1) }
        guard count <= maximumRangeLength else { throw JinjaRangeTooLong.count(count) }
        return .list((0..<count).map { .int(start + $0 * step) })
    }

    static func namespace(_ args: JinjaArguments) throws -> JinjaValue {
        let ns = JinjaNamespace()
        for v in args.positional {
            guard case .dict(let d) = v else { throw JinjaFailure("namespace() positional argument must be a dict") }
            for (k, value) in d.pairs { ns.attributes[k] = value }
        }
        for (k, v) in args.keyword {
            guard !k.hasPrefix("_") else { throw JinjaFailure("Chat templates cannot store underscore-prefixed attributes on a namespace, but got '\(k)'") }
            ns.attributes[.string(k)] = v
        }
        return .namespace(ns)
    }

    static func dictionary(_ args: JinjaArguments) throws -> JinjaValue {
        var d = JinjaDictionary()
        for v in args.positional {
            guard case .dict(let other) = v else { throw JinjaFailure("dict() positional argument must be a dict") }
            for (k, value) in other.pairs { d[k] = value }
        }
        for (k, v) in args.keyword { d[.string(k)] = v }
        return .dict(d)
    }

    private static func strftime(_ format: String, _ date: Date) -> String {
        var t = time_t(date.timeIntervalSince1970)
        var tmValue = tm()
        localtime_r(&t, &tmValue)
        var buffer = [Int8](repeating: 0, count: 256)
        let n = Foundation.strftime(&buffer, buffer.count, format, &tmValue)
        return String(decoding: buffer[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
