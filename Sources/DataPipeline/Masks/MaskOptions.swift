/// How assistant-only loss masks are built (the recipe's train_on_prompt, mask_history and
/// preserve_thinking keys).
public struct MaskOptions: Sendable, Equatable {
    /// Train on every token of every example, prompt included.
    public var trainOnPrompt: Bool
    /// Train only the last assistant turn of each conversation (earlier turns are context).
    public var maskHistory: Bool
    /// Pass `preserve_thinking: true` to the template (K2.6's switch that keeps earlier turns'
    /// reasoning) unless the record sets it itself; with it the render is append-only.
    public var preserveThinking: Bool

    public init(trainOnPrompt: Bool = false, maskHistory: Bool = false, preserveThinking: Bool = false) {
        self.trainOnPrompt = trainOnPrompt
        self.maskHistory = maskHistory
        self.preserveThinking = preserveThinking
    }
}
