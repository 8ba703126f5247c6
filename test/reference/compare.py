#!/usr/bin/env python3
"""Parity check of a golfc train-step dump against the PyTorch baseline.

    python3 compare.py DUMP_DIR [--rtol 1e-4] [--compute-dtype float32|float64]

DUMP_DIR (written by `golfc train-step FILE --set ... --dump DIR`):
  config.json            {"vocab", "dim", "layers", "heads", "kv_heads", "mlp_mult",
                          "rope_base", "softcap", "optimizers": [...], "groups": {name: group},
                          "lr_multiplier": 1.0, "step": 0}
                          optional: "param_wd": {name: wd} (per-parameter wd overrides),
                          "adam_step": Adam steps already taken (with state/, default 0)
  params/<name>.npy      initial parameters, float32
  inputs.npy targets.npy int32 [B, T]
  loss.npy               float32 scalar
  grads/<name>.npy       d loss / d param
  after_step/<name>.npy  parameters after one optimizer step with those grads
  state/, after_state/   optional optimizer state before / after the step:
                          <name>.momentum_buffer.npy (Muon), <name>.exp_avg.npy and
                          <name>.exp_avg_sq.npy (Adam/AdamW); without state/ the state
                          is fresh (zeros, Adam t = 0).

Checks, each relative error = |a - b| / max(|b|, tiny) (Frobenius norms, a = golfc,
b = torch) against --rtol:
  loss; every gradient; every parameter after the step (the step applied by torch to
  the dumped params with the dumped grads, so it checks the optimizer alone); every
  update delta (after - params), whose tolerance adds the float32 rounding of the
  two `after` arrays, 4 * 2^-24 * (|params| + |after|), so that an update too small
  to show in `after` is still checked to about rtol.
Exit 0 when all pass, 1 when one fails, 2 when a file is missing or the dump does
not fit the model.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from baseline_torch import Adam, Muon, build_optimizers, model_from_config, step_all  # noqa: E402

TINY = float(np.finfo(np.float32).tiny)
F32_ROUND = 2.0 ** -24
DTYPES = {"float32": torch.float32, "float64": torch.float64, "bfloat16": torch.bfloat16}
CONFIG_KEYS = ("vocab", "dim", "layers", "heads", "kv_heads", "mlp_mult", "rope_base", "softcap",
               "optimizers", "groups")


class DumpError(Exception):
    """The dump is incomplete or does not fit the model: exit 2."""


def norm(x: np.ndarray) -> float:
    return float(np.linalg.norm(np.asarray(x, dtype=np.float64).ravel()))


def rel_err(a: np.ndarray, b: np.ndarray) -> float:
    a64, b64 = np.asarray(a, np.float64), np.asarray(b, np.float64)
    if a64.shape != b64.shape:
        return math.nan
    return norm(a64 - b64) / max(norm(b64), TINY)


class Table:
    def __init__(self):
        self.rows = []  # (section, name, shape, err, tol, ok)

    def add(self, section, name, shape, err, tol):
        ok = bool(err <= tol)  # False for NaN
        self.rows.append((section, name, shape, err, tol, ok))
        return ok

    def fail(self, section, name, shape, why):
        self.rows.append((section, name, shape, math.nan, math.nan, False, why))

    def print(self):
        sections = []
        for r in self.rows:
            if r[0] not in sections:
                sections.append(r[0])
        width = max([len(r[1]) for r in self.rows] + [4])
        for sec in sections:
            rows = [r for r in self.rows if r[0] == sec]

            def badness(r):
                if not r[5] or math.isnan(r[3]):
                    return (1, r[3] / r[4] if r[4] and not math.isnan(r[3]) else math.inf)
                return (0, r[3] / r[4] if r[4] else 0.0)

            rows.sort(key=badness)  # worst last
            print(f"\n== {sec} ==")
            print(f"{'name':<{width}}  {'shape':<14} {'rel err':>10} {'tol':>9}  status")
            for r in rows:
                shape = "x".join(str(d) for d in r[2]) if r[2] else "scalar"
                err = "nan" if math.isnan(r[3]) else f"{r[3]:.3e}"
                tol = "-" if math.isnan(r[4]) else f"{r[4]:.1e}"
                status = "ok" if r[5] else "FAIL" + (f" ({r[6]})" if len(r) > 6 else "")
                print(f"{r[1]:<{width}}  {shape:<14} {err:>10} {tol:>9}  {status}")

    def counts(self):
        passed = sum(1 for r in self.rows if r[5])
        return passed, len(self.rows) - passed


def load_config(d: str):
    """config.json of the dump, or DumpError."""
    if not os.path.isdir(d):
        raise DumpError(f"{d}: not a directory")
    cfg_path = os.path.join(d, "config.json")
    if not os.path.isfile(cfg_path):
        raise DumpError(f"missing: {cfg_path}")
    with open(cfg_path) as f:
        try:
            cfg = json.load(f)
        except json.JSONDecodeError as e:
            raise DumpError(f"{cfg_path}: {e}")
    absent = [k for k in CONFIG_KEYS if k not in cfg]
    if absent:
        raise DumpError(f"{cfg_path}: missing keys " + ", ".join(absent))
    return cfg


def required_files(d: str, names):
    files = ["inputs.npy", "targets.npy", "loss.npy"]
    for sub in ("params", "grads", "after_step"):
        files += [os.path.join(sub, n + ".npy") for n in names]
    return files


def state_files(names, groups, kinds):
    out = []
    for n in names:
        kind = kinds[groups[n]]
        if kind == "muon":
            out.append(n + ".momentum_buffer.npy")
        else:
            out += [n + ".exp_avg.npy", n + ".exp_avg_sq.npy"]
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("dump_dir")
    ap.add_argument("--rtol", type=float, default=1e-4)
    ap.add_argument("--compute-dtype", choices=["float32", "float64"], default="float32",
                    help="dtype of the torch forward/backward and optimizer step (default float32)")
    ap.add_argument("--rope-table-dtype", choices=["float32", "float64"], default="float32",
                    help="dtype of RoPE angles and cos/sin (the trainer: float32)")
    ap.add_argument("--ns-dtype", choices=list(DTYPES), default="float32",
                    help="Newton-Schulz dtype (golfc CPU: float32; the trainer: bfloat16)")
    ap.add_argument("--grads-from", choices=["dump", "torch"], default="dump",
                    help="gradients fed to the optimizer step (default: the dumped ones)")
    ap.add_argument("--threads", type=int, default=1,
                    help="torch CPU threads (default 1: fastest for the tiny configs, and "
                         "multi-threaded MKL crawls on a busy machine)")
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    d = args.dump_dir
    cdt = DTYPES[args.compute_dtype]

    try:
        cfg = load_config(d)
        # rms_norm's eps is float32's (the dump's dtype), also in a float64 run.
        try:
            model = model_from_config(cfg, dtype=cdt,
                                      norm_eps=float(torch.finfo(torch.float32).eps),
                                      rope_table_dtype=DTYPES[args.rope_table_dtype])
            optimizers = build_optimizers(model, cfg["optimizers"], cfg["groups"],
                                          lr_multiplier=float(cfg.get("lr_multiplier", 1.0)),
                                          param_wd=cfg.get("param_wd"),
                                          ns_dtype=DTYPES[args.ns_dtype])
        except (ValueError, KeyError, TypeError) as e:
            raise DumpError(f"config.json: {e}")
        names = model.param_names()
        groups = cfg["groups"]
        kinds = {}
        for spec in cfg["optimizers"]:
            kinds[spec["group"]] = spec["kind"]
        missing = [f for f in required_files(d, names) if not os.path.isfile(os.path.join(d, f))]
        has_state = os.path.isdir(os.path.join(d, "state"))
        has_after_state = os.path.isdir(os.path.join(d, "after_state"))
        if has_state or has_after_state:
            sfiles = state_files(names, groups, kinds)
            if has_state:
                missing += [os.path.join("state", f) for f in sfiles
                            if not os.path.isfile(os.path.join(d, "state", f))]
            if has_after_state:
                missing += [os.path.join("after_state", f) for f in sfiles
                            if not os.path.isfile(os.path.join(d, "after_state", f))]
        if missing:
            raise DumpError("missing " + str(len(missing)) + " file(s) in " + d + ":\n  "
                            + "\n  ".join(missing))
        extra = []
        for sub in ("params", "grads", "after_step"):
            for f in sorted(os.listdir(os.path.join(d, sub))):
                if f.endswith(".npy") and f[:-4] not in names:
                    extra.append(os.path.join(sub, f))
        if extra:
            raise DumpError("files that name no parameter of the model (naming or config "
                            "mismatch):\n  " + "\n  ".join(extra))
        try:
            model.load_params(os.path.join(d, "params"))
        except ValueError as e:
            raise DumpError(str(e))
        ids = np.load(os.path.join(d, "inputs.npy"))
        tgt = np.load(os.path.join(d, "targets.npy"))
        for nm, a in (("inputs.npy", ids), ("targets.npy", tgt)):
            if a.ndim != 2 or not np.issubdtype(a.dtype, np.integer):
                raise DumpError(f"{nm}: want an integer [B, T] array, got {a.dtype} {a.shape}")
            if a.size and (a.min() < 0 or a.max() >= model.vocab):
                raise DumpError(f"{nm}: token ids outside [0, {model.vocab})")
        if ids.shape != tgt.shape:
            raise DumpError(f"inputs {ids.shape} and targets {tgt.shape} differ")
    except DumpError as e:
        print(f"compare.py: {e}", file=sys.stderr)
        print("compare.py: dump incomplete or not matching the model (exit 2)")
        return 2

    B, T = ids.shape
    print(f"dump {d}: vocab {model.vocab} dim {model.dim} layers {model.layers} heads "
          f"{model.heads}/{model.kv_heads} mlp_mult {model.mlp_mult} rope_base {model.rope_base} "
          f"softcap {model.softcap}; batch {B}x{T}; step {cfg.get('step', 0)} lr_multiplier "
          f"{cfg.get('lr_multiplier', 1.0)}; torch {torch.__version__} {args.compute_dtype}; "
          f"rtol {args.rtol:g}")
    table = Table()
    rtol = args.rtol

    # -- forward / backward ------------------------------------------------------
    loss = model(torch.from_numpy(ids.astype(np.int64)), torch.from_numpy(tgt.astype(np.int64)))
    loss.backward()
    golf_loss = np.load(os.path.join(d, "loss.npy")).astype(np.float64)
    if golf_loss.size != 1:
        table.fail("loss", "loss", (), f"loss.npy has {golf_loss.size} values")
    else:
        ref = float(loss.item())
        print(f"loss: golfc {float(golf_loss.reshape(())):.9g}  torch {ref:.9g}")
        table.add("loss", "loss", (), rel_err(golf_loss.reshape(()), np.float64(ref)), rtol)

    params = dict(model.named_parameters())
    p0 = {n: np.load(os.path.join(d, "params", n + ".npy")) for n in names}
    dumped_grads = {}
    for n in names:
        g = np.load(os.path.join(d, "grads", n + ".npy"))
        ref = params[n].grad.detach().double().numpy()
        if g.shape != ref.shape:
            table.fail("gradients", n, tuple(ref.shape), f"file shape {g.shape}")
            continue
        dumped_grads[n] = g
        table.add("gradients", n, tuple(ref.shape), rel_err(g, ref), rtol)

    # -- one optimizer step -------------------------------------------------------
    with torch.no_grad():
        for n, p in params.items():
            p.copy_(torch.from_numpy(p0[n]).to(p.dtype))
            if args.grads_from == "dump":
                g = dumped_grads.get(n)
                if g is None:  # shape mismatch already reported: use torch's
                    continue
                p.grad = torch.from_numpy(np.ascontiguousarray(g)).to(p.dtype)
    adam_step = int(cfg.get("adam_step", 0))
    if has_state:
        for opt in optimizers:
            for group in opt.param_groups:
                for p in group["params"]:
                    n = next(k for k, v in params.items() if v is p)
                    st = opt.state[p]
                    ld = lambda suffix: torch.from_numpy(np.load(  # noqa: E731
                        os.path.join(d, "state", n + suffix))).to(p.dtype)
                    if isinstance(opt, Muon):
                        st["momentum_buffer"] = ld(".momentum_buffer.npy")
                    else:
                        st["step"] = adam_step
                        st["exp_avg"] = ld(".exp_avg.npy")
                        st["exp_avg_sq"] = ld(".exp_avg_sq.npy")
    step_all(optimizers, int(cfg.get("step", 0)))

    for n in names:
        shape = tuple(params[n].shape)
        after_ref = params[n].detach().double().numpy()
        after = np.load(os.path.join(d, "after_step", n + ".npy"))
        if after.shape != after_ref.shape:
            table.fail("after step", n, shape, f"file shape {after.shape}")
            table.fail("update delta", n, shape, f"file shape {after.shape}")
            continue
        table.add("after step", n, shape, rel_err(after, after_ref), rtol)
        start = p0[n].astype(np.float64)
        delta, delta_ref = after.astype(np.float64) - start, after_ref - start
        floor = 4 * F32_ROUND * (norm(start) + norm(after_ref))
        dn = norm(delta_ref)
        err = norm(delta - delta_ref) / max(dn, TINY)
        tol = rtol + floor / max(dn, TINY)
        table.add("update delta", n, shape, err, tol)

    if has_after_state:
        by_param = {}
        for opt in optimizers:
            for group in opt.param_groups:
                for p in group["params"]:
                    by_param[id(p)] = opt.state[p]
        for n in names:
            st = by_param.get(id(params[n]), {})
            for key in ("momentum_buffer", "exp_avg", "exp_avg_sq"):
                f = os.path.join(d, "after_state", f"{n}.{key}.npy")
                if not os.path.isfile(f):
                    continue
                ref = st.get(key)
                if ref is None:
                    table.fail("optimizer state", f"{n}.{key}", tuple(params[n].shape),
                               "not kept by this optimizer")
                    continue
                table.add("optimizer state", f"{n}.{key}", tuple(ref.shape),
                          rel_err(np.load(f), ref.double().numpy()), rtol)

    table.print()
    passed, failed = table.counts()
    print(f"\n{passed} passed, {failed} failed")
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
