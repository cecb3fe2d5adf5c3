#!/usr/bin/env python3
"""Golden fixtures for LoRA adapters and merges (issue 5): PEFT 0.21.2 + transformers 5.25 vs kimi-sft.

Base: the KimiModel golden checkpoint qlora_yarn32 (flat, 2 layers, layer 1 MoE with 8 INT4 routed
experts), copied to Tests/LoRATests/Fixtures/lora-golden/base.

  (a) PEFT loads the adapter kimi-sft wrote (lora-golden/kimi-sft-adapter) on the transformers model
      and computes its loss                                              -> expected["kimi_sft_adapter"]
  (b) PEFT creates and saves an adapter on every projection (lora-golden/peft-adapter) and records its
      loss and the LoRA gradients dA, dB of a few modules               -> expected["peft_adapter"]
  (c) transformers loads kimi-sft's merged BF16 and INT4 checkpoints (written by `kimi-sft merge`)
      and computes the loss on them                                     -> expected["merged"]

How the reference model is run (KIMI-FORMAT.md §8):
  - model_type is set to deepseek_v3 in a temporary copy of config.json (transformers picks its
    per-expert -> fused expert conversion by model_type);
  - everything is cast to fp32; the fused experts are replaced by per-expert nn.Linear modules named
    like the checkpoint (mlp.experts.E.gate_proj ...), so PEFT reaches routed experts by module name;
  - those expert weights are the EXACT fp32 dequantization (nibble - 8) * scale read from the
    checkpoint file, which is what kimi-sft computes. transformers' own loader evaluates q * scale in
    bf16; for the INT4 merge, whose re-quantized scales are not powers of two, that loss is recorded
    separately as loss_transformers_bf16_dequantization;
  - peft.utils.transformers_weight_conversion.convert_peft_config_for_transformers is neutralised
    around get_peft_model / PeftModel.from_pretrained (it would silently rewrite gate/up/down_proj
    targets into target_parameters and drop the dense MLP and shared experts), and so is
    convert_peft_adapter_state_dict_for_transformers (on load it renames per-expert adapter keys to
    fused names, so every routed-expert LoRA weight is silently dropped); the number of LoRA modules
    PEFT created and that every loaded LoRA tensor equals the file are asserted.

Run by hand (never in CI), from the repository root:
    swift build --product kimi-sft
    KIMI_SFT_GOLDEN_ADAPTER_OUT=$PWD/Tests/LoRATests/Fixtures/lora-golden/kimi-sft-adapter \\
        swift test --filter PEFTGoldenTests/committedAdapterIsWhatKimiSFTWrites   # writes kimi-sft's adapter
    /opt/kimi-golden-venv/bin/python scripts/golden/make_lora_fixtures.py
"""
import contextlib
import json
import os
import shutil
import subprocess
import sys
import tempfile

import torch
from safetensors import safe_open

import peft
import peft.utils.transformers_weight_conversion as peft_conversion
import transformers
from peft import LoraConfig, PeftModel, get_peft_model
from transformers import CompressedTensorsConfig, DeepseekV3ForCausalLM

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FIX = os.path.join(ROOT, "Tests", "LoRATests", "Fixtures", "lora-golden")
MODEL_FIXTURE = os.path.join(ROOT, "Tests", "KimiModelTests", "Fixtures", "qlora_yarn32")
KIMI_SFT = os.path.join(ROOT, ".build", "debug", "kimi-sft")
TARGETS = ["q_a_proj", "q_b_proj", "kv_a_proj_with_mqa", "kv_b_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]
# Modules whose LoRA gradients are recorded for (b).
GRADIENT_MODULES = ["model.layers.0.self_attn.q_a_proj", "model.layers.0.mlp.down_proj",
                    "model.layers.1.self_attn.kv_b_proj", "model.layers.1.mlp.shared_experts.up_proj"]

with open(os.path.join(MODEL_FIXTURE, "expected.json")) as f:
    SEQUENCES = [{"input_ids": s["input_ids"], "labels": s["labels"]} for s in json.load(f)["sequences"]]


@contextlib.contextmanager
def no_peft_moe_rewrite():
    """PEFT's two transformers-5 MoE conversions, both silent: the config rewrite (targets ->
    target_parameters) and, when loading, the adapter state-dict rewrite, which renames per-expert
    keys to fused ones so every routed-expert LoRA weight is dropped and left at its initial value."""
    config_rewrite = peft_conversion.convert_peft_config_for_transformers
    state_rewrite = peft_conversion.convert_peft_adapter_state_dict_for_transformers
    peft_conversion.convert_peft_config_for_transformers = lambda *args, **kwargs: None
    peft_conversion.convert_peft_adapter_state_dict_for_transformers = lambda **kwargs: kwargs["adapter_state_dict"]
    try:
        yield
    finally:
        peft_conversion.convert_peft_config_for_transformers = config_rewrite
        peft_conversion.convert_peft_adapter_state_dict_for_transformers = state_rewrite


def check_loaded(model, adapter_dir):
    """Every LoRA weight PEFT holds equals the file's (PEFT's loader drops keys silently)."""
    from safetensors.torch import load_file
    sd = load_file(os.path.join(adapter_dir, "adapter_model.safetensors"))
    seen = set()
    for name, m in model.named_modules():
        if hasattr(m, "lora_A") and "default" in m.lora_A:
            for part in ("lora_A", "lora_B"):
                w = getattr(m, part)["default"].weight
                assert torch.equal(w.detach(), sd[f"{name}.{part}.weight"]), f"{name}.{part} not loaded from {adapter_dir}"
                seen.add(f"{name}.{part}.weight")
    assert seen == set(sd), f"PEFT holds {len(seen)} LoRA tensors, the file {len(sd)}"


def read_tensors(directory):
    tensors = {}
    for name in sorted(os.listdir(directory)):
        if name.endswith(".safetensors"):
            with safe_open(os.path.join(directory, name), "pt") as f:
                for key in f.keys():
                    tensors[key] = f.get_tensor(key)
    return tensors


def exact_weight(tensors, module):
    """fp32 weight of a module: BF16 weight converted, or INT4 (nibble - 8) * scale computed in fp32."""
    if module + ".weight" in tensors:
        return tensors[module + ".weight"].float()
    packed = tensors[module + ".weight_packed"].to(torch.int64) & 0xFFFFFFFF
    out, inp = tensors[module + ".weight_shape"].tolist()
    q = torch.stack([(packed >> (4 * k)) & 0xF for k in range(8)], dim=-1).reshape(out, inp) - 8
    scale = tensors[module + ".weight_scale"].float()
    group = inp // scale.shape[1]
    return q.float() * scale.repeat_interleave(group, dim=1)


class PerExpertExperts(torch.nn.Module):
    """DeepseekV3Experts with one nn.Linear per expert projection, named like the checkpoint."""

    def __init__(self, fused, weights):
        super().__init__()
        self.num_experts = fused.num_experts
        self.act_fn = fused.act_fn
        for e in range(self.num_experts):
            expert = torch.nn.Module()
            for name, w in weights[e].items():
                linear = torch.nn.Linear(w.shape[1], w.shape[0], bias=False)
                linear.weight.data = w.clone()
                setattr(expert, name, linear)
            self.add_module(str(e), expert)

    def forward(self, hidden_states, top_k_index, top_k_weights):
        final = torch.zeros_like(hidden_states)
        for e in range(self.num_experts):
            token_idx, top_k_pos = torch.where(top_k_index == e)
            if token_idx.numel() == 0:
                continue
            expert = getattr(self, str(e))
            x = hidden_states[token_idx]
            h = expert.down_proj(self.act_fn(expert.gate_proj(x)) * expert.up_proj(x))
            final.index_add_(0, token_idx, h * top_k_weights[token_idx, top_k_pos, None])
        return final


def load_model(directory, exact_experts=True):
    """The checkpoint in transformers, fp32, routed experts as per-expert nn.Linear modules."""
    tmp = tempfile.mkdtemp()
    with open(os.path.join(directory, "config.json")) as f:
        cfg = json.load(f)
    with open(os.path.join(tmp, "config.json"), "w") as f:
        json.dump(dict(cfg, model_type="deepseek_v3"), f, indent=2)
    for name in os.listdir(directory):
        if name.endswith(".safetensors") or name.endswith(".index.json"):
            shutil.copy(os.path.join(directory, name), tmp)
    kwargs = {"dtype": torch.float32}
    if "quantization_config" in cfg:
        kwargs["quantization_config"] = CompressedTensorsConfig(dequantize=True)
    model, info = DeepseekV3ForCausalLM.from_pretrained(tmp, output_loading_info=True, **kwargs)
    assert not info["missing_keys"] and not info["unexpected_keys"], info
    shutil.rmtree(tmp)
    for p in model.parameters():
        p.data = p.data.float()
    for b in model.buffers():
        if b.is_floating_point():
            b.data = b.data.float()
    tensors = read_tensors(directory)
    I = cfg["moe_intermediate_size"]
    for L, layer in enumerate(model.model.layers):
        experts = getattr(layer.mlp, "experts", None)
        if experts is None:
            continue
        weights = []
        for e in range(experts.num_experts):
            prefix = f"model.layers.{L}.mlp.experts.{e}."
            if exact_experts:
                weights.append({n: exact_weight(tensors, prefix + n) for n in ("gate_proj", "up_proj", "down_proj")})
            else:  # transformers' own (bf16-evaluated) dequantization, from the fused tensors
                weights.append({"gate_proj": experts.gate_up_proj[e, :I].detach().float(),
                                "up_proj": experts.gate_up_proj[e, I:].detach().float(),
                                "down_proj": experts.down_proj[e].detach().float()})
        layer.mlp.experts = PerExpertExperts(experts, weights)
    model.eval()
    return model


def loss_of(model, backward=False):
    """Mean next-token loss over all sequences' counted tokens (what kimi-sft's packed batch computes)."""
    sums, total = [], 0
    for s in SEQUENCES:
        ids = torch.tensor([s["input_ids"]])
        labels = torch.tensor([s["labels"] if s["labels"] is not None else s["input_ids"]])
        out = model(input_ids=ids, labels=labels)
        count = int((labels[0, 1:] != -100).sum())
        sums.append(out.loss * count)
        total += count
    loss = torch.stack(sums).sum() / total
    if backward:
        loss.backward()
    return loss.item()


def lora_modules(model):
    return [n for n, m in model.named_modules() if hasattr(m, "lora_A") and "default" in m.lora_A]


def run_merge(out, fmt):
    subprocess.run([KIMI_SFT, "merge", "--model", os.path.join(FIX, "base"), "--adapter", os.path.join(FIX, "kimi-sft-adapter"),
                    "--out", out, "--format", fmt, "--quiet"], check=True)


def main():
    torch.set_num_threads(2)
    torch.manual_seed(0)
    base_dir = os.path.join(FIX, "base")
    os.makedirs(base_dir, exist_ok=True)
    for name in ("config.json", "model.safetensors"):
        shutil.copy(os.path.join(MODEL_FIXTURE, name), base_dir)
    kimi_adapter = os.path.join(FIX, "kimi-sft-adapter")
    if not os.path.exists(os.path.join(kimi_adapter, "adapter_model.safetensors")):
        sys.exit("write kimi-sft's adapter first (see the docstring)")
    if not os.path.exists(KIMI_SFT):
        sys.exit("build kimi-sft first: swift build --product kimi-sft")

    expected = {"sequences": SEQUENCES, "transformers": transformers.__version__, "peft": peft.__version__}
    with torch.no_grad():
        expected["base_loss"] = loss_of(load_model(base_dir))

    # (a) kimi-sft's adapter in PEFT.
    with no_peft_moe_rewrite():
        model = PeftModel.from_pretrained(load_model(base_dir), kimi_adapter)
    check_loaded(model, kimi_adapter)
    with open(os.path.join(kimi_adapter, "adapter_config.json")) as f:
        assert json.load(f)["target_parameters"] is None
    modules = lora_modules(model)
    with torch.no_grad():
        expected["kimi_sft_adapter"] = {"loss": loss_of(model), "peft_modules": len(modules)}
    print("(a) PEFT on kimi-sft's adapter:", expected["kimi_sft_adapter"])

    # (b) an adapter written by PEFT, with its loss and gradients.
    config = LoraConfig(r=4, lora_alpha=8, target_modules=TARGETS, lora_dropout=0.0, init_lora_weights=True)
    with no_peft_moe_rewrite():
        model = get_peft_model(load_model(base_dir), config)
    modules = lora_modules(model)
    assert len(modules) == 40, f"expected 40 LoRA modules (10 attention, 3 dense, 3 shared, 24 routed), PEFT made {len(modules)}"
    assert any(".mlp.experts.5.up_proj" in m for m in modules) and any("shared_experts.down_proj" in m for m in modules)
    gen = torch.Generator().manual_seed(1)
    for name, m in model.named_modules():
        if name in set(modules):  # B starts at zero: give it values so the adapter changes the model
            m.lora_B["default"].weight.data = (torch.rand(m.lora_B["default"].weight.shape, generator=gen) * 2 - 1) * 0.2
    peft_dir = os.path.join(FIX, "peft-adapter")
    shutil.rmtree(peft_dir, ignore_errors=True)
    model.save_pretrained(peft_dir)
    model.train()  # dropout is 0; train mode only enables gradients through LoRA
    loss = loss_of(model, backward=True)
    gradients = {}
    for name, m in model.named_modules():
        path = name.replace("base_model.model.", "")
        if path in GRADIENT_MODULES:
            gradients[path] = {"lora_A": m.lora_A["default"].weight.grad.reshape(-1).tolist(),
                               "lora_B": m.lora_B["default"].weight.grad.reshape(-1).tolist()}
    assert sorted(gradients) == sorted(GRADIENT_MODULES), sorted(gradients)
    expected["peft_adapter"] = {"loss": loss, "modules": len(modules), "gradients": gradients}
    print("(b) PEFT-written adapter loss:", loss)

    # (c) kimi-sft's merged checkpoints in transformers.
    expected["merged"] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for fmt in ("bf16", "int4"):
            out = os.path.join(tmp, fmt)
            run_merge(out, fmt)
            with torch.no_grad():
                entry = {"loss": loss_of(load_model(out))}
                if fmt == "int4":
                    entry["loss_transformers_bf16_dequantization"] = loss_of(load_model(out, exact_experts=False))
            expected["merged"][fmt] = entry
            print(f"(c) merged {fmt}:", entry)

    with open(os.path.join(FIX, "expected.json"), "w") as f:
        json.dump(expected, f)


if __name__ == "__main__":
    main()
