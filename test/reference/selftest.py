#!/usr/bin/env python3
"""Self-checks of baseline_torch.py that need no golfc:

- parameter names, order and count (17,059,912) against examples/baseline.golf;
- the model's loss and gradients against a second, independently written forward
  (explicit masks, a per-head loop with kv head h // (H/Hkv), logsumexp CE), float64;
- SDPA with enable_gqa equals the repeat_interleave path, in the model too (sdpa_gqa);
- build_optimizers with torch.optim's Adam/AdamW (torch_adam) = the hand-written ones;
- the hand-written Adam/AdamW against torch.optim.Adam/AdamW (3 steps, weight decay);
- Newton-Schulz against a literal port of the trainer's function, Muon's momentum
  warm-up and two Muon steps against arithmetic written out here;
- with the real init (zero wo/w_proj) wq/wk/wv/w_fc get exactly zero gradients;
- the bf16 layout runs; plus informational numbers (NS float32 vs float64, RoPE
  float32 vs float64 tables at T = 1024).
Prints "N passed, M failed"; exit 0 when all pass.
"""

from __future__ import annotations

import math
import os
import re
import sys

import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from baseline_torch import (NS_COEFFS, Adam, BaselineGPT, Muon, build_optimizers,  # noqa: E402
                            muon_momentum, step_all, zeropower_via_newtonschulz5)

F32_EPS = float(torch.finfo(torch.float32).eps)
results = []


def check(name, ok, detail=""):
    results.append(bool(ok))
    print(f"{'ok  ' if ok else 'FAIL'} {name}" + (f": {detail}" if detail else ""))


def rel(a, b):
    a, b = a.double(), b.double()
    return ((a - b).norm() / max(b.norm().item(), 1e-300)).item()


def golf_param_names(path, layers):
    """Parameter names in declaration order from a .golf file (top level, then
    `block blocks[i]` parameters per block, as golfc names them)."""
    top, block = [], []
    in_block = False
    for line in open(path):
        if re.match(r"block\s+blocks\[", line):
            in_block = True
            continue
        if line and not line[0].isspace() and not line.startswith("#"):
            in_block = False
        m = re.match(r"\s*param\s+(\w+)\s*:", line)
        if m:
            (block if in_block else top).append(m.group(1))
    return top + [f"blocks.{i}.{n}" for i in range(layers) for n in block]


def independent_loss(P, ids, tgt, V, C, L, H, Hkv, base, cap):
    D = C // H
    B, T = ids.shape

    def rms(x):
        return x * torch.rsqrt((x * x).mean(-1, keepdim=True) + F32_EPS)

    pos = torch.arange(T, dtype=torch.float64)
    i = torch.arange(D // 2, dtype=torch.float64)
    theta = pos[:, None] * base ** (-2.0 * i / D)
    c, s = torch.cos(theta)[:, None, :], torch.sin(theta)[:, None, :]  # [T, 1, D/2]

    def rope(u):  # [B, T, heads, D]
        u1, u2 = u[..., : D // 2], u[..., D // 2:]
        return torch.cat([u1 * c + u2 * s, -u1 * s + u2 * c], -1)

    mask = torch.tril(torch.ones(T, T, dtype=torch.bool))
    x = rms(P["tok_emb"][ids])
    x0 = x

    def block(j, x):
        w = {k.split(".")[-1]: v for k, v in P.items() if k.startswith(f"blocks.{j}.")}
        x = w["resid_mix"][0] * x + w["resid_mix"][1] * x0
        h = rms(x)
        q = rope(rms((h @ w["wq"].T).reshape(B, T, H, D))) * w["q_gain"][None, None, :, None]
        k = rope(rms((h @ w["wk"].T).reshape(B, T, Hkv, D)))
        v = (h @ w["wv"].T).reshape(B, T, Hkv, D)
        heads = []
        for hh in range(H):
            kv = hh // (H // Hkv)
            sc = torch.einsum("btd,bsd->bts", q[:, :, hh], k[:, :, kv]) / math.sqrt(D)
            sc = sc.masked_fill(~mask, float("-inf"))
            heads.append(torch.softmax(sc, -1) @ v[:, :, kv])
        y = torch.cat(heads, -1)
        x = x + w["attn_scale"] * (y @ w["wo"].T)
        u = torch.clamp(rms(x) @ w["w_fc"].T, min=0) ** 2
        return x + w["mlp_scale"] * (u @ w["w_proj"].T)

    enc = L // 2
    skips = []
    for j in range(enc):
        x = block(j, x)
        skips.append(x)
    for j in range(L - enc):
        if skips:
            x = x + P["skip_weights"][j] * skips.pop()
        x = block(enc + j, x)
    z = rms(x) @ P["tok_emb"].T
    z = cap * torch.tanh(z / cap)
    return (torch.logsumexp(z, -1) - z.gather(-1, tgt[..., None])[..., 0]).mean()


def trainer_ns5(G, steps=5, eps=1e-7, dtype=torch.bfloat16):
    """Literal port of the trainer's zeropower_via_newtonschulz5 (dtype made a knob)."""
    a, b, c = (3.4445, -4.7750, 2.0315)
    X = G.to(dtype)
    X /= X.norm() + eps
    transposed = G.size(0) > G.size(1)
    if transposed:
        X = X.T
    for _ in range(steps):
        A = X @ X.T
        B = b * A + c * A @ A
        X = a * X + B @ X
    return X.T if transposed else X


def main():
    torch.manual_seed(0)
    torch.set_num_threads(1)

    # -- names and count ---------------------------------------------------------
    full = BaselineGPT()
    n = sum(p.numel() for p in full.parameters())
    check("full-size parameter count 17,059,912", n == 17_059_912, f"{n:,}")
    golf = os.path.join(HERE, "..", "..", "examples", "baseline.golf")
    if os.path.isfile(golf):
        want = golf_param_names(golf, 9)
        check("parameter names and order = examples/baseline.golf", want == full.param_names(),
              f"{len(want)} names")
    else:
        check("examples/baseline.golf present", False, golf)
    del full

    # -- forward/backward against the independent formulation ----------------------
    for (V, C, L, H, Hkv, T) in ((48, 32, 3, 4, 2, 12), (40, 48, 4, 6, 6, 9), (32, 32, 5, 4, 1, 7)):
        m = BaselineGPT(vocab=V, dim=C, layers=L, heads=H, kv_heads=Hkv, rope_base=500.0,
                        softcap=5.0, dtype=torch.float64, norm_eps=F32_EPS,
                        rope_table_dtype=torch.float64)
        m.init_weights(seed=L, zero_init=False, jitter=0.2, emb_std=0.5)
        ids = torch.randint(0, V, (2, T + 1))
        loss = m(ids[:, :-1], ids[:, 1:])
        loss.backward()
        P = {k: v.detach().clone().requires_grad_(True) for k, v in m.named_parameters()}
        ref = independent_loss(P, ids[:, :-1], ids[:, 1:], V, C, L, H, Hkv, 500.0, 5.0)
        ref.backward()
        worst = max(rel(p.grad, P[k].grad) for k, p in m.named_parameters())
        tag = f"V{V} C{C} L{L} H{H}/{Hkv} T{T}"
        check(f"loss = independent forward ({tag})", rel(loss, ref) < 1e-12,
              f"{loss.item():.12f} vs {ref.item():.12f}")
        check(f"grads = independent forward ({tag})", worst < 1e-10, f"worst rel {worst:.1e}")

    q = torch.randn(2, 8, 10, 16, dtype=torch.float64)
    k = torch.randn(2, 2, 10, 16, dtype=torch.float64)
    v = torch.randn(2, 2, 10, 16, dtype=torch.float64)
    a = F.scaled_dot_product_attention(q, k, v, is_causal=True, enable_gqa=True)
    b = F.scaled_dot_product_attention(q, k.repeat_interleave(4, 1), v.repeat_interleave(4, 1),
                                       is_causal=True)
    check("SDPA enable_gqa = repeat_interleave", rel(a, b) < 1e-14, f"{rel(a, b):.1e}")
    # The model's sdpa_gqa option (bench/baseline_h100/torch_train.py) = the default path.
    ma = BaselineGPT(vocab=48, dim=32, layers=3, heads=4, kv_heads=2, dtype=torch.float64)
    ma.init_weights(seed=7, zero_init=False, jitter=0.2, emb_std=0.5)
    mb = BaselineGPT(vocab=48, dim=32, layers=3, heads=4, kv_heads=2, dtype=torch.float64,
                     sdpa_gqa=True)
    mb.load_state_dict(ma.state_dict())
    ids = torch.randint(0, 48, (2, 11))
    la, lb = ma(ids[:, :-1], ids[:, 1:]), mb(ids[:, :-1], ids[:, 1:])
    la.backward()
    lb.backward()
    worst = max(rel(pb.grad, pa.grad) for pa, pb in zip(ma.parameters(), mb.parameters()))
    check("BaselineGPT(sdpa_gqa=True) = repeat_interleave path (loss, grads)",
          rel(lb, la) < 1e-14 and worst < 1e-12, f"loss {rel(lb, la):.1e}, worst grad {worst:.1e}")

    # -- Adam / AdamW against torch.optim ---------------------------------------------
    for decoupled, torch_cls in ((False, torch.optim.Adam), (True, torch.optim.AdamW)):
        w0 = torch.randn(7, 5, dtype=torch.float64)
        p1, p2 = w0.clone().requires_grad_(), w0.clone().requires_grad_()
        o1 = Adam([p1], lr=0.05, betas=(0.9, 0.95), eps=1e-8, wd=0.1, decoupled=decoupled)
        o2 = torch_cls([p2], lr=0.05, betas=(0.9, 0.95), eps=1e-8, weight_decay=0.1,
                       foreach=False)
        for _ in range(3):
            g = torch.randn(7, 5, dtype=torch.float64)
            p1.grad, p2.grad = g.clone(), g.clone()
            o1.step()
            o2.step()
        e = rel(p1.detach(), p2.detach())
        check(f"Adam(decoupled={decoupled}) = {torch_cls.__name__}, 3 steps, wd 0.1", e < 1e-14,
              f"{e:.1e}")
    # float32, default (foreach) torch path
    w0 = torch.randn(64, 32)
    p1, p2 = w0.clone().requires_grad_(), w0.clone().requires_grad_()
    o1, o2 = Adam([p1], lr=0.05), torch.optim.Adam([p2], lr=0.05, betas=(0.9, 0.95), eps=1e-8)
    for _ in range(3):
        g = torch.randn(64, 32) * 1e-3
        p1.grad, p2.grad = g.clone(), g.clone()
        o1.step()
        o2.step()
    e = rel(p1.detach(), p2.detach())
    check("Adam = torch.optim.Adam in float32, 3 steps", e < 1e-6, f"{e:.1e}")

    # -- Muon ------------------------------------------------------------------------
    for shape in ((48, 32), (32, 48), (32, 32)):
        G = torch.randn(*shape)
        for dt in (torch.float32, torch.bfloat16):
            e = rel(zeropower_via_newtonschulz5(G, dtype=dt), trainer_ns5(G, dtype=dt))
            check(f"NS5 = trainer's function {shape} {dt}", e == 0.0,
                  f"{e:.1e}")
    Gb = torch.randn(3, 40, 24)
    e = max(rel(zeropower_via_newtonschulz5(Gb)[i], zeropower_via_newtonschulz5(Gb[i]))
            for i in range(3))
    check("NS5 batched = per matrix", e < 1e-6, f"{e:.1e}")
    check("NS coefficients", NS_COEFFS == (3.4445, -4.7750, 2.0315))
    mus = [muon_momentum(s, 0.95, 0.85, 500) for s in (0, 250, 500, 10_000)]
    check("momentum warm-up 0.85 -> 0.95 over 500 steps",
          all(abs(x - y) < 1e-15 for x, y in zip(mus, (0.85, 0.90, 0.95, 0.95))), str(mus))

    W0 = torch.randn(48, 32, dtype=torch.float64)
    p = W0.clone().requires_grad_()
    opt = Muon([p], lr=0.04, momentum=0.95, momentum_warmup_start=0.85,
               momentum_warmup_steps=500, wd=0.1, ns_dtype=torch.float64)
    W, buf = W0.clone(), torch.zeros_like(W0)
    a_, b_, c_ = NS_COEFFS
    for s in (0, 250):
        g = torch.randn(48, 32, dtype=torch.float64)
        p.grad = g.clone()
        opt.step(s)
        mu = 0.85 + 0.1 * s / 500
        buf = mu * buf + g
        u = g + mu * buf
        X = (u / (u.norm() + 1e-7)).T
        for _ in range(5):
            A = X @ X.T
            X = a_ * X + (b_ * A + c_ * A @ A) @ X
        W = W * (1 - 0.04 * 0.1) - 0.04 * X.T * math.sqrt(48 / 32)
    e = rel(p.detach(), W)
    check("Muon: 2 steps (Nesterov, warm-up, wd, tall matrix) = written-out math", e < 1e-14,
          f"{e:.1e}")

    # -- the real init: zero gradients where the spec says --------------------------------
    m = BaselineGPT(vocab=32, dim=32, layers=2, heads=4, kv_heads=2)
    m.init_weights(seed=0)
    ids = torch.randint(0, 32, (2, 9))
    m(ids[:, :-1], ids[:, 1:]).backward()
    zero = sorted(nm for nm, p in m.named_parameters() if not p.grad.any())
    want_zero = sorted(f"blocks.{i}.{w}" for i in range(2)
                       for w in ("wq", "wk", "wv", "w_fc", "q_gain", "attn_scale", "mlp_scale"))
    check("real init: exactly zero grads for wq/wk/wv/w_fc/q_gain/attn_scale/mlp_scale",
          zero == want_zero, ", ".join(zero))

    # -- bf16 layout ---------------------------------------------------------------------
    m16 = BaselineGPT(vocab=64, dim=64, layers=3, heads=4, kv_heads=2, dtype=torch.bfloat16)
    m16.init_weights(seed=3, zero_init=False, jitter=0.1, emb_std=0.3)
    m32 = BaselineGPT(vocab=64, dim=64, layers=3, heads=4, kv_heads=2)
    m32.load_state_dict({k: v.float() for k, v in m16.state_dict().items()})
    ids = torch.randint(0, 64, (2, 17))
    l16, l32 = m16(ids[:, :-1], ids[:, 1:]), m32(ids[:, :-1], ids[:, 1:])
    check("bf16 layout: tok_emb bf16, others f32, loss f32 and near the f32 loss",
          m16.tok_emb.dtype == torch.bfloat16 and m16.blocks[0].wq.dtype == torch.float32
          and l16.dtype == torch.float32 and abs(l16.item() - l32.item()) < 0.05 * l32.item(),
          f"{l16.item():.4f} vs {l32.item():.4f}")

    # -- build_optimizers(torch_adam=...) = the hand-written Adam -----------------------------
    specs = [{"kind": "muon", "group": "matrix", "lr": 0.04},
             {"kind": "adam", "group": "embed", "lr": 0.05, "betas": [0.9, 0.95], "eps": 1e-8},
             {"kind": "adamw", "group": "scalar", "lr": 0.04, "wd": 0.1}]
    after = []
    for torch_adam in (None, {"foreach": False}):
        m = BaselineGPT(vocab=32, dim=32, layers=2, heads=2, kv_heads=1)
        m.init_weights(seed=4, zero_init=False, jitter=0.1, emb_std=0.3)
        groups = {n: ("embed" if n == "tok_emb" else "matrix" if p.ndim == 2 and n != "skip_weights"
                      and not n.endswith("resid_mix") else "scalar")
                  for n, p in m.named_parameters()}
        opts = build_optimizers(m, specs, groups, torch_adam=torch_adam)
        ids = torch.randint(0, 32, (2, 9), generator=torch.Generator().manual_seed(2))
        for step in range(3):
            for o in opts:
                o.zero_grad()
            m(ids[:, :-1], ids[:, 1:]).backward()
            step_all(opts, step)
        after.append({n: p.detach().clone() for n, p in m.named_parameters()})
    worst = max(rel(after[1][n], after[0][n]) for n in after[0])
    check("build_optimizers(torch_adam={...}) = hand-written Adam/AdamW (3 steps)", worst < 1e-6,
          f"worst rel {worst:.1e}")

    # -- informational ---------------------------------------------------------------------
    G = torch.randn(1024, 512, dtype=torch.float64)
    e32 = rel(zeropower_via_newtonschulz5(G, dtype=torch.float32), zeropower_via_newtonschulz5(G, dtype=torch.float64))
    e16 = rel(zeropower_via_newtonschulz5(G, dtype=torch.bfloat16), zeropower_via_newtonschulz5(G, dtype=torch.float64))
    print(f"info NS5 1024x512 vs float64: float32 {e32:.1e}, bfloat16 {e16:.1e}")
    check("NS5 float32 within 1e-5 of float64 (1024x512)", e32 < 1e-5, f"{e32:.1e}")
    out = {}
    for tdt in (torch.float32, torch.float64):
        m = BaselineGPT(vocab=64, dim=64, layers=2, heads=2, kv_heads=1, dtype=torch.float64,
                        norm_eps=F32_EPS, rope_table_dtype=tdt)
        m.init_weights(seed=1, zero_init=False, jitter=0.1, emb_std=0.3)
        ids = torch.randint(0, 64, (1, 1025), generator=torch.Generator().manual_seed(5))
        loss = m(ids[:, :-1], ids[:, 1:])
        loss.backward()
        out[tdt] = (loss.detach(), {k: p.grad for k, p in m.named_parameters()})
    worst = max(rel(out[torch.float32][1][k], out[torch.float64][1][k]) for k in out[torch.float64][1])
    print(f"info RoPE tables float32 vs float64 at T=1024: loss rel "
          f"{rel(out[torch.float32][0], out[torch.float64][0]):.1e}, worst grad rel {worst:.1e}")

    passed = sum(results)
    print(f"{passed} passed, {len(results) - passed} failed")
    return 0 if passed == len(results) else 1


if __name__ == "__main__":
    sys.exit(main())
