/// Which projections get adapters: module-name lists as PEFT's `target_modules`, or kimi-sft's
/// groups. Matching is by module path, so routed experts are targeted one by one
/// (`mlp.experts.E.gate_proj`) and can never be silently dropped as in PEFT's fused-expert rewrite.
public enum LoRATargets: Sendable, Equatable {
    /// Every projection: attention, dense MLP, shared experts and routed experts.
    case all
    /// A union of groups and/or module names ("q_a_proj", "experts", "attention", "dense", ...).
    case names([String])
    /// One regular expression that must match a whole module path (PEFT's string `target_modules`).
    case pattern(String)

    /// The class of a projection, by its module path.
    public enum ModuleClass: String, Sendable, CaseIterable, Comparable {
        case attention, dense, sharedExperts = "shared_experts", routedExperts = "routed_experts"

        public static func < (a: ModuleClass, b: ModuleClass) -> Bool {
            allCases.firstIndex(of: a)! < allCases.firstIndex(of: b)!
        }

        /// Classifies "…layers.N.self_attn.q_a_proj", "…mlp.gate_proj", "…mlp.shared_experts.up_proj",
        /// "…mlp.experts.E.down_proj".
        public static func of(_ path: String) -> ModuleClass? {
            if path.contains(".self_attn.") { return .attention }
            if path.contains(".mlp.shared_experts.") { return .sharedExperts }
            if path.contains(".mlp.experts.") { return .routedExperts }
            if path.contains(".mlp.") { return .dense }
            return nil
        }
    }

    public static let groupNames = ["all", "attention", "experts", "routed_experts", "shared_experts", "dense", "mlp"]

    /// Parses LLaMA-Factory's `lora_target` ("all", or a comma-separated list).
    public static func parse(_ spec: String) -> LoRATargets {
        let parts = spec.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        if parts == ["all"] { return .all }
        return .names(parts)
    }

    public var entries: [String] {
        switch self {
        case .all: return ["all"]
        case .names(let n): return n
        case .pattern(let p): return [p]
        }
    }

    /// The entries that select none of `paths` (a target that matches nothing is an error).
    public func unmatchedEntries(in paths: [String]) -> [String] {
        if case .pattern(let p) = self { return paths.contains { matches($0) } ? [] : [p] }
        return entries.filter { entry in !paths.contains { LoRATargets.entry(entry, matches: $0) } }
    }

    /// Whether one target entry selects the module at `path`. Groups select by class; other names
    /// match the last path component(s) as PEFT does (`path == name` or `path` ends with ".name").
    public static func entry(_ name: String, matches path: String) -> Bool {
        guard let cls = ModuleClass.of(path) else { return false }
        switch name {
        case "all": return true
        case "attention": return cls == .attention
        case "experts": return cls == .routedExperts || cls == .sharedExperts
        case "routed_experts": return cls == .routedExperts
        case "shared_experts": return cls == .sharedExperts
        case "dense": return cls == .dense
        case "mlp": return cls != .attention
        default: return path == name || path.hasSuffix("." + name)
        }
    }

    public func matches(_ path: String) -> Bool {
        if case .pattern(let p) = self {
            guard let regex = try? Regex(p) else { return false }
            return (try? regex.wholeMatch(in: path)) != nil
        }
        return entries.contains { LoRATargets.entry($0, matches: path) }
    }
}

import Foundation
