import Storage

extension Recipe {
    /// The effective settings under their recipe key names, defaults filled in: what
    /// `train --dry-run` prints and what a run saves beside its outputs, so a run can be repeated
    /// from its output folder alone.
    public var effectiveSettings: JSONObject {
        var s = JSONObject()
        s["model_name_or_path"] = .string(modelPath)
        s["adapter_name_or_path"] = adapterPath.map(JSONValue.string) ?? .null
        s["dataset"] = .array(datasets.map(JSONValue.string))
        s["eval_dataset"] = evalDatasets.isEmpty ? .null : .array(evalDatasets.map(JSONValue.string))
        s["val_size"] = .double(validationSize)
        s["cutoff_len"] = .int(cutoffLength)
        s["max_samples"] = maxSamples.map(JSONValue.int) ?? .null
        s["packing"] = .bool(packing)
        s["train_on_prompt"] = .bool(trainOnPrompt)
        s["mask_history"] = .bool(maskHistory)
        s["lora_rank"] = .int(loraRank)
        s["lora_alpha"] = .double(effectiveLoRAAlpha)
        s["lora_dropout"] = .double(loraDropout)
        s["lora_target"] = .array(loraTargets.map(JSONValue.string))
        s["use_rslora"] = .bool(useRSLoRA)
        s["lora_merge_aware"] = .bool(loraMergeAware)
        switch loraLayers {
        case .all: s["lora_layers"] = .string("all")
        case .layers(let list): s["lora_layers"] = .array(list.map(JSONValue.int))
        }
        s["learning_rate"] = .double(learningRate)
        s["num_train_epochs"] = .double(numberOfEpochs)
        s["max_steps"] = .int(maxSteps)
        s["per_device_train_batch_size"] = .int(batchSize)
        s["gradient_accumulation_steps"] = .int(gradientAccumulationSteps)
        s["lr_scheduler_type"] = .string(scheduler.rawValue)
        s["warmup_ratio"] = .double(warmupRatio)
        s["warmup_steps"] = .double(warmupSteps)
        s["weight_decay"] = .double(weightDecay)
        s["adam_beta1"] = .double(adamBeta1)
        s["adam_beta2"] = .double(adamBeta2)
        s["adam_epsilon"] = .double(adamEpsilon)
        s["max_grad_norm"] = .double(maxGradientNorm)
        s["optim"] = .string(optimizer.rawValue)
        if optimizer == .sgd { s["sgd_momentum"] = .double(sgdMomentum) }
        s["seed"] = .int(seed)
        s["output_dir"] = .string(outputDirectory)
        s["overwrite_output_dir"] = .bool(overwriteOutputDirectory)
        s["logging_steps"] = interval(loggingSteps)
        s["save_steps"] = interval(saveSteps)
        s["save_total_limit"] = saveTotalLimit.map(JSONValue.int) ?? .null
        s["eval_strategy"] = .string(effectiveEvalStrategy.rawValue)
        s["eval_steps"] = interval(evalSteps ?? loggingSteps)
        s["per_device_eval_batch_size"] = .int(evalBatchSize)
        switch resumeFromCheckpoint {
        case nil: s["resume_from_checkpoint"] = .null
        case .latest: s["resume_from_checkpoint"] = .bool(true)
        case .path(let path): s["resume_from_checkpoint"] = .string(path)
        }
        s["plot_loss"] = .bool(plotLoss)
        s["on_bad_record"] = .string(onBadRecord.rawValue)
        s["chat_template"] = chatTemplatePath.map(JSONValue.string) ?? .null
        s["threads"] = .int(threads)
        s["memory_budget"] = memoryBudgetBytes.map { .string("\($0)B") } ?? .null
        return s
    }

    private func interval(_ interval: StepInterval) -> JSONValue {
        switch interval {
        case .every(let n): .int(n)
        case .fraction(let f): .double(f)
        }
    }
}
