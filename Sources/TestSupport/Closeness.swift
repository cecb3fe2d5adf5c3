/// Comparison of float arrays that reports the largest difference and where it is, so a failing
/// test says which element broke instead of only "not equal".
public struct Closeness: CustomStringConvertible, Sendable {
    public let maxAbsoluteDifference: Double
    public let maxRelativeDifference: Double
    public let index: Int
    public let expected: Double
    public let actual: Double
    public let passes: Bool

    public var description: String {
        "max |diff| \(maxAbsoluteDifference) (rel \(maxRelativeDifference)) at index \(index): expected \(expected), got \(actual)"
    }
}

/// Compares element-wise; passes when every |a - e| <= absolute + relative * |e|.
public func closeness<A: BinaryFloatingPoint, E: BinaryFloatingPoint>(
    _ actual: [A], _ expected: [E], absolute: Double = 1e-5, relative: Double = 1e-4
) -> Closeness {
    precondition(actual.count == expected.count, "closeness: count \(actual.count) != expected \(expected.count)")
    var worst = 0.0, worstRelative = 0.0, worstIndex = -1, passes = true
    var worstExcess = -Double.infinity
    for i in 0..<actual.count {
        let a = Double(actual[i]), e = Double(expected[i])
        let diff = (a.isNaN || e.isNaN) ? (a.isNaN && e.isNaN ? 0 : .infinity) : abs(a - e)
        let allowed = absolute + relative * abs(e)
        if diff > allowed { passes = false }
        if diff - allowed > worstExcess { worstExcess = diff - allowed; worstIndex = i }
        if diff > worst { worst = diff }
        worstRelative = max(worstRelative, diff / max(abs(e), 1e-12))
    }
    let idx = max(worstIndex, 0)
    return Closeness(maxAbsoluteDifference: worst, maxRelativeDifference: worstRelative, index: worstIndex,
                     expected: expected.isEmpty ? 0 : Double(expected[idx]),
                     actual: actual.isEmpty ? 0 : Double(actual[idx]), passes: passes)
}
