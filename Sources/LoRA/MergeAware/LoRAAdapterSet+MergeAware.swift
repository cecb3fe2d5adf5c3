import Storage

extension LoRAAdapterSet {
    /// Turns on merge-aware training for every adapter whose base projection is INT4 (the routed
    /// experts of a Kimi base): `baseWeight(path)` returns that projection's packed weight, or nil
    /// for a BF16 projection (left as plain LoRA). `convention` must be the one the merge will use;
    /// `detectedConvention(store:)` finds it from the base's own codes.
    /// Returns the number of adapters switched to merge-aware.
    @discardableResult
    public func enableMergeAwareQuantization(convention: Int4Quantizer.ScaleConvention,
                                             baseWeight: (String) throws -> PackedInt4Matrix?) rethrows -> Int {
        var count = 0
        for path in paths {
            guard let matrix = try baseWeight(path) else { continue }
            adapters[path]!.deltaTransform = MergeAwareQuantization(base: matrix, convention: convention)
            count += 1
        }
        return count
    }

    /// The same, reading base weights from a checkpoint and detecting the scale convention the
    /// INT4 merge would use. Returns nil (and changes nothing) when the base has no INT4 module.
    @discardableResult
    public func enableMergeAwareQuantization(store: any WeightStore) throws -> ScaleConventionDetection? {
        let int4 = try paths.filter { try store.packedInt4(module: $0) != nil }
        guard let detection = try ScaleConventionDetection.detect(store: store, modules: int4) else { return nil }
        try enableMergeAwareQuantization(convention: detection.convention) { try store.packedInt4(module: $0) }
        return detection
    }

    /// Back to plain LoRA on every adapter.
    public func disableMergeAwareQuantization() {
        for path in paths { adapters[path]!.deltaTransform = nil }
    }
}
