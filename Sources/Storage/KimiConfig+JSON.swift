import Foundation

/// config.json <-> KimiConfig. Two layouts exist (KIMI-FORMAT.md §1): the flat kimi_k2 /
/// DeepseekV3 one, and the nested kimi_k25 one with the text model under `text_config` and text
/// tensors under `language_model.`. Values are read from the file because they differ between
/// releases; only fields transformers itself defaults are optional here.
extension KimiConfig {
    /// Reads `directory/config.json`.
    public static func load(directory: URL) throws -> KimiConfig {
        try KimiConfigFile.load(directory: directory).config
    }

    /// Parses a config.json value (either layout). `source` names the file in errors.
    public init(json: JSONValue, source: String) throws {
        guard let top = json.objectValue else { throw CheckpointError.invalidConfig(file: source, reason: "not a JSON object") }
        let nested = top["text_config"]?.objectValue
        let text = ConfigFields(object: nested ?? top, source: source, path: nested == nil ? "" : "text_config.")
        let heads = try text.int("num_attention_heads")
        let quantization = try (text.object["quantization_config"] ?? top["quantization_config"])
            .flatMap { try QuantizationConfig(json: $0, source: source) }
        let ropeTheta = try text.optionalDouble("rope_theta")
            ?? (try text.object["rope_parameters"].flatMap { try ConfigFields(object: $0.objectValue ?? JSONObject(), source: source, path: "rope_parameters.").optionalDouble("rope_theta") })
            ?? 10000
        self.init(
            hiddenSize: try text.int("hidden_size"),
            intermediateSize: try text.int("intermediate_size"),
            moeIntermediateSize: try text.int("moe_intermediate_size"),
            numHiddenLayers: try text.int("num_hidden_layers"),
            numAttentionHeads: heads,
            numKeyValueHeads: try text.optionalInt("num_key_value_heads") ?? heads,
            qLoraRank: try text.optionalInt("q_lora_rank"),
            kvLoraRank: try text.int("kv_lora_rank"),
            qkNopeHeadDim: try text.int("qk_nope_head_dim"),
            qkRopeHeadDim: try text.int("qk_rope_head_dim"),
            vHeadDim: try text.int("v_head_dim"),
            nRoutedExperts: try text.optionalInt("n_routed_experts") ?? 0,
            nSharedExperts: try text.optionalInt("n_shared_experts") ?? 0,
            numExpertsPerTok: try text.optionalInt("num_experts_per_tok") ?? 0,
            firstKDenseReplace: try text.optionalInt("first_k_dense_replace") ?? 0,
            moeLayerFreq: try text.optionalInt("moe_layer_freq") ?? 1,
            nGroup: try text.optionalInt("n_group") ?? 1,
            topkGroup: try text.optionalInt("topk_group") ?? 1,
            topkMethod: try text.optionalString("topk_method") ?? "noaux_tc",
            scoringFunc: try text.optionalString("scoring_func") ?? "sigmoid",
            normTopkProb: try text.optionalBool("norm_topk_prob") ?? true,
            routedScalingFactor: try text.optionalDouble("routed_scaling_factor") ?? 1,
            rmsNormEps: try text.optionalDouble("rms_norm_eps") ?? 1e-6,
            ropeTheta: ropeTheta,
            ropeScaling: try RopeScaling.parse(text: text),
            ropeInterleave: try text.optionalBool("rope_interleave") ?? true,
            maxPositionEmbeddings: try text.int("max_position_embeddings"),
            vocabSize: try text.int("vocab_size"),
            tieWordEmbeddings: try text.optionalBool("tie_word_embeddings") ?? (try ConfigFields(object: top, source: source, path: "").optionalBool("tie_word_embeddings")) ?? false,
            bosTokenId: try text.optionalInt("bos_token_id"),
            eosTokenId: try text.optionalInt("eos_token_id"),
            padTokenId: try text.optionalInt("pad_token_id"),
            quantization: quantization,
            tensorPrefix: nested == nil ? "" : "language_model.")
    }

    /// The text-model fields this struct models, as config.json keys and values, in the order a
    /// generated config lists them.
    func textFields() -> [(String, JSONValue)] {
        var fields: [(String, JSONValue)] = [
            ("hidden_size", .int(hiddenSize)),
            ("intermediate_size", .int(intermediateSize)),
            ("moe_intermediate_size", .int(moeIntermediateSize)),
            ("num_hidden_layers", .int(numHiddenLayers)),
            ("num_attention_heads", .int(numAttentionHeads)),
            ("num_key_value_heads", .int(numKeyValueHeads)),
            ("q_lora_rank", qLoraRank.map { .int($0) } ?? .null),
            ("kv_lora_rank", .int(kvLoraRank)),
            ("qk_nope_head_dim", .int(qkNopeHeadDim)),
            ("qk_rope_head_dim", .int(qkRopeHeadDim)),
            ("v_head_dim", .int(vHeadDim)),
            ("n_routed_experts", .int(nRoutedExperts)),
            ("n_shared_experts", .int(nSharedExperts)),
            ("num_experts_per_tok", .int(numExpertsPerTok)),
            ("first_k_dense_replace", .int(firstKDenseReplace)),
            ("moe_layer_freq", .int(moeLayerFreq)),
            ("n_group", .int(nGroup)),
            ("topk_group", .int(topkGroup)),
            ("topk_method", .string(topkMethod)),
            ("scoring_func", .string(scoringFunc)),
            ("norm_topk_prob", .bool(normTopkProb)),
            ("routed_scaling_factor", .double(routedScalingFactor)),
            ("rms_norm_eps", .double(rmsNormEps)),
            ("rope_theta", .double(ropeTheta)),
            ("rope_scaling", ropeScaling.map { $0.jsonValue } ?? .null),
            ("max_position_embeddings", .int(maxPositionEmbeddings)),
            ("vocab_size", .int(vocabSize)),
            ("tie_word_embeddings", .bool(tieWordEmbeddings)),
        ]
        if let b = bosTokenId { fields.append(("bos_token_id", .int(b))) }
        if let e = eosTokenId { fields.append(("eos_token_id", .int(e))) }
        if let p = padTokenId { fields.append(("pad_token_id", .int(p))) }
        return fields
    }
}

/// A config.json as read: the parsed config and the raw JSON (key order and unknown keys kept), so
/// a rewritten checkpoint writes back everything kimi-sft does not model, unchanged.
public struct KimiConfigFile: Sendable {
    public var config: KimiConfig
    public var raw: JSONValue

    public init(config: KimiConfig, raw: JSONValue) { self.config = config; self.raw = raw }

    public static func load(directory: URL) throws -> KimiConfigFile {
        let url = directory.appendingPathComponent("config.json")
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw CheckpointError.io(file: url.path, reason: "cannot read config.json (\(error.localizedDescription))")
        }
        let json: JSONValue
        do { json = try data.withUnsafeBytes { try JSONParser.parse($0, source: url.path) } } catch let e as CheckpointError {
            throw e
        } catch {
            throw CheckpointError.invalidConfig(file: url.path, reason: "\(error)")
        }
        return KimiConfigFile(config: try KimiConfig(json: json, source: url.path), raw: json)
    }

    /// The raw JSON with every modelled field whose value changed rewritten in place; untouched
    /// fields keep their original spelling (e.g. `1e-05`), unknown keys stay where they were.
    public func updatedJSON() -> JSONValue {
        guard var top = raw.objectValue else { return raw }
        let original = try? KimiConfig(json: raw, source: "config.json")
        if original == config { return raw }
        let nestedKey = config.tensorPrefix.isEmpty ? nil : "text_config"
        var text = nestedKey.flatMap { top[$0]?.objectValue } ?? top
        let old = Dictionary(original?.textFields() ?? [], uniquingKeysWith: { a, _ in a })
        for (key, value) in config.textFields() where old[key] != value { text[key] = value }
        if original?.quantization != config.quantization {
            let q = config.quantization.map { $0.jsonValue(updating: text["quantization_config"]) } ?? nil
            text["quantization_config"] = q
            if nestedKey != nil, top["quantization_config"] != nil {
                top["quantization_config"] = config.quantization.map { $0.jsonValue(updating: top["quantization_config"]) } ?? nil
            }
        }
        if let key = nestedKey { top[key] = .object(text) } else { top = text }
        return .object(top)
    }

    /// Writes config.json atomically, two-space indented like transformers' `save_pretrained`.
    public func write(to directory: URL) throws {
        let text = JSONSerializer(indent: 2).serialize(updatedJSON()) + "\n"
        try AtomicFile.write(Array(text.utf8), to: directory.appendingPathComponent("config.json"))
    }
}

/// Typed access to one JSON object of config.json, with errors naming the key.
struct ConfigFields {
    let object: JSONObject
    let source: String
    let path: String

    func fail(_ key: String, _ what: String) -> CheckpointError {
        .invalidConfig(file: source, reason: "'\(path)\(key)' \(what)")
    }
    func int(_ key: String) throws -> Int {
        guard let v = try optionalInt(key) else { throw fail(key, "is missing") }
        return v
    }
    func optionalInt(_ key: String) throws -> Int? {
        guard let v = object[key], v != .null else { return nil }
        guard let i = v.intValue else { throw fail(key, "must be an integer, got \(v)") }
        return i
    }
    func optionalDouble(_ key: String) throws -> Double? {
        switch object[key] {
        case nil, .null?: return nil
        case .int(let i)?: return Double(i)
        case .double(let d)?: return d
        case let v?: throw fail(key, "must be a number, got \(v)")
        }
    }
    func optionalBool(_ key: String) throws -> Bool? {
        switch object[key] {
        case nil, .null?: return nil
        case .bool(let b)?: return b
        case let v?: throw fail(key, "must be true or false, got \(v)")
        }
    }
    func optionalString(_ key: String) throws -> String? {
        switch object[key] {
        case nil, .null?: return nil
        case .string(let s)?: return s
        case let v?: throw fail(key, "must be a string, got \(v)")
        }
    }
}

extension RopeScaling {
    /// `rope_scaling` (type / rope_type) or transformers 5's `rope_parameters`; nil when absent or
    /// of rope_type "default".
    static func parse(text: ConfigFields) throws -> RopeScaling? {
        let key: String
        if let v = text.object["rope_scaling"], v != .null { key = "rope_scaling" }
        else if let v = text.object["rope_parameters"], v != .null { key = "rope_parameters" }
        else { return nil }
        guard let object = text.object[key]?.objectValue else { throw text.fail(key, "must be an object") }
        let fields = ConfigFields(object: object, source: text.source, path: text.path + key + ".")
        let type = try fields.optionalString("type") ?? fields.optionalString("rope_type") ?? "default"
        if type == "default" { return nil }
        guard let factor = try fields.optionalDouble("factor") else { throw fields.fail("factor", "is missing") }
        return RopeScaling(type: type, factor: factor,
                           originalMaxPositionEmbeddings: try fields.int("original_max_position_embeddings"),
                           betaFast: try fields.optionalDouble("beta_fast") ?? 32,
                           betaSlow: try fields.optionalDouble("beta_slow") ?? 1,
                           mscale: try fields.optionalDouble("mscale") ?? 1,
                           mscaleAllDim: try fields.optionalDouble("mscale_all_dim") ?? 0)
    }

    var jsonValue: JSONValue {
        .object(JSONObject([
            ("beta_fast", .double(betaFast)), ("beta_slow", .double(betaSlow)), ("factor", .double(factor)),
            ("mscale", .double(mscale)), ("mscale_all_dim", .double(mscaleAllDim)),
            ("original_max_position_embeddings", .int(originalMaxPositionEmbeddings)), ("type", .string(type)),
        ]))
    }
}

extension QuantizationConfig {
    /// compressed-tensors' `quantization_config` with one weight group (`config_groups.group_0`).
    init?(json: JSONValue, source: String) throws {
        guard json != .null else { return nil }
        guard let object = json.objectValue else { throw CheckpointError.invalidConfig(file: source, reason: "'quantization_config' must be an object") }
        let top = ConfigFields(object: object, source: source, path: "quantization_config.")
        let method = try top.optionalString("quant_method") ?? "compressed-tensors"
        let format = try top.optionalString("format") ?? "pack-quantized"
        var numBits = 4, groupSize = 32, symmetric = true
        if let groups = object["config_groups"]?.objectValue, let first = groups.pairs.first,
           let weights = first.value["weights"]?.objectValue {
            let w = ConfigFields(object: weights, source: source, path: "quantization_config.config_groups.\(first.key).weights.")
            numBits = try w.optionalInt("num_bits") ?? 4
            groupSize = try w.optionalInt("group_size") ?? 32
            symmetric = try w.optionalBool("symmetric") ?? true
        } else if method == "fp8" {
            numBits = 8
            groupSize = 128
        }
        guard groupSize > 0, numBits > 0 else {
            throw CheckpointError.invalidConfig(file: source, reason: "quantization_config group_size \(groupSize) / num_bits \(numBits) must be positive")
        }
        var ignore: [String] = []
        if let list = object["ignore"] {
            guard let items = list.arrayValue, items.allSatisfy({ $0.stringValue != nil }) else {
                throw CheckpointError.invalidConfig(file: source, reason: "'quantization_config.ignore' must be a list of strings")
            }
            ignore = items.compactMap(\.stringValue)
        }
        self.init(quantMethod: method, format: format, numBits: numBits, groupSize: groupSize, symmetric: symmetric, ignore: ignore)
    }

    /// The config as compressed-tensors writes it; keys of `existing` that are not modelled stay.
    func jsonValue(updating existing: JSONValue?) -> JSONValue {
        var object = existing?.objectValue ?? JSONObject()
        let weights = JSONObject([
            ("num_bits", .int(numBits)), ("type", .string("int")), ("symmetric", .bool(symmetric)),
            ("group_size", .int(groupSize)), ("strategy", .string("group")), ("block_structure", .null),
            ("dynamic", .bool(false)), ("actorder", .null), ("observer", .string("minmax")), ("observer_kwargs", .object(JSONObject())),
        ])
        let group = JSONObject([("targets", .array([.string("Linear")])), ("weights", .object(weights)),
                                ("input_activations", .null), ("output_activations", .null)])
        object["config_groups"] = .object(JSONObject([("group_0", .object(group))]))
        object["format"] = .string(format)
        object["ignore"] = .array(ignore.map { .string($0) })
        if object["kv_cache_scheme"] == nil { object["kv_cache_scheme"] = .null }
        object["quant_method"] = .string(quantMethod)
        object["quantization_status"] = .string("compressed")
        return .object(object)
    }
}
