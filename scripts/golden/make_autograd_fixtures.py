#!/usr/bin/env python3
"""Golden fixtures for kimi-sft's Autograd kernels: forward values and gradients from PyTorch and
transformers' DeepseekV3 code, computed in float64 from float32-representable inputs. Run by hand:
    /opt/kimi-golden-venv/bin/python scripts/golden/make_autograd_fixtures.py
Writes Tests/AutogradTests/Fixtures/torch-kernels.json."""
import json, os
import torch
import torch.nn.functional as F
from transformers.models.deepseek_v3 import modeling_deepseek_v3 as ds

torch.manual_seed(0)
D = torch.float64


def rand(*shape, scale=1.0):
    # float32 values, so the Swift side (float32) starts from exactly the same inputs
    return (torch.rand(*shape, dtype=torch.float32) * 2 - 1).mul(scale).to(D).requires_grad_(True)


def flat(t):
    return [float(v) for v in t.detach().reshape(-1).to(torch.float32).tolist()]


def exact(t):
    return [float(v) for v in t.detach().reshape(-1).tolist()]


out = {}

# RMSNorm: transformers' DeepseekV3RMSNorm (fp32 math; here float64 for the reference).
rows, dim, eps = 3, 8, 1e-6
x, w = rand(rows, dim, scale=2), rand(dim)
norm = ds.DeepseekV3RMSNorm(dim, eps=eps).to(D)
norm.weight = torch.nn.Parameter(w.detach().clone())
y = norm(x)
g = rand(rows, dim).detach()
(y * g).sum().backward()
out["rmsNorm"] = {"rows": rows, "dim": dim, "eps": eps, "x": flat(x), "weight": flat(w), "output": exact(y),
                  "outputGradient": flat(g), "inputGradient": exact(x.grad), "weightGradient": exact(norm.weight.grad)}

# Rotary: cos/sin tables [positions, ropeDim/2] scaled by an attention factor like YaRN's.
T, H, rope, maxPos, factor = 4, 2, 8, 6, 1.2
inv_freq = 1.0 / (50000 ** (torch.arange(0, rope, 2, dtype=D) / rope))
angles = torch.arange(maxPos, dtype=D)[:, None] * inv_freq[None, :]
cos_half = (angles.cos() * factor).to(torch.float32).to(D)
sin_half = (angles.sin() * factor).to(torch.float32).to(D)
positions = [3, 0, 5, 1]
cos_full = torch.cat([cos_half, cos_half], -1)[positions][None]  # [1, T, rope]; the functions unsqueeze the heads axis
sin_full = torch.cat([sin_half, sin_half], -1)[positions][None]
rotary = {"tokens": T, "heads": H, "ropeDim": rope, "positions": positions,
          "cos": flat(cos_half), "sin": flat(sin_half)}
for name, fn in [("interleaved", ds.apply_rotary_pos_emb_interleave), ("halfSplit", ds.apply_rotary_pos_emb)]:
    q = rand(1, T, H, rope)  # [batch, seq, heads, dim] with unsqueeze_dim=2
    q_embed, _ = fn(q, q.detach().clone(), cos_full, sin_full, unsqueeze_dim=2)
    g = rand(1, T, H, rope).detach()
    (q_embed * g).sum().backward()
    # transformers returns the interleaved variant de-interleaved: [rotated evens, rotated odds].
    rotary[name] = {"x": flat(q), "output": exact(q_embed), "outputGradient": flat(g), "inputGradient": exact(q.grad)}
out["rotary"] = rotary

# Causal attention, one sequence and a packed batch (block-diagonal causal mask), scale != 1/sqrt(d).
T, H, Dq, Dv, scale = 7, 2, 5, 3, 0.37
segments = [0, 0, 0, 1, 1, 2, 2]
for name, segs in [("attention", None), ("packedAttention", segments)]:
    q, k, v = rand(T, H, Dq), rand(T, H, Dq), rand(T, H, Dv)
    mask = torch.ones(T, T, dtype=torch.bool).tril()
    if segs is not None:
        s = torch.tensor(segs)
        mask &= s[:, None] == s[None, :]
    o = F.scaled_dot_product_attention(q.transpose(0, 1), k.transpose(0, 1), v.transpose(0, 1),
                                       attn_mask=mask, scale=scale).transpose(0, 1)
    g = rand(T, H, Dv).detach()
    (o * g).sum().backward()
    out[name] = {"tokens": T, "heads": H, "qkDim": Dq, "vDim": Dv, "scale": scale, "segmentIds": segs,
                 "q": flat(q), "k": flat(k), "v": flat(v), "output": exact(o), "outputGradient": flat(g),
                 "qGradient": exact(q.grad), "kGradient": exact(k.grad), "vGradient": exact(v.grad)}

# Cross-entropy with ignore_index -100, mean over counted tokens.
rows, vocab = 6, 5
logits = rand(rows, vocab, scale=4)
labels = [2, -100, 0, 4, -100, 1]
loss = F.cross_entropy(logits, torch.tensor(labels), ignore_index=-100)
loss.backward()
out["crossEntropy"] = {"rows": rows, "vocabulary": vocab, "logits": flat(logits), "labels": labels,
                       "loss": float(loss.detach()), "logitsGradient": exact(logits.grad)}

# SwiGLU as the DeepseekV3 MLP computes it: act_fn(gate) * up with act_fn = silu.
n = 9
gate, up = rand(n, scale=4), rand(n)
y = F.silu(gate) * up
g = rand(n).detach()
(y * g).sum().backward()
out["swiglu"] = {"count": n, "gate": flat(gate), "up": flat(up), "output": exact(y), "outputGradient": flat(g),
                 "gateGradient": exact(gate.grad), "upGradient": exact(up.grad)}

path = os.path.join(os.path.dirname(__file__), "..", "..", "Tests", "AutogradTests", "Fixtures", "torch-kernels.json")
with open(path, "w") as f:
    json.dump(out, f, indent=1)
print("wrote", os.path.normpath(path), os.path.getsize(path), "bytes")
