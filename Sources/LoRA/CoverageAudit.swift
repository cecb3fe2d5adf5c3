import Storage

/// What the requested targets imply against what adapters actually exist, per module class.
/// Printed when training starts and by `kimi-sft inspect --adapter`; a requested target that
/// matches nothing, or an implied projection without an adapter, is an error, never a warning:
/// silently untrained experts are the failure this exists to prevent.
public struct CoverageAudit: Sendable, CustomStringConvertible {
    public struct Row: Sendable {
        public let moduleClass: LoRATargets.ModuleClass
        public let impliedTensors: Int
        public let adaptedTensors: Int
        public let trainableParameters: Int
    }

    public let rows: [Row]
    public let missing: [String]
    public let unexpected: [String]
    public let rank: Int

    public var isComplete: Bool { missing.isEmpty && unexpected.isEmpty }
    public var totalParameters: Int { rows.reduce(0) { $0 + $1.trainableParameters } }
    public var totalTensors: Int { rows.reduce(0) { $0 + $1.adaptedTensors } }

    /// - Parameters:
    ///   - adapted: module path -> (rank, parameter count) of each adapter present.
    public init(config: KimiConfig, lora: LoRAConfig, adapted: [String: (rank: Int, parameters: Int)]) throws {
        let all = ProjectionInventory.projections(of: config)
        for entry in lora.targets.unmatchedEntries(in: all.map(\.path)) {
            throw LoRAError.targetMatchesNothing(entry, suggestion: LoRAError.suggestion(for: entry, paths: all.map(\.path)))
        }
        let implied = all.filter { lora.targets.matches($0.path) && (lora.layers?.contains($0.layer) ?? true) }
        let impliedPaths = Set(implied.map(\.path))
        var rows: [Row] = []
        for cls in LoRATargets.ModuleClass.allCases {
            let classImplied = implied.filter { $0.moduleClass == cls }
            let classAdapted = adapted.filter { LoRATargets.ModuleClass.of($0.key) == cls }
            rows.append(Row(moduleClass: cls, impliedTensors: 2 * classImplied.count, adaptedTensors: 2 * classAdapted.count,
                            trainableParameters: classAdapted.values.reduce(0) { $0 + $1.parameters }))
        }
        self.rows = rows
        self.missing = implied.map(\.path).filter { adapted[$0] == nil }
        self.unexpected = adapted.keys.filter { !impliedPaths.contains($0) }.sorted()
        self.rank = lora.rank
    }

    public var description: String {
        var lines = ["LoRA coverage (rank \(rank)):",
                     "  module class      tensors (implied)  adapted  trainable params"]
        for row in rows {
            let name = row.moduleClass.rawValue.padding(toLength: 16, withPad: " ", startingAt: 0)
            lines.append("  \(name)  \(String(row.impliedTensors).leftPadded(17))  \(String(row.adaptedTensors).leftPadded(7))  \(String(row.trainableParameters).leftPadded(16))")
        }
        lines.append("  total             \(String(rows.reduce(0) { $0 + $1.impliedTensors }).leftPadded(17))  \(String(totalTensors).leftPadded(7))  \(String(totalParameters).leftPadded(16))")
        if !missing.isEmpty { lines.append("  MISSING adapters for \(missing.count) targeted projections, e.g. \(missing.prefix(3).joined(separator: ", "))") }
        if !unexpected.isEmpty { lines.append("  UNEXPECTED adapters on \(unexpected.count) projections, e.g. \(unexpected.prefix(3).joined(separator: ", "))") }
        return lines.joined(separator: "\n")
    }

    /// Throws when any targeted projection has no adapter (or an adapter sits where none was asked for).
    public func requireComplete() throws {
        if !missing.isEmpty { throw LoRAError.untrainedTargets(count: missing.count, examples: Array(missing.prefix(5))) }
        if !unexpected.isEmpty { throw LoRAError.unexpectedAdapters(count: unexpected.count, examples: Array(unexpected.prefix(5))) }
    }
}

extension String {
    func leftPadded(_ width: Int) -> String { count >= width ? self : String(repeating: " ", count: width - count) + self }
}
