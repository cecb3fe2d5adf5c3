import Foundation
import Trainer

/// `kimi-sft train RECIPE.yaml`: LoRA SFT as the recipe says (see TrainingRun for the outputs).
enum TrainCommand: Subcommand {
    static let name = "train"
    static let abstract = "LoRA fine-tune a Kimi model as a LLaMA-Factory-style YAML recipe says."
    static let arguments = "<recipe.yaml>"
    static let discussion = """
    Trains LoRA adapters on the frozen base and writes into output_dir: checkpoint-N/ every save_steps
    (PEFT adapter + trainer_state.h5/.json, rotated by save_total_limit), the final adapter,
    metrics.jsonl, trainer_log.jsonl and, with plot_loss, training_loss.svg. Ctrl-C (SIGINT) or SIGTERM
    finishes the current update, saves a checkpoint and exits; resume_from_checkpoint: true continues
    exactly where it stopped. --dry-run loads and checks the recipe, the model and the data, prints the
    plan (sequences, tokens, updates, memory) and exits without training.
    """
    static let options: [OptionSpec] = [
        .repeated("set", "key=value", help: "Override a recipe key (repeatable), e.g. --set learning_rate=1e-4."),
        .flag("dry-run", help: "Validate recipe, model and data and print the plan; do not train."),
    ]

    static func run(_ arguments: ParsedArguments) throws {
        try arguments.positionalCount(1...1, "one recipe file")
        let recipe = try Recipe.load(file: arguments.positionals[0], overrides: arguments.all("set"))
        let training = TrainingRun(recipe: recipe)
        if arguments.has("dry-run") {
            _ = try training.prepare()
            print("dry run: recipe, model and data are valid; nothing trained")
            return
        }
        let summary = try training.run()
        if case .stopped(let reason) = summary.outcome {
            exit(reason == "SIGTERM" ? 143 : 130)
        }
    }
}
