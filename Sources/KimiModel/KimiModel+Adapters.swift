import Foundation
import LoRA
import Storage

extension KimiModel {
    /// The projection at a checkpoint module path, if the model has one.
    public func projection(at path: String) -> FrozenProjection? {
        projectionIndex[path]
    }

    /// In and out features of every adaptable projection by module path (what adapter files are
    /// checked against).
    public var projectionShapes: [String: (inFeatures: Int, outFeatures: Int)] {
        Dictionary(projections.map { ($0.path, (inFeatures: $0.projection.inFeatures, outFeatures: $0.projection.outFeatures)) },
                   uniquingKeysWith: { first, _ in first })
    }

    /// Plugs every adapter of `set` into the projection at its module path (replacing what was
    /// there). A path the model lacks is an error, never silently skipped.
    public func attach(_ set: LoRAAdapterSet) throws {
        for path in set.paths {
            guard let projection = projection(at: path), let adapter = set[path] else {
                throw ModelError.unknownProjection(path)
            }
            precondition(adapter.inFeatures == projection.inFeatures && adapter.outFeatures == projection.outFeatures,
                         "adapter \(adapter.outFeatures)x\(adapter.inFeatures) on \(path) (\(projection.outFeatures)x\(projection.inFeatures))")
            projection.adapter = adapter
        }
    }

    /// Loads the PEFT LoRA adapter in `directory` (LoRA's `PEFTAdapterFile`, which refuses modules
    /// or shapes this base lacks) and plugs it in, in evaluation mode (no dropout).
    /// Returns the number of projections that received an adapter.
    @discardableResult
    public func attachPEFTAdapter(directory: URL) throws -> Int {
        let set = try PEFTAdapterFile.load(from: directory, projections: projectionShapes)
        set.setTraining(false)
        try attach(set)
        return set.count
    }
}
