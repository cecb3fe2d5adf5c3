import Storage

/// `adapter_config.json` as PEFT writes and reads it (keys as in PEFT 0.21's LoraConfig; see
/// scripts/golden/reference/peft-0.21.2-adapter_config.json). kimi-sft writes every key PEFT writes
/// so `PeftModel.from_pretrained` loads the adapter without warnings.
public struct PEFTAdapterConfig: Sendable, Equatable {
    public var rank: Int
    public var alpha: Double
    public var dropout: Double
    public var useRSLoRA: Bool
    /// Either PEFT's list of module-name suffixes or one regex (PEFT full-matches a string).
    public var targetModules: JSONValue
    public var layersToTransform: [Int]?
    public var baseModelNameOrPath: String?
    /// Per-module rank / alpha overrides (PEFT `rank_pattern`, `alpha_pattern`), keyed by a pattern.
    public var rankPattern: [String: Int]
    public var alphaPattern: [String: Double]

    public init(lora: LoRAConfig, model: KimiConfig, baseModelNameOrPath: String?) {
        rank = lora.rank; alpha = lora.alpha; dropout = lora.dropout; useRSLoRA = lora.useRSLoRA
        self.baseModelNameOrPath = baseModelNameOrPath
        rankPattern = [:]; alphaPattern = [:]
        layersToTransform = lora.layers.map { Array($0) }
        targetModules = PEFTAdapterConfig.targetModules(for: lora, model: model)
    }

    /// The PEFT target_modules that select exactly the projections kimi-sft adapts. A plain name list
    /// when the names alone say it (e.g. `all`); otherwise a regex, since PEFT's suffix names cannot tell
    /// the dense MLP's gate_proj from an expert's.
    static func targetModules(for lora: LoRAConfig, model: KimiConfig) -> JSONValue {
        let specs = ProjectionInventory.projections(of: model)
        let selected = specs.filter { lora.targets.matches($0.path) }
        let names = Array(Set(selected.map { String($0.path.split(separator: ".").last!) })).sorted()
        let byNames = specs.filter { s in names.contains { s.path.hasSuffix("." + $0) } }
        if byNames.count == selected.count {
            return .array(names.map { .string($0) })
        }
        // Regex over the selected (class, name) combinations.
        var alternatives: [String] = []
        for cls in LoRATargets.ModuleClass.allCases {
            let clsNames = Array(Set(selected.filter { $0.moduleClass == cls }.map { String($0.path.split(separator: ".").last!) })).sorted()
            guard !clsNames.isEmpty else { continue }
            let group = "(" + clsNames.joined(separator: "|") + ")"
            switch cls {
            case .attention: alternatives.append("self_attn\\.\(group)")
            case .dense: alternatives.append("mlp\\.\(group)")
            case .sharedExperts: alternatives.append("mlp\\.shared_experts\\.\(group)")
            case .routedExperts: alternatives.append("mlp\\.experts\\.\\d+\\.\(group)")
            }
        }
        return .string(".*\\.layers\\.\\d+\\.(" + alternatives.joined(separator: "|") + ")")
    }

    public var json: JSONValue {
        var o = JSONObject()
        o["alpha_pattern"] = .object(JSONObject(alphaPattern.sorted { $0.key < $1.key }.map { ($0.key, .double($0.value)) }))
        o["auto_mapping"] = .null
        o["base_model_name_or_path"] = baseModelNameOrPath.map { .string($0) } ?? .null
        o["bias"] = .string("none")
        o["exclude_modules"] = .null
        o["fan_in_fan_out"] = .bool(false)
        o["inference_mode"] = .bool(true)
        o["init_lora_weights"] = .bool(true)
        o["layer_replication"] = .null
        o["layers_pattern"] = layersToTransform == nil ? .null : .string("layers")
        o["layers_to_transform"] = layersToTransform.map { .array($0.map { .int($0) }) } ?? .null
        o["lora_alpha"] = alpha.rounded() == alpha ? .int(Int(alpha)) : .double(alpha)
        o["lora_bias"] = .bool(false)
        o["lora_dropout"] = .double(dropout)
        o["modules_to_save"] = .null
        o["peft_type"] = .string("LORA")
        o["r"] = .int(rank)
        o["rank_pattern"] = .object(JSONObject(rankPattern.sorted { $0.key < $1.key }.map { ($0.key, .int($0.value)) }))
        o["revision"] = .null
        o["target_modules"] = targetModules
        o["target_parameters"] = .null
        o["task_type"] = .string("CAUSAL_LM")
        o["use_dora"] = .bool(false)
        o["use_rslora"] = .bool(useRSLoRA)
        return .object(o)
    }

    /// Reads an adapter_config.json (PEFT's or kimi-sft's), rejecting what kimi-sft cannot honour.
    public init(json: JSONValue, file: String) throws {
        guard case .object(let o) = json else { throw LoRAError.invalidConfig(file: file, message: "not a JSON object") }
        func fail(_ m: String) -> LoRAError { .invalidConfig(file: file, message: m) }
        if let t = o["peft_type"]?.stringValue, t != "LORA" { throw fail("peft_type is '\(t)', kimi-sft loads LORA adapters only") }
        guard let r = o["r"]?.intValue, r > 0 else { throw fail("'r' must be a positive integer") }
        rank = r
        switch o["lora_alpha"] {
        case .int(let i)?: alpha = Double(i)
        case .double(let d)?: alpha = d
        case nil, .null?: alpha = Double(r)   // PEFT's default lora_alpha is 8; explicit in every real file
        default: throw fail("'lora_alpha' must be a number")
        }
        switch o["lora_dropout"] {
        case .int(let i)?: dropout = Double(i)
        case .double(let d)?: dropout = d
        default: dropout = 0
        }
        if case .bool(let b)? = o["use_rslora"] { useRSLoRA = b } else { useRSLoRA = false }
        if case .bool(true)? = o["use_dora"] { throw fail("DoRA adapters (use_dora: true) are not supported") }
        if let bias = o["bias"]?.stringValue, bias != "none" { throw fail("bias '\(bias)' is not supported (only \"none\")") }
        if case .bool(true)? = o["fan_in_fan_out"] { throw fail("fan_in_fan_out adapters are not supported") }
        targetModules = o["target_modules"] ?? .null
        if case .array(let l)? = o["layers_to_transform"] { layersToTransform = l.compactMap(\.intValue) }
        else if case .int(let i)? = o["layers_to_transform"] { layersToTransform = [i] }
        else { layersToTransform = nil }
        baseModelNameOrPath = o["base_model_name_or_path"]?.stringValue
        var rp: [String: Int] = [:]
        if case .object(let p)? = o["rank_pattern"] { for (k, v) in p.pairs { if let i = v.intValue { rp[k] = i } } }
        rankPattern = rp
        var ap: [String: Double] = [:]
        if case .object(let p)? = o["alpha_pattern"] {
            for (k, v) in p.pairs {
                switch v { case .int(let i): ap[k] = Double(i); case .double(let d): ap[k] = d; default: break }
            }
        }
        alphaPattern = ap
    }

    /// Rank and alpha for one module, honouring rank_pattern / alpha_pattern (PEFT matches the pattern
    /// as a suffix of the module name, or as a regex over it).
    public func rankAndAlpha(for module: String) -> (rank: Int, alpha: Double) {
        func lookup<T>(_ pattern: [String: T]) -> T? {
            for (key, value) in pattern.sorted(by: { $0.key.count > $1.key.count }) {
                if module == key || module.hasSuffix("." + key) { return value }
                if let regex = try? Regex(key), (try? regex.wholeMatch(in: module)) != nil { return value }
            }
            return nil
        }
        return (lookup(rankPattern) ?? rank, lookup(alphaPattern) ?? alpha)
    }

    /// The targets this config names: PEFT's name list, or its full-match regex.
    public var targets: LoRATargets {
        switch targetModules {
        case .string(let pattern): return pattern == "all-linear" ? .all : .pattern(pattern)
        case .array(let names): return .names(names.compactMap(\.stringValue))
        default: return .all
        }
    }

    /// layers_to_transform as a range when it is one contiguous run (nil: every layer).
    public var layerRange: ClosedRange<Int>? {
        guard let layers = layersToTransform, let first = layers.min(), let last = layers.max() else { return nil }
        return first...last
    }

    public func scaling(rank r: Int, alpha a: Double) -> Float {
        Float(useRSLoRA ? a / Double(r).squareRoot() : a / Double(r))
    }
}
