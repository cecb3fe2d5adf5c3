import Storage

/// The merged checkpoint's tensors in write order, each with where its bytes come from.
/// Base order is kept; an INT4 module's three tensors are listed together (packed, shape, scale)
/// so a re-quantized expert is computed once and dropped before the next one.
struct MergePlan {
    enum Source: Equatable {
        /// The base tensor's bytes, unchanged.
        case copy
        /// A float projection with s B A added, stored in its own dtype.
        case dense(module: String)
        /// An INT4 module dequantized (plus s B A when adapted) and stored as BF16 `weight`.
        case dequantized(module: String)
        /// weight_packed / weight_scale of an adapted INT4 module, re-quantized.
        case requantizedPacked(module: String)
        case requantizedScale(module: String)
    }

    struct Item {
        let spec: TensorSpec
        let source: Source
    }

    let items: [Item]
    /// Modules that are stored INT4 in the base.
    let int4Modules: Set<String>

    static let int4Suffixes = [".weight_packed", ".weight_scale", ".weight_shape"]

    init(reader: CheckpointReader, adapters: LoRAAdapterSet, format: MergeFormat) throws {
        let names = reader.tensorNames
        var int4: Set<String> = []
        for name in names where name.hasSuffix(".weight_packed") { int4.insert(String(name.dropLast(".weight_packed".count))) }
        int4Modules = int4
        var items: [Item] = []
        var done: Set<String> = []
        for name in names where !done.contains(name) {
            if let suffix = Self.int4Suffixes.first(where: { name.hasSuffix($0) }),
               case let module = String(name.dropLast(suffix.count)), int4.contains(module) {
                let triple = Self.int4Suffixes.map { module + $0 }
                for t in triple { done.insert(t) }
                let adapted = adapters[module] != nil
                switch format {
                case .bf16:
                    guard let matrix = try reader.packedInt4(module: module) else { continue }
                    items.append(Item(spec: TensorSpec(name: module + ".weight", dtype: .bfloat16, shape: [matrix.rows, matrix.columns]),
                                      source: .dequantized(module: module)))
                case .int4:
                    for t in triple {
                        let view = try reader.view(t)
                        var source = Source.copy
                        if adapted && t.hasSuffix(".weight_packed") { source = .requantizedPacked(module: module) }
                        if adapted && t.hasSuffix(".weight_scale") { source = .requantizedScale(module: module) }
                        items.append(Item(spec: TensorSpec(name: t, dtype: view.dtype, shape: view.shape), source: source))
                    }
                }
                continue
            }
            done.insert(name)
            let view = try reader.view(name)
            var source = Source.copy
            if name.hasSuffix(".weight"), case let module = String(name.dropLast(".weight".count)), adapters[module] != nil {
                guard [.bfloat16, .float16, .float32].contains(view.dtype) else {
                    throw MergeError.unsupportedDType(tensor: name, dtype: view.dtype.rawValue)
                }
                source = .dense(module: module)
            }
            items.append(Item(spec: TensorSpec(name: name, dtype: view.dtype, shape: view.shape), source: source))
        }
        self.items = items
    }

    /// `shard` in plan order when every tensor then starts aligned to its element size (the
    /// header is padded to 8 bytes), else sorted by decreasing element size.
    static func writeOrder(_ shard: [TensorSpec]) -> [TensorSpec] {
        var offset = 0
        for spec in shard {
            if offset % spec.dtype.size != 0 { return SafetensorsWriter.alignedOrder(shard) }
            offset += spec.byteCount
        }
        return shard
    }
}
