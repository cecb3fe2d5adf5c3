#!/usr/bin/env python3
"""Golden fixtures for the KimiModel target (issue 4).

Builds tiny DeepseekV3 / Kimi models with random weights, writes them in the Kimi on-disk format
(BF16 tensors, routed experts per expert as compressed-tensors pack-quantized INT4 with a
quantization_config), loads them back with transformers + compressed-tensors, runs them in fp32
and records loss, logits and d(loss)/d(input embeddings) for fixed sequences (some with -100
labels).

INT4 exactness: transformers dequantizes the experts as `q * scale` evaluated in bf16 (KIMI-FORMAT
§8). Every scale here is a power of two and |q| <= 8, so that product is exact in bf16 and equals
the fp32 dequantization kimi-sft does; the loaded model is then cast to fp32.

Routing margins: seeds are retried until, for every token of every MoE layer, the k-th and (k+1)-th
biased choice scores (and the kept/dropped group scores) differ by more than MIN_MARGIN, so tiny
fp32 differences cannot flip a routing decision.

Run by hand (never in CI):
    /opt/kimi-golden-venv/bin/python scripts/golden/make_model_fixtures.py
Writes Tests/KimiModelTests/Fixtures/<variant>/{config.json, model.safetensors, expected.json}.
"""
import json
import math
import os
import shutil
import sys
import tempfile

import numpy as np
import torch
from safetensors.torch import save_file

import transformers
from transformers import CompressedTensorsConfig, DeepseekV3ForCausalLM

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.path.join(ROOT, "Tests", "KimiModelTests", "Fixtures")
MIN_MARGIN = 2e-3
GROUP_SIZE = 32

# The real Kimi K2.5 ignore list: only routed experts end up INT4.
QUANT_CONFIG = {
    "quant_method": "compressed-tensors",
    "format": "pack-quantized",
    "quantization_status": "compressed",
    "config_groups": {
        "group_0": {
            "targets": ["Linear"],
            "weights": {"num_bits": 4, "type": "int", "symmetric": True, "strategy": "group",
                        "group_size": GROUP_SIZE, "dynamic": False, "actorder": None, "observer": "minmax"},
            "input_activations": None,
            "output_activations": None,
        }
    },
    "ignore": ["lm_head", "re:.*self_attn.*", "re:.*shared_experts.*", r"re:.*mlp\.(gate|up|gate_up|down)_proj.*"],
    "kv_cache_scheme": None,
}

# Fixed sequences: lengths differ, the second masks its first tokens and one middle token.
SEQUENCES = [
    {"input_ids": [5, 17, 200, 3, 99, 42, 7, 128, 255, 0, 64, 31], "labels": None},
    {"input_ids": [9, 250, 77, 13, 1, 180, 66], "labels": [-100, -100, -100, 13, 1, -100, 66]},
    {"input_ids": [101, 102, 103, 104, 105], "labels": None},
]

VARIANTS = {
    # q_lora_rank, YaRN beta_fast 32 (K2.5), one group.
    "qlora_yarn32": dict(q_lora_rank=32, beta_fast=32, n_group=1, topk_group=1, num_hidden_layers=2, seed=11),
    # no q_lora_rank (plain q_proj), YaRN beta_fast 1 (K2-Instruct), n_group 2 / topk_group 1, 3 layers.
    "qproj_yarn1_groups": dict(q_lora_rank=None, beta_fast=1, n_group=2, topk_group=1, num_hidden_layers=3, seed=23),
}


def make_config(v):
    return dict(
        architectures=["DeepseekV3ForCausalLM"], model_type="kimi_k2",
        vocab_size=256, hidden_size=64, intermediate_size=96, moe_intermediate_size=32,
        num_hidden_layers=v["num_hidden_layers"], num_attention_heads=4, num_key_value_heads=4,
        n_shared_experts=1, n_routed_experts=8, num_experts_per_tok=2, routed_scaling_factor=2.827,
        kv_lora_rank=32, q_lora_rank=v["q_lora_rank"], qk_rope_head_dim=8, qk_nope_head_dim=16, v_head_dim=16,
        topk_method="noaux_tc", scoring_func="sigmoid", n_group=v["n_group"], topk_group=v["topk_group"],
        norm_topk_prob=True, first_k_dense_replace=1, moe_layer_freq=1, hidden_act="silu",
        max_position_embeddings=64, rms_norm_eps=1e-5, rope_theta=50000.0,
        rope_scaling=dict(type="yarn", factor=32.0, original_max_position_embeddings=4096,
                          beta_fast=float(v["beta_fast"]), beta_slow=1.0, mscale=1.0, mscale_all_dim=1.0),
        attention_bias=False, attention_dropout=0.0, tie_word_embeddings=False,
        bos_token_id=1, eos_token_id=2, torch_dtype="bfloat16",
        quantization_config=QUANT_CONFIG,
    )


def short(t):
    """A tensor as a flat list of floats with 9 significant digits (round-trips float32; keeps JSON small)."""
    return [float(f"{x:.9g}") for x in t.detach().reshape(-1).tolist()]


def bf16(t):
    return t.to(torch.bfloat16)


def pack_int4(q):
    """q int [out, in] in [-8, 7] -> int32 [out, in/8], column 8j+k as nibble q+8 in bits 4k..4k+3."""
    nib = (q + 8).to(torch.int64)
    out, inp = nib.shape
    nib = nib.view(out, inp // 8, 8)
    word = torch.zeros(out, inp // 8, dtype=torch.int64)
    for k in range(8):
        word |= nib[:, :, k] << (4 * k)
    word = torch.where(word >= 2**31, word - 2**32, word)
    return word.to(torch.int32)


def random_weights(cfg, gen):
    """All tensors in the Kimi per-expert layout (flat names)."""
    H, V = cfg["hidden_size"], cfg["vocab_size"]
    nh, dn, dr, dv = cfg["num_attention_heads"], cfg["qk_nope_head_dim"], cfg["qk_rope_head_dim"], cfg["v_head_dim"]
    r, qr = cfg["kv_lora_rank"], cfg["q_lora_rank"]
    E, I, Id = cfg["n_routed_experts"], cfg["moe_intermediate_size"], cfg["intermediate_size"]

    def normal(*shape, std):
        return torch.randn(*shape, generator=gen) * std

    def linear(out, inp):
        return bf16(normal(out, inp, std=1.0 / math.sqrt(inp)))

    def norm(n):
        return bf16(1.0 + normal(n, std=0.1))

    w = {"model.embed_tokens.weight": bf16(normal(V, H, std=1.0)),
         "model.norm.weight": norm(H),
         "lm_head.weight": linear(V, H)}
    int4 = {}
    for L in range(cfg["num_hidden_layers"]):
        p = f"model.layers.{L}."
        w[p + "input_layernorm.weight"] = norm(H)
        w[p + "post_attention_layernorm.weight"] = norm(H)
        if qr is None:
            w[p + "self_attn.q_proj.weight"] = linear(nh * (dn + dr), H)
        else:
            w[p + "self_attn.q_a_proj.weight"] = linear(qr, H)
            w[p + "self_attn.q_a_layernorm.weight"] = norm(qr)
            w[p + "self_attn.q_b_proj.weight"] = linear(nh * (dn + dr), qr)
        w[p + "self_attn.kv_a_proj_with_mqa.weight"] = linear(r + dr, H)
        w[p + "self_attn.kv_a_layernorm.weight"] = norm(r)
        w[p + "self_attn.kv_b_proj.weight"] = linear(nh * (dn + dv), r)
        w[p + "self_attn.o_proj.weight"] = linear(H, nh * dv)
        if L < cfg["first_k_dense_replace"]:
            w[p + "mlp.gate_proj.weight"] = linear(Id, H)
            w[p + "mlp.up_proj.weight"] = linear(Id, H)
            w[p + "mlp.down_proj.weight"] = linear(H, Id)
            continue
        # Router: a large std gives clear routing margins in a tiny model.
        w[p + "mlp.gate.weight"] = bf16(normal(E, H, std=0.5))
        w[p + "mlp.gate.e_score_correction_bias"] = normal(E, std=0.05).to(torch.float32)
        w[p + "mlp.shared_experts.gate_proj.weight"] = linear(I, H)
        w[p + "mlp.shared_experts.up_proj.weight"] = linear(I, H)
        w[p + "mlp.shared_experts.down_proj.weight"] = linear(H, I)
        for e in range(E):
            for name, (out, inp) in (("gate_proj", (I, H)), ("up_proj", (I, H)), ("down_proj", (H, I))):
                q = torch.randint(-8, 8, (out, inp), generator=gen, dtype=torch.int64)
                # Power-of-two scales: 2^-4 .. 2^-2 around 1/sqrt(in)/4, exact in bf16 products.
                exps = torch.randint(-5, -2, (out, inp // GROUP_SIZE), generator=gen)
                scale = torch.pow(2.0, exps.to(torch.float32))
                m = p + f"mlp.experts.{e}.{name}"
                int4[m + ".weight_packed"] = pack_int4(q)
                int4[m + ".weight_scale"] = bf16(scale)
                int4[m + ".weight_shape"] = torch.tensor([out, inp], dtype=torch.int32)
    w.update(int4)
    return w


def routing_margin(model, embeds, cfg):
    """Smallest gap between chosen and first unchosen expert (and group) over all MoE tokens."""
    margins = []

    def hook(module, args):
        x = args[0].reshape(-1, module.hidden_dim).float()
        scores = torch.sigmoid(x @ module.weight.float().t())
        choice = scores + module.e_score_correction_bias
        G = module.num_group
        if G > 1:
            gs = choice.view(-1, G, module.num_experts // G).topk(2, dim=-1)[0].sum(-1)
            srt = gs.sort(dim=-1, descending=True)[0]
            margins.append((srt[:, module.topk_group - 1] - srt[:, module.topk_group]).min().item())
            keep = torch.zeros_like(gs).scatter_(1, gs.topk(module.topk_group, dim=-1)[1], 1)
            mask = keep.unsqueeze(-1).expand(-1, G, module.num_experts // G).reshape(-1, module.num_experts)
            choice = choice.masked_fill(~mask.bool(), float("-inf"))
        srt = choice.sort(dim=-1, descending=True)[0]
        k = module.top_k
        margins.append((srt[:, k - 1] - srt[:, k]).min().item())

    handles = [m.register_forward_pre_hook(hook) for m in model.modules() if type(m).__name__ == "DeepseekV3TopkRouter"]
    with torch.no_grad():
        for e in embeds:
            model(inputs_embeds=e)
    for h in handles:
        h.remove()
    return min(margins)


def build(name, v):
    cfg = make_config(v)
    seed = v["seed"]
    for attempt in range(200):
        gen = torch.Generator().manual_seed(seed + attempt)
        weights = random_weights(cfg, gen)
        tmp = tempfile.mkdtemp()
        # transformers picks its per-expert -> fused conversion by model_type, which it knows as
        # deepseek_v3 (not kimi_k2); the fixture keeps Kimi's own model_type.
        with open(os.path.join(tmp, "config.json"), "w") as f:
            json.dump(dict(cfg, model_type="deepseek_v3"), f, indent=2)
        save_file(weights, os.path.join(tmp, "model.safetensors"), metadata={"format": "pt"})
        # dequantize=True: the per-expert INT4 tensors are dequantized (in bf16) and fused on load.
        model = DeepseekV3ForCausalLM.from_pretrained(
            tmp, dtype=torch.float32, quantization_config=CompressedTensorsConfig(dequantize=True))
        for param in model.parameters():  # experts stay bf16 after loading (KIMI-FORMAT §8): cast
            param.data = param.data.float()
        for buf in model.buffers():
            if buf.is_floating_point():
                buf.data = buf.data.float()
        model.eval()
        embed = model.model.embed_tokens
        embeds = [embed(torch.tensor([s["input_ids"]])) for s in SEQUENCES]
        margin = routing_margin(model, embeds, cfg)
        if margin > MIN_MARGIN:
            break
        shutil.rmtree(tmp)
    else:
        sys.exit(f"{name}: no seed with routing margin > {MIN_MARGIN}")
    print(f"{name}: seed {seed + attempt}, routing margin {margin:.4g}")
    check_loaded_experts(model, weights, cfg)

    # Loss over all sequences = sum of token losses / total counted tokens (what the Swift packed
    # batch computes); its gradient w.r.t. each sequence's input embeddings.
    records, total_sum, total_count = [], 0.0, 0
    leaves, loss_sums = [], []
    for s in SEQUENCES:
        ids = torch.tensor([s["input_ids"]])
        labels = torch.tensor([s["labels"] if s["labels"] is not None else s["input_ids"]])
        e = embed(ids).detach().clone().requires_grad_(True)
        out = model(inputs_embeds=e, labels=labels)
        count = int((labels[0, 1:] != -100).sum())
        leaves.append(e)
        loss_sums.append(out.loss * count)
        total_count += count
        records.append({"input_ids": s["input_ids"], "labels": s["labels"], "loss": out.loss.item(), "count": count,
                        "logits": short(out.logits[0])})
    total = torch.stack(loss_sums).sum() / total_count
    total.backward()
    for rec, e in zip(records, leaves):
        rec["input_embedding_gradient"] = short(e.grad[0])
    rotary = {"inverse_frequencies": short(model.model.rotary_emb.inv_freq),
              "attention_factor": float(model.model.rotary_emb.attention_scaling),
              "softmax_scale": float(model.model.layers[0].self_attn.scaling)}
    expected = {"loss": total.item(), "tokens": total_count, "sequences": records, "rotary": rotary,
                "transformers": transformers.__version__, "seed": seed + attempt, "routing_margin": margin}

    flat = os.path.join(OUT, name)
    shutil.rmtree(flat, ignore_errors=True)
    shutil.copytree(tmp, flat)
    shutil.rmtree(tmp)
    with open(os.path.join(flat, "config.json"), "w") as f:
        json.dump(cfg, f, indent=2)
    with open(os.path.join(flat, "expected.json"), "w") as f:
        json.dump(expected, f)
    return cfg, weights


def write_nested(name, cfg, weights):
    """The same weights in the K2.5 layout: text config under text_config, tensors under language_model."""
    nested = {"architectures": ["KimiK25ForConditionalGeneration"], "model_type": "kimi_k25",
              "text_config": cfg, "quantization_config": QUANT_CONFIG,
              "vision_config": {"model_type": "moonvit", "hidden_size": 16}}
    d = os.path.join(OUT, name)
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    with open(os.path.join(d, "config.json"), "w") as f:
        json.dump(nested, f, indent=2)
    renamed = {"language_model." + k: v for k, v in weights.items()}
    renamed["vision_tower.patch_embed.weight"] = torch.zeros(4, 4, dtype=torch.bfloat16)  # ignored by a text LoRA
    save_file(renamed, os.path.join(d, "model.safetensors"), metadata={"format": "pt"})


def check_loaded_experts(model, weights, cfg):
    """The experts transformers dequantized equal our exact fp32 dequantization (power-of-two scales)."""
    L = cfg["first_k_dense_replace"]
    experts = model.model.layers[L].mlp.experts
    I = cfg["moe_intermediate_size"]
    p = f"model.layers.{L}.mlp.experts.0.gate_proj"
    packed = weights[p + ".weight_packed"].to(torch.int64) & 0xFFFFFFFF
    nib = torch.stack([(packed >> (4 * k)) & 0xF for k in range(8)], dim=-1).reshape(packed.shape[0], -1) - 8
    scale = weights[p + ".weight_scale"].float().repeat_interleave(GROUP_SIZE, dim=1)
    ours = nib.float() * scale
    theirs = experts.gate_up_proj[0, :I].float()
    diff = (ours - theirs).abs().max().item()
    assert diff == 0.0, f"transformers' dequantized expert differs from exact dequantization by {diff}"


def main():
    torch.set_num_threads(2)
    os.makedirs(OUT, exist_ok=True)
    for name, v in VARIANTS.items():
        cfg, weights = build(name, v)
        if name == "qlora_yarn32":
            write_nested(name + "_nested", cfg, weights)


if __name__ == "__main__":
    main()
