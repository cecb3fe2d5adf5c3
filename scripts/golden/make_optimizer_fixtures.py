"""Golden fixture for kimi-sft's Trainer optimizers, clipping and LR schedules.

Runs torch.optim.AdamW / torch.optim.SGD on a few small float32 parameters over several steps with
a fixed gradient sequence, torch.nn.utils.clip_grad_norm_ on one gradient set, and transformers'
get_scheduler for the four schedule types, and writes everything to
Tests/TrainerTests/Fixtures/optimizer_golden.json.

Run by hand:  /opt/kimi-golden-venv/bin/python scripts/golden/make_optimizer_fixtures.py
"""
import json
import math
import os

import torch
from transformers import get_scheduler

OUT = os.path.join(os.path.dirname(__file__), "..", "..", "Tests", "TrainerTests", "Fixtures", "optimizer_golden.json")
SHAPES = {"a": [3], "b": [2, 4], "c": [5]}
STEPS = 6


def flat(t):
    return [float(x) for x in t.detach().reshape(-1).tolist()]


def make_params(generator):
    return {n: torch.randn(*s, generator=generator, dtype=torch.float32) for n, s in SHAPES.items()}


def run_optimizer(kind, options, seed):
    g = torch.Generator().manual_seed(seed)
    initial = make_params(g)
    grads = [{n: torch.randn(*s, generator=g, dtype=torch.float32) * 0.5 for n, s in SHAPES.items()} for _ in range(STEPS)]
    params = {n: torch.nn.Parameter(v.clone()) for n, v in initial.items()}
    opt_cls = torch.optim.AdamW if kind == "adamw" else torch.optim.SGD
    opt = opt_cls(list(params.values()), **options)
    lrs = [options["lr"] * (1.0 - 0.1 * k) for k in range(STEPS)]  # a changing lr, as a schedule gives
    after = []
    for k in range(STEPS):
        for group in opt.param_groups:
            group["lr"] = lrs[k]
        for n, p in params.items():
            p.grad = grads[k][n].clone()
        opt.step()
        after.append({n: flat(p) for n, p in params.items()})
    state = {}
    for n, p in params.items():
        for key, value in opt.state[p].items():
            if key != "step" and torch.is_tensor(value):
                state[f"{n}.{key}"] = flat(value)
    return {
        "kind": kind, "options": options, "names": list(SHAPES), "shapes": SHAPES,
        "initial": {n: flat(v) for n, v in initial.items()},
        "grads": [{n: flat(v) for n, v in gk.items()} for gk in grads],
        "learning_rates": lrs, "after": after, "final_state": state,
    }


def clip_case(max_norm, seed):
    g = torch.Generator().manual_seed(seed)
    params = [torch.nn.Parameter(torch.zeros(*s)) for s in SHAPES.values()]
    for p in params:
        p.grad = torch.randn(*p.shape, generator=g) * 2.0
    before = [flat(p.grad) for p in params]
    norm = torch.nn.utils.clip_grad_norm_(params, max_norm)
    return {"max_norm": max_norm, "grads": before, "norm": float(norm), "clipped": [flat(p.grad) for p in params]}


def schedules():
    cases = []
    for name in ["linear", "cosine", "constant", "constant_with_warmup"]:
        for total, warmup_steps, warmup_ratio in [(10, 0, 0.25), (7, 2, 0.0), (5, 0, 0.0)]:
            warmup = warmup_steps if warmup_steps > 0 else math.ceil(total * warmup_ratio)
            opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=1e-3)
            sched = get_scheduler(name, opt, num_warmup_steps=warmup, num_training_steps=total)
            lrs = [sched.get_last_lr()[0]]
            for _ in range(total):
                opt.step()
                sched.step()
                lrs.append(sched.get_last_lr()[0])
            cases.append({"type": name, "total_steps": total, "warmup_steps": warmup_steps,
                          "warmup_ratio": warmup_ratio, "base_lr": 1e-3, "lr_by_step": lrs})
    return cases


def main():
    fixture = {
        "optimizers": [
            run_optimizer("adamw", {"lr": 1e-2, "betas": [0.9, 0.95], "eps": 1e-8, "weight_decay": 0.1}, 1),
            run_optimizer("adamw", {"lr": 5e-2, "betas": [0.9, 0.999], "eps": 1e-6, "weight_decay": 0.0}, 2),
            run_optimizer("sgd", {"lr": 1e-1, "momentum": 0.9, "dampening": 0.1, "weight_decay": 0.01, "nesterov": False}, 3),
            run_optimizer("sgd", {"lr": 1e-1, "momentum": 0.8, "dampening": 0.0, "weight_decay": 0.0, "nesterov": True}, 4),
            run_optimizer("sgd", {"lr": 1e-1, "momentum": 0.0, "dampening": 0.0, "weight_decay": 0.0, "nesterov": False}, 5),
        ],
        "clipping": [clip_case(1.0, 6), clip_case(100.0, 7)],
        "schedules": schedules(),
    }
    with open(OUT, "w") as f:
        json.dump(fixture, f)
    print("wrote", os.path.normpath(OUT), os.path.getsize(OUT), "bytes")


if __name__ == "__main__":
    main()
