"""PyTorch reference of the parameter-golf naive baseline, for checking golfc.

Written from the challenge's `train_gpt.py` as described in
shared/reference/pgolf-spec.md section 3 (forward 3.2, init 3.3, optimizers 3.4,
schedules 3.5), with golfc's parameter names (examples/baseline.golf):

    tok_emb [vocab, dim]          skip_weights [min(L//2, L-L//2), dim]
    blocks.{i}.resid_mix [2, dim] blocks.{i}.wq [dim, dim]
    blocks.{i}.wk [kv_dim, dim]   blocks.{i}.wv [kv_dim, dim]
    blocks.{i}.wo [dim, dim]      blocks.{i}.q_gain [heads]
    blocks.{i}.attn_scale [dim]   blocks.{i}.w_fc [mlp_mult*dim, dim]
    blocks.{i}.w_proj [dim, mlp_mult*dim]   blocks.{i}.mlp_scale [dim]

Linear weights are [out, in] (PyTorch's layout, golfc's too): y = x @ W.T.

dtype:
  torch.float32  every parameter and activation in f32 (the parity test).
  torch.float64  every parameter and activation in f64.
  torch.bfloat16 the real trainer's layout: tok_emb stored bf16, every other
                 parameter f32 and cast to the activation dtype at use, so the
                 residual stream and matmuls run in bf16 (the trainer gets the
                 same from autocast). rms_norm's default eps stays float32's
                 machine epsilon (F.rms_norm computes bf16 in float32 and takes
                 that type's epsilon, eager and compiled), not bf16's 2^-7.
                 Logits are upcast to f32 for the loss. Approximate only: the
                 trainer's CUDA autocast kernels are not reproduced bit for bit.

The optimizers (Muon, Adam/AdamW) are written by hand, per spec 3.4; the
self-test (selftest.py) checks Adam/AdamW against torch.optim.
"""

from __future__ import annotations

import collections
import math
import os
from typing import Dict, Iterable, List, Optional

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

NS_COEFFS = (3.4445, -4.7750, 2.0315)


# ----------------------------------------------------------------------------
# Model
# ----------------------------------------------------------------------------

def rms_norm(x: torch.Tensor, eps: Optional[float] = None) -> torch.Tensor:
    """F.rms_norm over the last axis, no gain. eps=None: machine epsilon of x.dtype."""
    return F.rms_norm(x, (x.size(-1),), eps=eps)


def rope_tables(seq_len: int, head_dim: int, base: float, dtype: torch.dtype,
                table_dtype: torch.dtype = torch.float32, device=None):
    """cos/sin [1, 1, T, D/2] for positions 0..T-1, on `device` (default: the CPU).

    Like the trainer's `Rotary`: inv_freq = 1/base^(arange(0, D, 2)/D), angles
    and cos/sin computed in `table_dtype` (the trainer: float32), then cast to
    the activation dtype.
    """
    inv_freq = 1.0 / (base ** (torch.arange(0, head_dim, 2, dtype=table_dtype, device=device)
                               / head_dim))
    t = torch.arange(seq_len, dtype=table_dtype, device=device)
    freqs = torch.outer(t, inv_freq)
    return freqs.cos()[None, None].to(dtype), freqs.sin()[None, None].to(dtype)


def apply_rope(x: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor) -> torch.Tensor:
    """Half-split convention: (x1, x2) -> (x1 cos + x2 sin, -x1 sin + x2 cos)."""
    half = x.size(-1) // 2
    x1, x2 = x[..., :half], x[..., half:]
    return torch.cat((x1 * cos + x2 * sin, x1 * (-sin) + x2 * cos), dim=-1)


class Block(nn.Module):
    def __init__(self, dim: int, heads: int, kv_heads: int, mlp_mult: int,
                 param_dtype: torch.dtype, norm_eps: Optional[float], sdpa_gqa: bool = False):
        super().__init__()
        self.sdpa_gqa = sdpa_gqa
        if dim % heads or heads % kv_heads:
            raise ValueError(f"dim {dim} / heads {heads} / kv_heads {kv_heads} do not divide")
        self.heads, self.kv_heads = heads, kv_heads
        self.head_dim = dim // heads
        if self.head_dim % 2:
            raise ValueError("head_dim must be even for RoPE")
        self.norm_eps = norm_eps
        kv_dim = kv_heads * self.head_dim
        hidden = mlp_mult * dim

        def p(*shape):
            return nn.Parameter(torch.zeros(*shape, dtype=param_dtype))

        # Registration order = golfc's declaration order.
        self.resid_mix = p(2, dim)
        self.wq = p(dim, dim)
        self.wk = p(kv_dim, dim)
        self.wv = p(kv_dim, dim)
        self.wo = p(dim, dim)
        self.q_gain = p(heads)
        self.attn_scale = p(dim)
        self.w_fc = p(hidden, dim)
        self.w_proj = p(dim, hidden)
        self.mlp_scale = p(dim)

    def forward(self, x: torch.Tensor, x0: torch.Tensor, cos: torch.Tensor,
                sin: torch.Tensor) -> torch.Tensor:
        B, T, C = x.shape
        H, Hkv, D = self.heads, self.kv_heads, self.head_dim
        dt = x.dtype
        eps = self.norm_eps
        mix = self.resid_mix.to(dt)
        x = mix[0] * x + mix[1] * x0
        h = rms_norm(x, eps)
        q = F.linear(h, self.wq.to(dt)).view(B, T, H, D).transpose(1, 2)
        k = F.linear(h, self.wk.to(dt)).view(B, T, Hkv, D).transpose(1, 2)
        v = F.linear(h, self.wv.to(dt)).view(B, T, Hkv, D).transpose(1, 2)
        q = rms_norm(q, eps)
        k = rms_norm(k, eps)
        q = apply_rope(q, cos, sin)
        k = apply_rope(k, cos, sin)
        q = q * self.q_gain.to(dt)[None, :, None, None]
        if Hkv != H and self.sdpa_gqa:  # the same, inside SDPA (flash on the GPU)
            y = F.scaled_dot_product_attention(q, k, v, is_causal=True, enable_gqa=True)
        else:
            if Hkv != H:  # GQA: query head h reads KV head h // (H / Hkv)
                k = k.repeat_interleave(H // Hkv, dim=1)
                v = v.repeat_interleave(H // Hkv, dim=1)
            y = F.scaled_dot_product_attention(q, k, v, is_causal=True)  # scale 1/sqrt(D)
        y = y.transpose(1, 2).reshape(B, T, C)
        x = x + self.attn_scale.to(dt) * F.linear(y, self.wo.to(dt))
        u = torch.relu(F.linear(rms_norm(x, eps), self.w_fc.to(dt))).square()
        return x + self.mlp_scale.to(dt) * F.linear(u, self.w_proj.to(dt))


class BaselineGPT(nn.Module):
    """The naive baseline: U-Net of `layers` blocks, tied embeddings, softcap."""

    def __init__(self, vocab: int = 1024, dim: int = 512, layers: int = 9, heads: int = 8,
                 kv_heads: int = 4, mlp_mult: int = 2, rope_base: float = 10000.0,
                 softcap: float = 30.0, dtype: torch.dtype = torch.float32,
                 norm_eps: Optional[float] = None,
                 rope_table_dtype: torch.dtype = torch.float32,
                 sdpa_gqa: bool = False):
        """sdpa_gqa: GQA by SDPA's enable_gqa (what the trainer does; flash
        attention on the GPU) instead of repeat_interleave (the default; the
        self-test checks that the two agree)."""
        super().__init__()
        if dtype not in (torch.float32, torch.float64, torch.bfloat16):
            raise ValueError(f"unsupported dtype {dtype}")
        self.vocab, self.dim, self.layers = vocab, dim, layers
        self.heads, self.kv_heads, self.mlp_mult = heads, kv_heads, mlp_mult
        self.rope_base, self.softcap = float(rope_base), float(softcap)
        self.dtype = dtype
        self.norm_eps = norm_eps
        self.rope_table_dtype = rope_table_dtype
        self.encoder_layers = layers // 2
        self.decoder_layers = layers - self.encoder_layers
        self.skips_used = min(self.encoder_layers, self.decoder_layers)
        param_dtype = torch.float32 if dtype == torch.bfloat16 else dtype
        self.tok_emb = nn.Parameter(torch.zeros(vocab, dim, dtype=dtype))
        self.skip_weights = nn.Parameter(torch.zeros(self.skips_used, dim, dtype=param_dtype))
        self.blocks = nn.ModuleList(
            Block(dim, heads, kv_heads, mlp_mult, param_dtype, norm_eps, sdpa_gqa)
            for _ in range(layers))

    # -- forward ---------------------------------------------------------------

    def logits(self, ids: torch.Tensor) -> torch.Tensor:
        eps = self.norm_eps
        x = F.embedding(ids.long(), self.tok_emb)
        dt = x.dtype
        x = rms_norm(x, eps)
        x0 = x
        cos, sin = rope_tables(ids.shape[-1], self.dim // self.heads, self.rope_base, dt,
                               self.rope_table_dtype, device=ids.device)
        skips: List[torch.Tensor] = []
        for i in range(self.encoder_layers):
            x = self.blocks[i](x, x0, cos, sin)
            skips.append(x)
        for j in range(self.decoder_layers):
            if j < self.skips_used:
                x = x + self.skip_weights[j].to(dt) * skips.pop()
            x = self.blocks[self.encoder_layers + j](x, x0, cos, sin)
        x = rms_norm(x, eps)
        logits = F.linear(x, self.tok_emb.to(dt))
        return self.softcap * torch.tanh(logits / self.softcap)

    def forward(self, ids: torch.Tensor, targets: Optional[torch.Tensor] = None):
        z = self.logits(ids)
        if targets is None:
            return z
        z = z if z.dtype == torch.float64 else z.float()
        return F.cross_entropy(z.reshape(-1, z.size(-1)), targets.reshape(-1).long(),
                               reduction="mean")

    # -- initialization (spec 3.3) ---------------------------------------------

    @torch.no_grad()
    def init_weights(self, seed: int = 0, zero_init: bool = True, jitter: float = 0.0,
                     emb_std: float = 0.005) -> None:
        """tok_emb ~ N(0, emb_std^2); wq/wk/wv/w_fc: nn.Linear default
        (uniform +-1/sqrt(fan_in)); wo/w_proj zero (or the same uniform when
        zero_init is False); resid_mix rows (1, 0); q_gain 1.5; attn_scale,
        mlp_scale, skip_weights 1. `jitter` adds N(0, jitter^2) to the vectors
        (0 for the real init) so that a test sees non-trivial gradients."""
        g = torch.Generator().manual_seed(seed)

        def normal(t, std):
            t.copy_(torch.randn(t.shape, generator=g, dtype=torch.float64) * std)

        def linear_default(t):
            bound = 1.0 / math.sqrt(t.shape[1])
            t.copy_((torch.rand(t.shape, generator=g, dtype=torch.float64) * 2 - 1) * bound)

        def vec(t, value):
            t.fill_(value)
            if jitter:
                t.add_((torch.randn(t.shape, generator=g, dtype=torch.float64) * jitter).to(t.dtype))

        normal(self.tok_emb, emb_std)
        vec(self.skip_weights, 1.0)
        for blk in self.blocks:
            vec(blk.resid_mix, 0.0)
            blk.resid_mix[0].add_(1.0)
            for w in (blk.wq, blk.wk, blk.wv, blk.w_fc):
                linear_default(w)
            for w in (blk.wo, blk.w_proj):
                if zero_init:
                    w.zero_()
                else:
                    linear_default(w)
            vec(blk.q_gain, 1.5)
            vec(blk.attn_scale, 1.0)
            vec(blk.mlp_scale, 1.0)

    # -- parameter files ---------------------------------------------------------

    def param_names(self) -> List[str]:
        return [n for n, _ in self.named_parameters()]

    @torch.no_grad()
    def load_params(self, directory: str) -> None:
        """Reads `<directory>/<param name>.npy` (float32) for every parameter."""
        missing = [n for n in self.param_names()
                   if not os.path.isfile(os.path.join(directory, n + ".npy"))]
        if missing:
            raise FileNotFoundError(f"{directory}: missing " + ", ".join(m + ".npy" for m in missing))
        for name, p in self.named_parameters():
            arr = np.load(os.path.join(directory, name + ".npy"))
            if tuple(arr.shape) != tuple(p.shape):
                raise ValueError(f"{name}: file shape {tuple(arr.shape)}, model shape {tuple(p.shape)}")
            p.copy_(torch.from_numpy(np.ascontiguousarray(arr)).to(p.dtype))

    @torch.no_grad()
    def save_params(self, directory: str) -> None:
        os.makedirs(directory, exist_ok=True)
        for name, p in self.named_parameters():
            np.save(os.path.join(directory, name + ".npy"), p.detach().float().numpy())


def model_from_config(cfg: Dict, dtype: torch.dtype = torch.float32, **kw) -> BaselineGPT:
    return BaselineGPT(vocab=int(cfg["vocab"]), dim=int(cfg["dim"]), layers=int(cfg["layers"]),
                       heads=int(cfg["heads"]), kv_heads=int(cfg["kv_heads"]),
                       mlp_mult=int(cfg["mlp_mult"]), rope_base=float(cfg["rope_base"]),
                       softcap=float(cfg["softcap"]), dtype=dtype, **kw)


# ----------------------------------------------------------------------------
# Optimizers (spec 3.4), by hand
# ----------------------------------------------------------------------------

def zeropower_via_newtonschulz5(G: torch.Tensor, steps: int = 5, eps: float = 1e-7,
                                dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """NS5 of the trainer: X = G/(|G|_F + eps) (in `dtype`; the trainer uses
    bf16, golfc's CPU reference f32), transposed when rows > cols, then
    `steps` times A = X X^T, B = b A + c A A, X = a X + B X. Batched over
    leading axes (one Frobenius norm per matrix)."""
    a, b, c = NS_COEFFS
    X = G.to(dtype)
    # The trainer's expressions, in its order: X.norm(), and c * A @ A = (c * A) @ A.
    nrm = X.norm() if X.ndim == 2 else X.norm(dim=(-2, -1), keepdim=True)
    X = X / (nrm + eps)
    transposed = G.size(-2) > G.size(-1)
    if transposed:
        X = X.mT
    for _ in range(steps):
        A = X @ X.mT
        B = b * A + c * A @ A
        X = a * X + B @ X
    return X.mT if transposed else X


class HandOptimizer:
    """The bits of torch.optim.Optimizer used here (param_groups with defaults
    filled in, per-parameter state), without its import of torch._dynamo."""

    def __init__(self, params, defaults: Dict):
        self.defaults = defaults
        self.state: Dict[torch.Tensor, Dict] = collections.defaultdict(dict)
        params = list(params)
        if params and not isinstance(params[0], dict):
            params = [{"params": params}]
        self.param_groups = []
        for g in params:
            g = dict(g)
            g["params"] = list(g["params"])
            for k, v in defaults.items():
                g.setdefault(k, v)
            self.param_groups.append(g)

    def zero_grad(self) -> None:
        for g in self.param_groups:
            for p in g["params"]:
                p.grad = None


def muon_momentum(step: int, momentum: float, warmup_start: Optional[float],
                  warmup_steps: int) -> float:
    """mu = (1 - f) * start + f * momentum, f = min(step / warmup_steps, 1)."""
    if warmup_start is None or warmup_steps <= 0:
        return momentum
    f = min(step / warmup_steps, 1.0)
    return (1 - f) * warmup_start + f * momentum


class Muon(HandOptimizer):
    """Per matrix: buf = mu buf + g; u = g + mu buf (Nesterov) or buf;
    [MuonEq-R: rows of u / max(|row|, 1e-7)]; O = NS5(u) * max(1, rows/cols)^0.5;
    W *= 1 - lr wd (decoupled); W -= lr O.  `step(train_step)` sets mu from the
    momentum warm-up. `ns_impl` replaces zeropower_via_newtonschulz5 (same
    signature), e.g. by a torch.compile'd copy of it as the trainer does."""

    def __init__(self, params, lr: float, momentum: float = 0.95,
                 momentum_warmup_start: Optional[float] = None, momentum_warmup_steps: int = 0,
                 nesterov: bool = True, ns_steps: int = 5, wd: float = 0.0,
                 row_normalize: bool = False, ns_dtype: torch.dtype = torch.float32,
                 ns_impl=None):
        self.ns_impl = ns_impl or zeropower_via_newtonschulz5
        super().__init__(params, dict(lr=lr, momentum=momentum,
                                      momentum_warmup_start=momentum_warmup_start,
                                      momentum_warmup_steps=momentum_warmup_steps,
                                      nesterov=nesterov, ns_steps=ns_steps, wd=wd,
                                      row_normalize=row_normalize, ns_dtype=ns_dtype))

    @torch.no_grad()
    def step(self, train_step: int = 0):
        for group in self.param_groups:
            lr, wd = group["lr"], group["wd"]
            mu = muon_momentum(train_step, group["momentum"], group["momentum_warmup_start"],
                               group["momentum_warmup_steps"])
            for p in group["params"]:
                if p.grad is None:
                    continue
                if p.ndim < 2:
                    raise ValueError("Muon needs matrices")
                g = p.grad
                state = self.state[p]
                if "momentum_buffer" not in state:
                    state["momentum_buffer"] = torch.zeros_like(g)
                buf = state["momentum_buffer"]
                buf.mul_(mu).add_(g)
                u = g.add(buf, alpha=mu) if group["nesterov"] else buf
                if group["row_normalize"]:
                    u = u / u.norm(dim=-1, keepdim=True).clamp_min(1e-7)
                o = self.ns_impl(u, steps=group["ns_steps"], dtype=group["ns_dtype"])
                o = o * max(1.0, p.size(-2) / p.size(-1)) ** 0.5
                if wd:
                    p.mul_(1.0 - lr * wd)
                p.add_(o.to(p.dtype), alpha=-lr)


class Adam(HandOptimizer):
    """torch.optim.Adam (decoupled=False: wd is L2 added to the gradient) or
    torch.optim.AdamW (decoupled=True: W *= 1 - lr wd first), single-tensor
    semantics: m = lerp(m, g, 1-b1); v = b2 v + (1-b2) g^2; t += 1;
    W -= lr/(1-b1^t) * m / (sqrt(v)/sqrt(1-b2^t) + eps)."""

    def __init__(self, params, lr: float, betas=(0.9, 0.95), eps: float = 1e-8,
                 wd: float = 0.0, decoupled: bool = False):
        super().__init__(params, dict(lr=lr, betas=tuple(betas), eps=eps, wd=wd,
                                      decoupled=decoupled))

    @torch.no_grad()
    def step(self):
        for group in self.param_groups:
            lr, (b1, b2), eps, wd = group["lr"], group["betas"], group["eps"], group["wd"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                g = p.grad
                state = self.state[p]
                if not state:
                    state["step"] = 0
                    state["exp_avg"] = torch.zeros_like(p)
                    state["exp_avg_sq"] = torch.zeros_like(p)
                state["step"] += 1
                t = state["step"]
                if wd:
                    if group["decoupled"]:
                        p.mul_(1.0 - lr * wd)
                    else:
                        g = g.add(p, alpha=wd)
                m, v = state["exp_avg"], state["exp_avg_sq"]
                m.lerp_(g, 1 - b1)
                v.mul_(b2).addcmul_(g, g, value=1 - b2)
                step_size = lr / (1 - b1 ** t)
                denom = (v.sqrt() / math.sqrt(1 - b2 ** t)).add_(eps)
                p.addcdiv_(m, denom, value=-step_size)


def build_optimizers(model: nn.Module, optimizers: Iterable[Dict], groups: Dict[str, str],
                     lr_multiplier: float = 1.0, param_wd: Optional[Dict[str, float]] = None,
                     ns_dtype: torch.dtype = torch.float32, ns_impl=None,
                     torch_adam: Optional[Dict] = None):
    """One optimizer per golfc optimizer dict ({"kind": "muon"|"adam"|"adamw",
    "group": ..., "lr": ..., ...}); `groups` maps every parameter name to its
    group; `param_wd` holds per-parameter wd overrides. Returns a list of
    optimizers; raises ValueError when a parameter has no optimizer.
    `ns_impl`: see Muon. `torch_adam`: None for the hand-written Adam/AdamW
    (default), else torch.optim.Adam/AdamW with these extra keyword arguments
    (e.g. {"fused": True}, as the trainer does on the GPU; the same math, which
    selftest.py checks)."""
    params = dict(model.named_parameters())
    param_wd = param_wd or {}
    unknown = sorted(set(groups) - set(params))
    if unknown:
        raise ValueError("groups names unknown parameters: " + ", ".join(unknown))
    ungrouped = sorted(set(params) - set(groups))
    if ungrouped:
        raise ValueError("parameters without a group: " + ", ".join(ungrouped))
    covered = set()
    result = []
    for spec in optimizers:
        kind, gname = spec["kind"], spec["group"]
        names = [n for n in params if groups[n] == gname]
        covered.update(names)
        if not names:
            continue
        lr = float(spec["lr"]) * float(lr_multiplier)
        base_wd = float(spec.get("wd", 0.01 if kind == "adamw" else 0.0))
        by_wd: Dict[float, List[torch.Tensor]] = {}
        for n in names:
            by_wd.setdefault(float(param_wd.get(n, base_wd)), []).append(params[n])
        pgroups = [{"params": ps, "wd": wd} for wd, ps in by_wd.items()]
        if kind == "muon":
            # "parallel" (Parallel Muon) only distributes the work: same math here.
            result.append(Muon(pgroups, lr=lr, momentum=float(spec.get("momentum", 0.95)),
                               momentum_warmup_start=(None if spec.get("momentum_warmup_start") is None
                                                      else float(spec["momentum_warmup_start"])),
                               momentum_warmup_steps=int(spec.get("momentum_warmup_steps", 0)),
                               nesterov=bool(spec.get("nesterov", True)),
                               ns_steps=int(spec.get("ns_steps", 5)),
                               row_normalize=bool(spec.get("row_normalize", False)),
                               ns_dtype=ns_dtype, ns_impl=ns_impl))
        elif kind in ("adam", "adamw") and torch_adam is not None:
            cls = torch.optim.AdamW if kind == "adamw" else torch.optim.Adam
            result.append(cls([{"params": g["params"], "weight_decay": g["wd"]} for g in pgroups],
                              lr=lr, betas=tuple(spec.get("betas", (0.9, 0.95))),
                              eps=float(spec.get("eps", 1e-8)), **torch_adam))
        elif kind in ("adam", "adamw"):
            result.append(Adam(pgroups, lr=lr, betas=tuple(spec.get("betas", (0.9, 0.95))),
                               eps=float(spec.get("eps", 1e-8)), decoupled=(kind == "adamw")))
        else:
            raise ValueError(f"unknown optimizer kind {kind!r}")
    left = sorted(set(params) - covered)
    if left:
        raise ValueError("parameters whose group has no optimizer: " + ", ".join(left))
    return result


def step_all(optimizers, train_step: int = 0) -> None:
    for opt in optimizers:
        if isinstance(opt, Muon):
            opt.step(train_step)
        else:
            opt.step()


# ----------------------------------------------------------------------------
# Schedules (spec 3.5)
# ----------------------------------------------------------------------------

def wallclock_lr_multiplier(elapsed_s: float, step: int, warmdown_iters: int = 1200,
                            max_wallclock_s: float = 600.0) -> float:
    """The baseline's warmdown: W = warmdown_iters * (elapsed/step), R = max(cap -
    elapsed, 0); mult = R/W if R <= W else 1."""
    step_ms = elapsed_s / max(step, 1)
    warm = warmdown_iters * step_ms
    remaining = max(max_wallclock_s - elapsed_s, 0.0)
    return remaining / max(warm, 1e-9) if remaining <= warm else 1.0


def iteration_lr_multiplier(step: int, iterations: int, warmdown_iters: int) -> float:
    """Warmdown by iterations: linear to 0 over the last `warmdown_iters` steps."""
    start = max(iterations - warmdown_iters, 0)
    if start <= step < iterations:
        return max((iterations - step) / max(warmdown_iters, 1), 0.0)
    return 1.0
