#!/usr/bin/env python3
"""Writes a train-step dump (the layout compare.py reads) from the torch model itself,
so that compare.py can be tested without golfc.

    python3 make_fixture.py OUT_DIR [--seed 0] [--layers 3 ...] [--init perturbed|real]
                            [--fixture-dtype float64|float32] [--with-state]
                            [--perturb-grad NAME] [--perturb-update NAME] [--perturb-rel R]
                            [--drop FILE]

By default the loss, gradients and step are computed in float64 from the float32
parameters and rounded to float32, so the dump differs from compare.py's float32 run
by ordinary float32 rounding, like a dump from another implementation would.
--init perturbed (the default) makes every gradient non-zero: wo/w_proj are not
zero-initialized, the vectors get N(0, 0.1^2) jitter and tok_emb has std
1.5/sqrt(dim) (logits of std about 1.5). With
--init real (spec 3.3) wq/wk/wv/w_fc get exactly zero gradients at step 0.
The --perturb-* and --drop options spoil the dump for negative tests.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from baseline_torch import Muon, BaselineGPT, build_optimizers, step_all  # noqa: E402

MATRICES = ("wq", "wk", "wv", "wo", "w_fc", "w_proj")


def group_of(name: str) -> str:
    if name == "tok_emb":
        return "embed"
    if name.split(".")[-1] in MATRICES:
        return "matrix"
    return "scalar"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("out_dir")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--vocab", type=int, default=64)
    ap.add_argument("--dim", type=int, default=32)
    ap.add_argument("--layers", type=int, default=3)
    ap.add_argument("--heads", type=int, default=4)
    ap.add_argument("--kv-heads", type=int, default=2)
    ap.add_argument("--mlp-mult", type=int, default=2)
    ap.add_argument("--rope-base", type=float, default=10000.0)
    ap.add_argument("--softcap", type=float, default=30.0)
    ap.add_argument("--batch", type=int, default=2)
    ap.add_argument("--seq", type=int, default=16)
    ap.add_argument("--init", choices=["perturbed", "real"], default="perturbed")
    ap.add_argument("--fixture-dtype", choices=["float64", "float32"], default="float64")
    ap.add_argument("--step", type=int, default=0, help="training step (Muon momentum warm-up)")
    ap.add_argument("--lr-multiplier", type=float, default=1.0)
    ap.add_argument("--muon-wd", type=float, default=0.0)
    ap.add_argument("--adam-wd", type=float, default=0.0)
    ap.add_argument("--scalar-adamw", action="store_true", help="scalar group uses adamw")
    ap.add_argument("--row-normalize", action="store_true", help="MuonEq-R")
    ap.add_argument("--with-state", action="store_true",
                    help="random optimizer state in state/ (adam_step 7), after_state/ written")
    ap.add_argument("--perturb-grad", metavar="NAME", help="spoil grads/NAME.npy")
    ap.add_argument("--perturb-update", metavar="NAME",
                    help="scale the update in after_step/NAME.npy by (1 + R)")
    ap.add_argument("--perturb-rel", type=float, default=1e-3, metavar="R")
    ap.add_argument("--drop", metavar="FILE", help="delete this file of the dump")
    ap.add_argument("--threads", type=int, default=1,
                    help="torch CPU threads (default 1: fastest for the tiny configs, and "
                         "multi-threaded MKL crawls on a busy machine)")
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)

    out = args.out_dir
    if os.path.exists(out):
        shutil.rmtree(out)
    os.makedirs(out)
    f32_eps = float(torch.finfo(torch.float32).eps)
    dims = dict(vocab=args.vocab, dim=args.dim, layers=args.layers, heads=args.heads,
                kv_heads=args.kv_heads, mlp_mult=args.mlp_mult, rope_base=args.rope_base,
                softcap=args.softcap)

    # Initial parameters, float32.
    m32 = BaselineGPT(**dims, dtype=torch.float32)
    real = args.init == "real"
    m32.init_weights(seed=args.seed, zero_init=real, jitter=0.0 if real else 0.1,
                     emb_std=0.005 if real else 1.5 / args.dim ** 0.5)
    m32.save_params(os.path.join(out, "params"))
    names = m32.param_names()

    rng = np.random.default_rng(args.seed + 1)
    toks = rng.integers(0, args.vocab, size=(args.batch, args.seq + 1)).astype(np.int32)
    inputs, targets = toks[:, :-1].copy(), toks[:, 1:].copy()
    np.save(os.path.join(out, "inputs.npy"), inputs)
    np.save(os.path.join(out, "targets.npy"), targets)

    fdt = torch.float64 if args.fixture_dtype == "float64" else torch.float32
    model = BaselineGPT(**dims, dtype=fdt, norm_eps=f32_eps)
    model.load_params(os.path.join(out, "params"))
    loss = model(torch.from_numpy(inputs.astype(np.int64)), torch.from_numpy(targets.astype(np.int64)))
    loss.backward()
    np.save(os.path.join(out, "loss.npy"), np.array(loss.item(), dtype=np.float32))
    os.makedirs(os.path.join(out, "grads"))
    params = dict(model.named_parameters())
    grads32 = {}
    for n, p in params.items():
        grads32[n] = p.grad.detach().to(torch.float32).numpy()
        np.save(os.path.join(out, "grads", n + ".npy"), grads32[n])

    optimizers = [
        {"kind": "muon", "group": "matrix", "lr": 0.04, "momentum": 0.95,
         "momentum_warmup_start": 0.85, "momentum_warmup_steps": 500, "nesterov": True,
         "ns_steps": 5, "wd": args.muon_wd, "row_normalize": args.row_normalize},
        {"kind": "adam", "group": "embed", "lr": 0.05, "betas": [0.9, 0.95], "eps": 1e-8,
         "wd": args.adam_wd},
        {"kind": "adamw" if args.scalar_adamw else "adam", "group": "scalar", "lr": 0.04,
         "betas": [0.9, 0.95], "eps": 1e-8, "wd": args.adam_wd},
    ]
    groups = {n: group_of(n) for n in names}
    cfg = dict(dims, optimizers=optimizers, groups=groups, lr_multiplier=args.lr_multiplier,
               step=args.step)

    # One step with the float32 gradients, as the dump defines it.
    with torch.no_grad():
        for n, p in params.items():
            p.grad = torch.from_numpy(grads32[n]).to(fdt)
    opts = build_optimizers(model, optimizers, groups, lr_multiplier=args.lr_multiplier,
                            ns_dtype=fdt)
    if args.with_state:
        cfg["adam_step"] = 7
        os.makedirs(os.path.join(out, "state"))
        srng = np.random.default_rng(args.seed + 2)
        for opt in opts:
            for group in opt.param_groups:
                for p in group["params"]:
                    n = next(k for k, v in params.items() if v is p)
                    scale = float(np.abs(grads32[n]).mean()) + 1e-6
                    if isinstance(opt, Muon):
                        st = {"momentum_buffer": srng.normal(0, 3 * scale, p.shape)}
                    else:
                        st = {"exp_avg": srng.normal(0, scale, p.shape),
                              "exp_avg_sq": srng.normal(0, scale, p.shape) ** 2}
                    for key, arr in st.items():
                        arr = arr.astype(np.float32)
                        np.save(os.path.join(out, "state", f"{n}.{key}.npy"), arr)
                        opt.state[p][key] = torch.from_numpy(arr).to(fdt)
                    if not isinstance(opt, Muon):
                        opt.state[p]["step"] = cfg["adam_step"]
    step_all(opts, args.step)
    os.makedirs(os.path.join(out, "after_step"))
    for n, p in params.items():
        np.save(os.path.join(out, "after_step", n + ".npy"), p.detach().to(torch.float32).numpy())
    if args.with_state:
        os.makedirs(os.path.join(out, "after_state"))
        for opt in opts:
            for p, st in opt.state.items():
                n = next(k for k, v in params.items() if v is p)
                for key in ("momentum_buffer", "exp_avg", "exp_avg_sq"):
                    if key in st:
                        np.save(os.path.join(out, "after_state", f"{n}.{key}.npy"),
                                st[key].to(torch.float32).numpy())

    with open(os.path.join(out, "config.json"), "w") as f:
        json.dump(cfg, f, indent=1)

    # Spoilers for negative tests.
    prng = np.random.default_rng(args.seed + 3)
    if args.perturb_grad:
        path = os.path.join(out, "grads", args.perturb_grad + ".npy")
        g = np.load(path)
        g = g * (1 + args.perturb_rel * prng.standard_normal(g.shape))
        np.save(path, g.astype(np.float32))
    if args.perturb_update:
        path = os.path.join(out, "after_step", args.perturb_update + ".npy")
        a = np.load(path).astype(np.float64)
        p0 = np.load(os.path.join(out, "params", args.perturb_update + ".npy")).astype(np.float64)
        np.save(path, (a + args.perturb_rel * (a - p0)).astype(np.float32))
    if args.drop:
        os.remove(os.path.join(out, args.drop))
    print(f"wrote {out}: {len(names)} parameters, loss {loss.item():.6f} "
          f"({args.fixture_dtype}, init {args.init})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
