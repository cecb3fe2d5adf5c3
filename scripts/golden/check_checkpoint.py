#!/usr/bin/env python3
"""Checks a checkpoint written by `kimi-sft init` against the reference libraries and dumps a
small fixture the Swift tests compare with (Tests/StorageTests/Fixtures/checkpoint_golden.json).

Run by hand, never in CI:
    swift build --product kimi-sft
    .build/debug/kimi-sft init --preset tiny --seed 1 --out /tmp/kimi-tiny
    /opt/kimi-golden-venv/bin/python scripts/golden/check_checkpoint.py /tmp/kimi-tiny \
        --seed 1 --out Tests/StorageTests/Fixtures/checkpoint_golden.json

What it shows:
1. safetensors (Python) opens every shard named by the index, metadata {"format": "pt"}.
2. compressed-tensors' own `unpack_from_int32` + `dequantize` turn each routed expert into
   fp32 values: these are the exact (nibble - 8) * scale that kimi-sft computes.
3. transformers 5 `AutoModelForCausalLM.from_pretrained` loads the same checkpoint through its
   compressed-tensors integration (config copied with model_type deepseek_v3, since kimi_k2 needs
   remote code) and its fused experts equal the compressed-tensors values rounded to bf16: the
   product q * scale evaluated in bf16 (KIMI-FORMAT.md §8). Both comparisons must be exact.
4. compressed-tensors' quantizer (calculate_qparams with absmax/7.5, scale stored in bf16,
   quantize, pack_to_int32) on a fixed fp32 matrix, so the Swift Int4Quantizer can be checked
   against its packed words for the absmax7point5 convention.
5. torch's float8_e4m3fn decoding of all 256 codes, for the FP8 (first K2-Instruct) reader.
The fixture stores a few rows per module; the Swift test regenerates the checkpoint from the seed.
"""
import argparse
import json
import os
import shutil
import sys
import tempfile

import torch
from safetensors import safe_open
from compressed_tensors.compressors.pack_quantized.helpers import pack_to_int32, unpack_from_int32
from compressed_tensors.quantization import QuantizationArgs
from compressed_tensors.quantization.lifecycle.forward import dequantize, quantize
from compressed_tensors.quantization.utils.helpers import calculate_qparams

MODULES = [  # (layer, expert, projection) sampled from the tiny preset
    (1, 0, "gate_proj"), (1, 5, "up_proj"), (2, 3, "down_proj"), (2, 7, "gate_proj"),
]
ROWS = [0, 1, 17]


def load_tensors(ckpt):
    index_path = os.path.join(ckpt, "model.safetensors.index.json")
    files = sorted(set(json.load(open(index_path))["weight_map"].values())) if os.path.exists(index_path) \
        else ["model.safetensors"]
    tensors = {}
    for name in files:
        with safe_open(os.path.join(ckpt, name), "pt") as f:
            assert f.metadata() == {"format": "pt"}, (name, f.metadata())
            for key in f.keys():
                tensors[key] = f.get_tensor(key)
    return tensors


def compressed_tensors_dequantize(tensors, module, group_size):
    packed = tensors[module + ".weight_packed"]
    scale = tensors[module + ".weight_scale"]
    shape = [int(v) for v in tensors[module + ".weight_shape"].tolist()]
    assert packed.dtype == torch.int32 and scale.dtype == torch.bfloat16
    codes = unpack_from_int32(packed, 4, torch.Size(shape))
    args = QuantizationArgs(num_bits=4, type="int", symmetric=True, strategy="group", group_size=group_size)
    exact = dequantize(codes, scale.float(), None, args, dtype=torch.float32)
    return codes, exact


def transformers_experts(ckpt, layers):
    """Fused expert weights as transformers 5 loads them ([E, 2I, H] gate rows first, [E, H, I])."""
    from transformers import AutoModelForCausalLM
    work = tempfile.mkdtemp(prefix="kimi-golden-")
    try:
        for name in os.listdir(ckpt):
            if name.endswith(".safetensors") or name.endswith(".index.json"):
                os.symlink(os.path.join(ckpt, name), os.path.join(work, name))
        config = json.load(open(os.path.join(ckpt, "config.json")))
        config["model_type"] = "deepseek_v3"
        config.pop("auto_map", None)
        json.dump(config, open(os.path.join(work, "config.json"), "w"), indent=2)
        model, info = AutoModelForCausalLM.from_pretrained(work, dtype=torch.bfloat16, output_loading_info=True)
        problems = {k: list(v)[:5] for k, v in info.items() if v}
        assert not problems, f"transformers did not load the checkpoint cleanly: {problems}"
        with torch.no_grad():
            logits = model(torch.tensor([[1, 2, 3, 4, 5]])).logits
        assert torch.isfinite(logits).all(), "non-finite logits"
        print(f"transformers: loaded with no missing/unexpected keys; forward logits shape {tuple(logits.shape)}")
        out = {}
        for layer in layers:
            experts = model.model.layers[layer].mlp.experts
            out[layer] = (experts.gate_up_proj.detach(), experts.down_proj.detach())
        embed = model.model.embed_tokens.weight.detach()
        bias = model.model.layers[layers[0]].mlp.gate.e_score_correction_bias.detach()
        return out, embed, bias
    finally:
        shutil.rmtree(work, ignore_errors=True)


def quantizer_vector():
    """compressed-tensors' default INT4 group quantization of a fixed fp32 matrix."""
    g = torch.Generator().manual_seed(1234)
    rows, cols, group = 4, 64, 32
    x = (torch.randn(rows, cols, generator=g) * torch.linspace(0.01, 0.3, cols)).float()
    x[1, 3] = 0.75 * x[1].abs().max()  # keep a few values near half steps
    args = QuantizationArgs(num_bits=4, type="int", symmetric=True, strategy="group", group_size=group)
    grouped = x.view(rows, cols // group, group)
    scale, zp = calculate_qparams(grouped.amin(-1), grouped.amax(-1), args)
    scale = scale.to(torch.bfloat16)           # stored dtype of weight_scale
    q = quantize(x, scale.float(), zp, args, dtype=torch.int8)
    packed = pack_to_int32(q, 4)
    return {
        "rows": rows, "columns": cols, "group_size": group,
        "weights_f32_bits": [int(v) for v in x.view(torch.int32).flatten().tolist()],
        "packed_words": [int(v) & 0xFFFFFFFF for v in packed.flatten().tolist()],
        "scale_bf16_bits": [int(v) & 0xFFFF for v in scale.view(torch.int16).flatten().tolist()],
    }


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("checkpoint")
    ap.add_argument("--seed", type=int, required=True, help="the --seed given to kimi-sft init")
    ap.add_argument("--out", required=True)
    ap.add_argument("--skip-transformers", action="store_true")
    a = ap.parse_args()

    config = json.load(open(os.path.join(a.checkpoint, "config.json")))
    text = config.get("text_config", config)
    prefix = "language_model." if "text_config" in config else ""
    group_size = text["quantization_config"]["config_groups"]["group_0"]["weights"]["group_size"]
    tensors = load_tensors(a.checkpoint)
    print(f"safetensors: {len(tensors)} tensors")

    fused = embed = bias = None
    if not a.skip_transformers:
        fused, embed, bias = transformers_experts(a.checkpoint, sorted({m[0] for m in MODULES}))

    modules = []
    worst_bf16 = 0.0
    for layer, expert, proj in MODULES:
        module = f"{prefix}model.layers.{layer}.mlp.experts.{expert}.{proj}"
        codes, exact = compressed_tensors_dequantize(tensors, module, group_size)
        entry = {"module": module, "rows": ROWS, "shape": list(exact.shape),
                 "codes": [codes[r].tolist() for r in ROWS],
                 "exact_f32": [exact[r].tolist() for r in ROWS]}
        if fused is not None:
            gate_up, down = fused[layer]
            inter = gate_up.shape[1] // 2
            ref = {"gate_proj": gate_up[expert, :inter], "up_proj": gate_up[expert, inter:], "down_proj": down[expert]}[proj]
            assert ref.dtype == torch.bfloat16, ref.dtype
            assert torch.equal(ref, exact.to(torch.bfloat16)), f"{module}: transformers != bf16(q * scale)"
            worst_bf16 = max(worst_bf16, (ref.float() - exact).abs().max().item())
            entry["transformers_bf16"] = [ref[r].float().tolist() for r in ROWS]
        modules.append(entry)

    fixture = {
        "generated_by": "scripts/golden/check_checkpoint.py",
        "preset": "tiny", "seed": a.seed, "layout": "nested" if prefix else "flat",
        "comparison": "exact_f32: compressed-tensors dequantize in fp32 (what kimi-sft computes); "
                      "transformers_bf16: what from_pretrained holds, q * scale evaluated in bf16",
        "modules": modules,
        "quantizer_absmax7point5": quantizer_vector(),
        # every FP8 e4m3fn code as torch decodes it (NaN written as null)
        "fp8_e4m3fn_table": [None if v != v else v for v in
                             torch.arange(256, dtype=torch.uint8).view(torch.float8_e4m3fn).float().tolist()],
    }
    if embed is not None:
        fixture["embed_tokens_row0_bf16"] = embed[0, :8].float().tolist()
        fixture["layer1_router_bias_first8"] = bias[:8].float().tolist()
    json.dump(fixture, open(a.out, "w"), indent=1)
    print(f"ok: {len(modules)} expert modules; transformers bf16 vs exact fp32 max |diff| {worst_bf16:.3g}; wrote {a.out}")


if __name__ == "__main__":
    sys.exit(main())
