/// cos/sin tables grown on demand to the largest position a batch uses, so a model with
/// max_position_embeddings 262144 does not build 262144-row tables to train on 2048 tokens.
public final class RotaryCache {
    public let embedding: RotaryEmbedding
    public private(set) var cos: [Float] = []
    public private(set) var sin: [Float] = []
    public private(set) var positions = 0

    public init(embedding: RotaryEmbedding) { self.embedding = embedding }

    /// Makes the tables cover positions 0..<count.
    public func ensure(positions count: Int) {
        guard count > positions else { return }
        let grown = max(count, positions * 2)
        (cos, sin) = embedding.tables(positions: grown)
        positions = grown
    }
}
