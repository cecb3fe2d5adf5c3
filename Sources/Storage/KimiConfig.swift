/// The text-model configuration of a Kimi K2.x / DeepseekV3 checkpoint, with Swift names for the
/// snake_case keys of config.json. Parsing (both the flat kimi_k2 layout and the nested kimi_k25
/// layout with `text_config`) lives in `KimiConfig+JSON.swift`; values are read from the file,
/// never assumed, because they differ between releases (rms_norm_eps, rope_scaling, ...).
public struct KimiConfig: Sendable, Equatable {
    public var hiddenSize: Int
    public var intermediateSize: Int
    public var moeIntermediateSize: Int
    public var numHiddenLayers: Int
    public var numAttentionHeads: Int
    public var numKeyValueHeads: Int
    /// nil: the model has a plain `q_proj` instead of q_a_proj / q_a_layernorm / q_b_proj.
    public var qLoraRank: Int?
    public var kvLoraRank: Int
    public var qkNopeHeadDim: Int
    public var qkRopeHeadDim: Int
    public var vHeadDim: Int
    public var nRoutedExperts: Int
    public var nSharedExperts: Int
    public var numExpertsPerTok: Int
    public var firstKDenseReplace: Int
    public var moeLayerFreq: Int
    public var nGroup: Int
    public var topkGroup: Int
    public var topkMethod: String
    public var scoringFunc: String
    public var normTopkProb: Bool
    public var routedScalingFactor: Double
    public var rmsNormEps: Double
    public var ropeTheta: Double
    public var ropeScaling: RopeScaling?
    /// transformers' DeepseekV3 `rope_interleave` (default true).
    public var ropeInterleave: Bool
    public var maxPositionEmbeddings: Int
    public var vocabSize: Int
    public var tieWordEmbeddings: Bool
    public var bosTokenId: Int?
    public var eosTokenId: Int?
    public var padTokenId: Int?
    public var quantization: QuantizationConfig?
    /// "" for the flat layout, "language_model." for the nested (K2.5+) layout.
    public var tensorPrefix: String

    public var qHeadDim: Int { qkNopeHeadDim + qkRopeHeadDim }

    /// Whether decoder layer `index` has a routed-expert MoE block (else a dense MLP).
    public func isMoELayer(_ index: Int) -> Bool {
        nRoutedExperts > 0 && index >= firstKDenseReplace && index % max(moeLayerFreq, 1) == 0
    }

    public init(hiddenSize: Int, intermediateSize: Int, moeIntermediateSize: Int, numHiddenLayers: Int,
                numAttentionHeads: Int, numKeyValueHeads: Int, qLoraRank: Int?, kvLoraRank: Int,
                qkNopeHeadDim: Int, qkRopeHeadDim: Int, vHeadDim: Int, nRoutedExperts: Int,
                nSharedExperts: Int, numExpertsPerTok: Int, firstKDenseReplace: Int, moeLayerFreq: Int = 1,
                nGroup: Int = 1, topkGroup: Int = 1, topkMethod: String = "noaux_tc",
                scoringFunc: String = "sigmoid", normTopkProb: Bool = true, routedScalingFactor: Double,
                rmsNormEps: Double, ropeTheta: Double, ropeScaling: RopeScaling?, ropeInterleave: Bool = true,
                maxPositionEmbeddings: Int, vocabSize: Int, tieWordEmbeddings: Bool = false,
                bosTokenId: Int? = nil, eosTokenId: Int? = nil, padTokenId: Int? = nil,
                quantization: QuantizationConfig? = nil, tensorPrefix: String = "") {
        self.hiddenSize = hiddenSize; self.intermediateSize = intermediateSize
        self.moeIntermediateSize = moeIntermediateSize; self.numHiddenLayers = numHiddenLayers
        self.numAttentionHeads = numAttentionHeads; self.numKeyValueHeads = numKeyValueHeads
        self.qLoraRank = qLoraRank; self.kvLoraRank = kvLoraRank; self.qkNopeHeadDim = qkNopeHeadDim
        self.qkRopeHeadDim = qkRopeHeadDim; self.vHeadDim = vHeadDim; self.nRoutedExperts = nRoutedExperts
        self.nSharedExperts = nSharedExperts; self.numExpertsPerTok = numExpertsPerTok
        self.firstKDenseReplace = firstKDenseReplace; self.moeLayerFreq = moeLayerFreq; self.nGroup = nGroup
        self.topkGroup = topkGroup; self.topkMethod = topkMethod; self.scoringFunc = scoringFunc
        self.normTopkProb = normTopkProb; self.routedScalingFactor = routedScalingFactor
        self.rmsNormEps = rmsNormEps; self.ropeTheta = ropeTheta; self.ropeScaling = ropeScaling
        self.ropeInterleave = ropeInterleave; self.maxPositionEmbeddings = maxPositionEmbeddings
        self.vocabSize = vocabSize; self.tieWordEmbeddings = tieWordEmbeddings; self.bosTokenId = bosTokenId
        self.eosTokenId = eosTokenId; self.padTokenId = padTokenId; self.quantization = quantization
        self.tensorPrefix = tensorPrefix
    }
}

/// `rope_scaling` (or transformers 5's `rope_parameters`) of type yarn.
public struct RopeScaling: Sendable, Equatable {
    public var type: String
    public var factor: Double
    public var originalMaxPositionEmbeddings: Int
    public var betaFast: Double
    public var betaSlow: Double
    public var mscale: Double
    public var mscaleAllDim: Double

    public init(type: String = "yarn", factor: Double, originalMaxPositionEmbeddings: Int,
                betaFast: Double = 32, betaSlow: Double = 1, mscale: Double = 1, mscaleAllDim: Double = 1) {
        self.type = type; self.factor = factor; self.originalMaxPositionEmbeddings = originalMaxPositionEmbeddings
        self.betaFast = betaFast; self.betaSlow = betaSlow; self.mscale = mscale; self.mscaleAllDim = mscaleAllDim
    }
}

/// compressed-tensors `quantization_config` (pack-quantized, symmetric, group strategy).
public struct QuantizationConfig: Sendable, Equatable {
    public var quantMethod: String
    public var format: String
    public var numBits: Int
    public var groupSize: Int
    public var symmetric: Bool
    public var ignore: [String]

    public init(quantMethod: String = "compressed-tensors", format: String = "pack-quantized", numBits: Int = 4,
                groupSize: Int = 32, symmetric: Bool = true, ignore: [String] = []) {
        self.quantMethod = quantMethod; self.format = format; self.numBits = numBits
        self.groupSize = groupSize; self.symmetric = symmetric; self.ignore = ignore
    }
}
