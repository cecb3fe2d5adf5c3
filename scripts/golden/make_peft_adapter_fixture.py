#!/usr/bin/env python3
"""A PEFT-written adapter (PEFT 0.21.2) on modules named like a Kimi checkpoint, plus what PEFT
computes with it, so kimi-sft's PEFT loader is checked against PEFT itself.
    /opt/kimi-golden-venv/bin/python scripts/golden/make_peft_adapter_fixture.py
Writes Tests/LoRATests/Fixtures/peft-written/{adapter_config.json, adapter_model.safetensors, expected.json}.
The LoRA delta per module is recorded as (lora-enabled output - base output) for a fixed input."""
import json, os, torch
from peft import LoraConfig, get_peft_model

torch.manual_seed(0)
out_dir = os.path.join(os.path.dirname(__file__), "../../Tests/LoRATests/Fixtures/peft-written")

def linear(i, o):
    return torch.nn.Linear(i, o, bias=False)

class Attn(torch.nn.Module):
    def __init__(self):
        super().__init__(); self.q_a_proj = linear(64, 32); self.o_proj = linear(64, 64)

class Experts(torch.nn.Module):
    def __init__(self):
        super().__init__()
        for e in range(3):
            self.add_module(str(e), torch.nn.ModuleDict({"gate_proj": linear(64, 32), "down_proj": linear(32, 64)}))

class MLP(torch.nn.Module):
    def __init__(self):
        super().__init__(); self.experts = Experts()

class Layer(torch.nn.Module):
    def __init__(self):
        super().__init__(); self.self_attn = Attn(); self.mlp = MLP()

class Inner(torch.nn.Module):
    def __init__(self):
        super().__init__(); self.layers = torch.nn.ModuleList([Layer(), Layer()])

class Model(torch.nn.Module):
    def __init__(self):
        super().__init__(); self.model = Inner()
    def forward(self, x):
        return x

base = Model()
config = LoraConfig(r=4, lora_alpha=8, target_modules=["q_a_proj", "gate_proj", "down_proj"],
                    rank_pattern={"q_a_proj": 2}, alpha_pattern={"q_a_proj": 6}, init_lora_weights=False,
                    lora_dropout=0.0)
peft_model = get_peft_model(base, config)
peft_model.save_pretrained(out_dir)

x64 = torch.randn(3, 64)
x32 = torch.randn(3, 32)
expected = {"x64": x64.flatten().tolist(), "x32": x32.flatten().tolist(), "modules": {}}
for name, module in peft_model.named_modules():
    if hasattr(module, "lora_A") and "default" in module.lora_A:
        path = name.replace("base_model.model.", "")
        x = x64 if module.in_features == 64 else x32
        with torch.no_grad():
            full = module(x)
            with peft_model.disable_adapter():
                plain = module(x)
        expected["modules"][path] = {"in": module.in_features, "out": module.out_features,
                                     "delta": (full - plain).flatten().tolist()}
with open(os.path.join(out_dir, "expected.json"), "w") as f:
    json.dump(expected, f)
print("modules:", sorted(expected["modules"]))
