#!/usr/bin/env python3
"""The PyTorch half of the issue-5 GPU benchmark: trains our own PyTorch
implementation of examples/baseline.golf (test/reference/baseline_torch.py),
torch.compile'd, from the same initial weights and on the same tokens as
`golfc train`, and prints the figures the benchmark compares.

    python3 bench/baseline_h100/torch_train.py --plan RUN/plan.json --init INIT_DIR \\
        --train-data 'GLOB' --steps N [--warmup-steps W] [--device cuda|cpu] \\
        [--compile|--no-compile] [--json OUT.jsonl] [--log-every K]

What it takes from golfc:
  --plan        RUN_DIR/plan.json as `golfc train` writes it (or `golfc compile
                --emit=plan`): the model's sizes from the parameter shapes, the
                micro-batch from @loss_grad's first argument [micro, seq], and the
                train section (tokens_per_step, optimizers, autocast, schedules,
                iterations, wallclock, grad_clip, warmup_steps, log_every).
  --init        the <param>.npy files of `golfc train --save-init=DIR`.
  --train-data  the shards golfc reads, read the way golfc's loader reads them
                (runtime/data/TokenStream.cpp, pgolf-spec §2.4).

The training loop is golfc's (tools/golfc/TrainCommand.cpp) on one process:
accumulation = tokens_per_step / (micro * seq) micro-batches per step, each the
next micro*seq + 1 tokens of the stream (inputs = span[:-1], targets =
span[1:]); the step's loss is the mean of the micro-batch losses and its
gradient the mean of theirs; global-norm clipping when grad_clip > 0; Muon for
the muon group(s), Adam/AdamW for the others, every lr times the LR multiplier
of runtime/train/Schedule.cpp (ported below), Muon's momentum warm-up at the
0-based step index. The plan's `warmup_steps` priming steps (the records' compile
warm-up) run first and are then undone (weights, optimizer state and loader
reset), outside the clock; --prime-steps overrides their number.

Precision (--precision, default from the plan's `autocast`):
  bf16  the record trainer's layout (pgolf-spec §3.4): tok_emb stored bf16, every
        other parameter fp32 and cast to bf16 at use, so the residual stream,
        matmuls and attention run in bf16 under torch.autocast(bfloat16); logits
        upcast to fp32 for the loss; Newton-Schulz in bf16. NB golfc's
        `autocast = bf16` casts only the operands of products and attention and
        keeps elementwise work in fp32, so the two losses agree only roughly.
  fp32  everything fp32 (golfc --autocast=off), Newton-Schulz in fp32.
On the GPU: flash attention only (SDPA with enable_gqa, as the records) in bf16,
fused torch.optim.Adam, TF32 matmuls allowed in bf16 mode, off in fp32 mode.

Output: a progress line every --log-every steps (and at steps 1 and last), one
JSON object per step in --json ({"step", "loss", "step_ms", "lr_mult",
"elapsed_s"}), and a summary block whose last line is one JSON object
{"summary": {...}}.
"""

from __future__ import annotations

import argparse
import glob
import json
import math
import os
import statistics
import sys
import time

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(REPO, "test", "reference"))
import baseline_torch as bt  # noqa: E402

H100_BF16_DENSE_FLOPS = 989e12  # H100 SXM dense BF16 tensor-core peak, FLOP/s

SHARD_MAGIC, SHARD_VERSION, SHARD_HEADER_INTS = 20240520, 1, 256

# The op kinds of the baseline's @loss (examples/baseline.golf); a plan with any
# other op is another model, which BaselineGPT would not reproduce.
BASELINE_LOSS_OPS = {"add", "attention", "cast", "cross_entropy", "embedding", "matmul",
                     "merge_heads", "mul", "param_ref", "relu", "reshape", "rms_norm", "rope",
                     "slice", "softcap", "split_heads", "square"}


class Fail(Exception):
    pass


# ----------------------------------------------------------------------------
# The plan
# ----------------------------------------------------------------------------

class PlanInfo:
    """What torch_train needs from a golfc plan."""

    def __init__(self, path: str):
        try:
            with open(path) as f:
                doc = json.load(f)
        except (OSError, ValueError) as e:
            raise Fail(f"cannot read plan {path}: {e}")
        plan = doc.get("plan", doc)
        self.model = plan.get("model", "?")
        self.params = [(p["name"], list(p["type"]["shape"]), p["type"]["dtype"], p["group"])
                       for p in plan["params"]]
        shapes = {n: s for n, s, _, _ in self.params}
        self.dtypes = {n: d for n, _, d, _ in self.params}
        self.groups = {n: g for n, _, _, g in self.params}
        for need in ("tok_emb", "blocks.0.q_gain", "blocks.0.wk", "blocks.0.w_fc"):
            if need not in shapes:
                raise Fail(f"{path}: no parameter {need}: not a baseline-family plan")
        self.vocab, self.dim = shapes["tok_emb"]
        self.layers = sum(1 for n in shapes if n.startswith("blocks.") and n.endswith(".wq"))
        self.heads = shapes["blocks.0.q_gain"][0]
        self.head_dim = self.dim // self.heads
        self.kv_heads = shapes["blocks.0.wk"][0] // self.head_dim
        self.mlp_mult = shapes["blocks.0.w_fc"][0] // self.dim

        functions = {f["name"]: f for f in plan["functions"]}
        if "loss_grad" not in functions or "loss" not in functions:
            raise Fail(f"{path}: no @loss/@loss_grad (a plan from 'golfc compile --emit=plan' "
                       "or RUN_DIR/plan.json is needed)")
        if "loss_qat_grad" in functions:
            raise Fail(f"{path}: has late QAT (@loss_qat_grad), which torch_train does not do")
        values = plan["values"]
        id_shape = values[functions["loss_grad"]["args"][0]]["shape"]
        self.micro, self.seq_len = int(id_shape[0]), int(id_shape[1])

        ops = functions["loss"]["ops"]
        kinds = {}
        for op in ops:
            kinds[op["kind"]] = kinds.get(op["kind"], 0) + 1
        extra = sorted(set(kinds) - BASELINE_LOSS_OPS)
        if extra:
            raise Fail(f"{path}: @loss uses ops the baseline does not ({', '.join(extra)}): "
                       "not examples/baseline.golf")
        want = {"attention": self.layers, "relu": self.layers, "square": self.layers,
                "rope": 2 * self.layers, "softcap": 1, "cross_entropy": 1}
        for k, n in want.items():
            if kinds.get(k, 0) != n:
                raise Fail(f"{path}: @loss has {kinds.get(k, 0)} '{k}' ops, the baseline with "
                           f"{self.layers} layers has {n}")
        ropes = [op["attrs"] for op in ops if op["kind"] == "rope"]
        bases = {float(a["base"]) for a in ropes}
        if len(bases) != 1 or any(int(a.get("dims", self.head_dim)) != self.head_dim
                                  for a in ropes):
            raise Fail(f"{path}: RoPE is not one base over the full head ({ropes[:2]})")
        self.rope_base = bases.pop()
        self.softcap = float(next(op["attrs"]["cap"] for op in ops if op["kind"] == "softcap"))
        for op in ops:
            if op["kind"] == "attention":
                a = op["attrs"]
                if not a.get("causal", False) or abs(float(a.get("scale", 0)) * math.sqrt(
                        self.head_dim) - 1) > 1e-6:
                    raise Fail(f"{path}: attention {a} is not causal with scale 1/sqrt(head_dim)")

        self.train = plan.get("train", {})
        self.tokens_per_step = int(self.train.get("tokens_per_step", 0))
        self.accumulation = max(1, self.tokens_per_step // (self.micro * self.seq_len))
        self.autocast = self.train.get("autocast", "off")
        self.optimizers = self.train.get("optimizers", [])
        self.grad_clip = float(self.train.get("grad_clip", 0.0) or 0.0)
        self.prime_steps = int(self.train.get("warmup_steps", 0) or 0)
        self.log_every = int(self.train.get("log_every", 50) or 50)
        self.unsupported = [k for k in ("averaging", "qat", "crown_q")
                            if self.train.get(k) not in (None, [], {})]

    def check_model(self, model: bt.BaselineGPT) -> None:
        """The plan's parameters are the model's: same names, order and shapes."""
        theirs = [(n, s) for n, s, _, _ in self.params]
        ours = [(n, list(p.shape)) for n, p in model.named_parameters()]
        if theirs != ours:
            diff = next((f"plan {a} vs model {b}" for a, b in zip(theirs, ours) if a != b),
                        f"{len(theirs)} parameters in the plan, {len(ours)} in the model")
            raise Fail("the plan's parameters are not BaselineGPT's: " + diff)

    def describe(self) -> str:
        return (f"{self.model}: vocab {self.vocab} dim {self.dim} layers {self.layers} "
                f"heads {self.heads}/{self.kv_heads} mlp {self.mlp_mult}x rope {self.rope_base:g} "
                f"softcap {self.softcap:g}")


def flops_per_token(info: PlanInfo, model: bt.BaselineGPT) -> float:
    """Model FLOPs per trained token, the benchmark's MFU numerator (golfc uses
    the same formula):

        6 * N_matmul + 6 * layers * seq_len * dim

    N_matmul = the weight-matrix parameters used in matmuls: every block's wq,
    wk, wv, wo, w_fc, w_proj, plus the tied embedding counted once, as the LM
    head (its gather is not a matmul); 6 = 2 FLOPs per multiply-add x (forward
    + 2 for backward). The second term is causal attention, forward and
    backward: QK^T and PV are 4*T*dim FLOPs per token and layer over the full
    window, halved by the causal mask, times 3 for forward + backward.
    MFU = flops_per_token * tokens_per_step / (step_seconds * 989e12)."""
    n_matmul = info.vocab * info.dim
    for blk in model.blocks:
        n_matmul += sum(getattr(blk, w).numel()
                        for w in ("wq", "wk", "wv", "wo", "w_fc", "w_proj"))
    return 6.0 * n_matmul + 6.0 * info.layers * info.seq_len * info.dim


# ----------------------------------------------------------------------------
# Data: golfc's TokenStream + DistributedTokenLoader on one rank
# ----------------------------------------------------------------------------

def shard_tokens(path: str) -> int:
    """Checks a shard's header and size (runtime/data/Shard.cpp); its token count."""
    try:
        size = os.path.getsize(path)
        header = np.fromfile(path, dtype="<i4", count=SHARD_HEADER_INTS)
    except OSError as e:
        raise Fail(f"{path}: {e}")
    if header.size < SHARD_HEADER_INTS:
        raise Fail(f"{path}: short header: {size} bytes")
    if header[0] != SHARD_MAGIC or header[1] != SHARD_VERSION:
        raise Fail(f"{path}: wrong magic/version {header[0]}/{header[1]} "
                   f"(expected {SHARD_MAGIC}/{SHARD_VERSION})")
    n = int(header[2])
    if n < 0 or size != 4 * SHARD_HEADER_INTS + 2 * n:
        raise Fail(f"{path}: the header says {n} tokens, so {4 * SHARD_HEADER_INTS + 2 * n} "
                   f"bytes expected, but the file has {size} bytes")
    return n


class TokenStream:
    """Shards matching `pattern`, sorted by name, read in order and wrapping
    around forever (empty shards skipped); ids checked against the vocabulary
    as each shard is mapped."""

    def __init__(self, pattern: str, vocab: int):
        self.files = sorted(glob.glob(pattern))
        if not self.files:
            raise Fail(f"no shards match {pattern}")
        self.sizes = [shard_tokens(f) for f in self.files]
        if sum(self.sizes) == 0:
            raise Fail(f"all {len(self.files)} shards are empty (first: {self.files[0]})")
        self.vocab = vocab
        self.consumed = 0
        self._load(0)

    def _load(self, index: int) -> None:
        n = self.sizes[index]
        self.tokens = (np.memmap(self.files[index], dtype="<u2", mode="r",
                                 offset=4 * SHARD_HEADER_INTS, shape=(n,))
                       if n else np.zeros(0, np.uint16))
        if n and self.vocab and int(self.tokens.max()) >= self.vocab:
            pos = int(np.argmax(self.tokens >= self.vocab))
            raise Fail(f"{self.files[index]}: token id {int(self.tokens[pos])} at position {pos} "
                       f"is >= the vocabulary size {self.vocab}")
        self.index, self.pos = index, 0

    def take(self, n: int) -> np.ndarray:
        out, remaining = [], n
        while remaining > 0:
            avail = len(self.tokens) - self.pos
            if avail <= 0:
                self._load((self.index + 1) % len(self.files))
                continue
            k = min(remaining, avail)
            out.append(np.asarray(self.tokens[self.pos:self.pos + k]))
            self.pos += k
            remaining -= k
            self.consumed += k
        return np.concatenate(out) if len(out) > 1 else out[0]


class Loader:
    """One rank of DistributedTokenLoader: each micro-batch is the next
    micro*seq + 1 tokens; inputs = span[:-1], targets = span[1:]."""

    def __init__(self, pattern: str, vocab: int, micro: int, seq: int, device: torch.device):
        self.stream = TokenStream(pattern, vocab)
        self.micro, self.seq, self.device = micro, seq, device

    def next(self):
        span = torch.from_numpy(self.stream.take(self.micro * self.seq + 1).astype(np.int64))
        if self.device.type == "cuda":
            span = span.pin_memory().to(self.device, non_blocking=True)
        x = span[:-1].view(self.micro, self.seq)
        y = span[1:].view(self.micro, self.seq)
        return x, y


# ----------------------------------------------------------------------------
# golfc's LR schedule (runtime/train/Schedule.cpp)
# ----------------------------------------------------------------------------

class Schedule:
    """`step` is the 0-based index of the step about to be taken, `elapsed` the
    training seconds before it. The multipliers of all directives multiply:
      warmup(steps)                 min((step + 1) / steps, 1)
      warmdown(steps, iterations)   (iterations - step) / steps in the last
                                    `steps` steps, 0 from `iterations` on
      warmdown(steps, wallclock)    s = elapsed / max(step, 1), W = steps * s,
                                    R = max(wallclock - elapsed, 0): R / W if
                                    R <= W else 1; the iterations rule when
                                    wallclock is 0
    A directive with steps = 0 does nothing. Stop when steps done >= iterations
    or (wallclock > 0 and elapsed >= wallclock)."""

    def __init__(self, train: dict, iterations=None, wallclock=None):
        self.iterations = int(train.get("iterations", 20000) if iterations is None else iterations)
        self.wallclock = float(train.get("wallclock", 600) if wallclock is None else wallclock)
        self.directives = []
        for d in train.get("schedules") or []:
            kind, steps = d["kind"], int(d["steps"])
            if kind == "warmup":
                self.directives.append(("warmup", steps))
            elif kind == "warmdown":
                by = d.get("by", "iterations")
                if by not in ("iterations", "wallclock"):
                    raise Fail(f"warmdown(by = {by!r}): must be iterations or wallclock")
                self.directives.append(("warmdown_" + by, steps))
            else:
                raise Fail(f"unknown schedule {kind!r}")

    def lr_multiplier(self, step: int, elapsed: float) -> float:
        mult = 1.0
        for kind, steps in self.directives:
            if steps == 0:
                continue
            if kind == "warmup":
                mult *= min((step + 1) / steps, 1.0)
            elif kind == "warmdown_wallclock" and self.wallclock > 0:
                step_time = elapsed / max(step, 1)
                window = steps * step_time
                remaining = max(self.wallclock - elapsed, 0.0)
                if remaining <= window:
                    mult *= remaining / max(window, 1e-12)
            else:
                start = max(self.iterations - steps, 0)
                if step >= self.iterations:
                    mult = 0.0
                elif step >= start:
                    mult *= (self.iterations - step) / steps
        return mult

    def should_stop(self, steps_done: int, elapsed: float) -> bool:
        return steps_done >= self.iterations or (self.wallclock > 0 and elapsed >= self.wallclock)


# ----------------------------------------------------------------------------
# Training
# ----------------------------------------------------------------------------

def parse_args(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--plan", required=True, help="RUN_DIR/plan.json written by golfc train")
    ap.add_argument("--init", required=True, help="directory of <param>.npy (golfc train --save-init)")
    ap.add_argument("--train-data", required=True, help="training shards (a glob; quote it)")
    ap.add_argument("--steps", type=int, required=True, help="steps to train (after priming)")
    ap.add_argument("--warmup-steps", type=int, default=10,
                    help="timed steps left out of the median step time (default 10)")
    ap.add_argument("--device", default=None, help="cuda (default when available) or cpu")
    ap.add_argument("--compile", action=argparse.BooleanOptionalAction, default=True,
                    help="torch.compile the model and Newton-Schulz (default on)")
    ap.add_argument("--precision", choices=("auto", "bf16", "fp32"), default="auto",
                    help="auto: bf16 when the plan's autocast is bf16, else fp32")
    ap.add_argument("--prime-steps", type=int, default=None,
                    help="priming steps run and undone before the clock (default: the plan's "
                         "train warmup_steps)")
    ap.add_argument("--iterations", type=int, default=None,
                    help="override the plan's iterations (schedule and stop rule)")
    ap.add_argument("--wallclock", type=float, default=None,
                    help="override the plan's wallclock seconds (schedule and stop rule; 0: none)")
    ap.add_argument("--adam", choices=("auto", "fused", "reference"), default="auto",
                    help="fused torch.optim.Adam (auto on cuda) or test/reference's hand-written "
                         "Adam (auto on cpu)")
    ap.add_argument("--sdpa", choices=("auto", "flash", "any"), default="auto",
                    help="flash: only the flash SDPA backend, as the records (auto in bf16 on "
                         "cuda); any: let SDPA choose")
    ap.add_argument("--json", default=None, help="write one JSON object per step to this file")
    ap.add_argument("--log-every", type=int, default=None,
                    help="steps between progress lines (default: the plan's log_every)")
    ap.add_argument("--threads", type=int, default=None, help="torch CPU threads")
    args = ap.parse_args(argv)
    if args.steps < 1:
        ap.error("--steps must be >= 1")
    if args.warmup_steps < 0 or (args.prime_steps is not None and args.prime_steps < 0):
        ap.error("--warmup-steps and --prime-steps must be >= 0")
    return args


def log(msg: str) -> None:
    print(msg, flush=True)


def main(argv=None) -> int:
    args = parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    info = PlanInfo(args.plan)
    device = torch.device(args.device or ("cuda" if torch.cuda.is_available() else "cpu"))
    if device.type == "cuda" and not torch.cuda.is_available():
        raise Fail("--device cuda but torch sees no GPU")
    on_cuda = device.type == "cuda"

    precision = args.precision
    if precision == "auto":
        precision = "bf16" if info.autocast == "bf16" else "fp32"
    bf16 = precision == "bf16"
    if bf16 and not on_cuda:
        log("note: bf16 autocast on the CPU (slow; the GPU's numbers differ)")
    if bf16 and info.dtypes.get("tok_emb") != "bf16":
        log(f"note: the plan stores tok_emb as {info.dtypes.get('tok_emb')}; bf16 mode stores it bf16")
    for k in info.unsupported:
        log(f"warning: the plan's train section has '{k}', which torch_train ignores")

    sdpa = args.sdpa if args.sdpa != "auto" else ("flash" if bf16 and on_cuda else "any")
    if on_cuda:
        if sdpa == "flash":
            torch.backends.cuda.enable_flash_sdp(True)
            torch.backends.cuda.enable_mem_efficient_sdp(False)
            torch.backends.cuda.enable_math_sdp(False)
            if hasattr(torch.backends.cuda, "enable_cudnn_sdp"):
                torch.backends.cuda.enable_cudnn_sdp(False)
        torch.backends.cuda.matmul.allow_tf32 = bf16
        torch.backends.cudnn.allow_tf32 = bf16

    model = bt.BaselineGPT(vocab=info.vocab, dim=info.dim, layers=info.layers, heads=info.heads,
                           kv_heads=info.kv_heads, mlp_mult=info.mlp_mult,
                           rope_base=info.rope_base, softcap=info.softcap,
                           dtype=torch.bfloat16 if bf16 else torch.float32, sdpa_gqa=True)
    info.check_model(model)
    try:
        model.load_params(args.init)
    except (OSError, ValueError) as e:
        raise Fail(f"--init {args.init}: {e}")
    model.to(device)
    n_params = sum(p.numel() for p in model.parameters())
    fpt = flops_per_token(info, model)
    tokens_per_step = info.accumulation * info.micro * info.seq_len

    cmodel = torch.compile(model, dynamic=False, fullgraph=True) if args.compile else model
    ns_dtype = torch.bfloat16 if bf16 else torch.float32
    ns_impl = torch.compile(bt.zeropower_via_newtonschulz5) if args.compile else None
    adam = args.adam if args.adam != "auto" else ("fused" if on_cuda else "reference")
    torch_adam = {"fused": True} if adam == "fused" else None

    def make_optimizers():
        opts = bt.build_optimizers(model, info.optimizers, info.groups, ns_dtype=ns_dtype,
                                   ns_impl=ns_impl, torch_adam=torch_adam)
        return opts, [(g, float(g["lr"])) for o in opts for g in o.param_groups]

    def autocast():
        return torch.autocast(device_type=device.type, dtype=torch.bfloat16, enabled=bf16)
    schedule = Schedule(info.train, args.iterations, args.wallclock)
    params = list(model.parameters())
    scale = 1.0 / info.accumulation

    def sync():
        if on_cuda:
            torch.cuda.synchronize(device)

    def train_step(loader, opts, base_lrs, step, lr_mult) -> torch.Tensor:
        """One optimizer step over `accumulation` micro-batches; the summed
        micro-batch losses (a 0-d tensor, not synchronized)."""
        for g, lr in base_lrs:
            g["lr"] = lr * lr_mult
        for p in params:
            p.grad = None
        total = None
        for _ in range(info.accumulation):
            x, y = loader.next()
            with autocast():
                loss = cmodel(x, y)
            (loss * scale).backward()
            total = loss.detach() if total is None else total + loss.detach()
        if info.grad_clip > 0:
            torch.nn.utils.clip_grad_norm_(params, info.grad_clip)
        bt.step_all(opts, step)
        return total

    prime = info.prime_steps if args.prime_steps is None else args.prime_steps
    log_every = args.log_every or info.log_every
    log(f"torch_train: {info.describe()}, {n_params:,} parameters; {info.accumulation} x "
        f"{info.micro} x {info.seq_len} = {tokens_per_step:,} tokens per step; device {device}"
        f"{' (' + torch.cuda.get_device_name(device) + ')' if on_cuda else ''}, torch "
        f"{torch.__version__}, {precision}, compile {'on' if args.compile else 'off'}, "
        f"adam {adam}, sdpa {sdpa}, {prime} priming steps")

    # Priming (the records' warm-up: compile everything), then undone.
    prime_ms = []
    if prime > 0:
        initial = {n: p.detach().clone() for n, p in model.named_parameters()}
        loader = Loader(args.train_data, info.vocab, info.micro, info.seq_len, device)
        opts, base_lrs = make_optimizers()
        for i in range(prime):
            sync()
            t0 = time.perf_counter()
            loss = train_step(loader, opts, base_lrs, i, schedule.lr_multiplier(i, 0.0)).item()
            sync()
            prime_ms.append((time.perf_counter() - t0) * 1e3)
            if i == 0 or i + 1 == prime:
                log(f"prime {i + 1}/{prime}  loss {loss / info.accumulation:.4f}  "
                    f"{prime_ms[-1]:.1f} ms")
        with torch.no_grad():
            for n, p in model.named_parameters():
                p.copy_(initial[n])
        del initial, opts, base_lrs, loader

    loader = Loader(args.train_data, info.vocab, info.micro, info.seq_len, device)
    opts, base_lrs = make_optimizers()
    out = open(args.json, "w") if args.json else None
    steps_ms, losses = [], []
    step, elapsed, lr_mult = 0, 0.0, 1.0
    window_tokens, window_s = 0, 0.0
    while not schedule.should_stop(step, elapsed) and step < args.steps:
        sync()
        t0 = time.perf_counter()
        lr_mult = schedule.lr_multiplier(step, elapsed)
        loss = train_step(loader, opts, base_lrs, step, lr_mult).item() / info.accumulation
        sync()
        seconds = time.perf_counter() - t0
        if not math.isfinite(loss):
            raise Fail(f"step {step}: the loss is not finite ({loss}); lower the learning rate")
        elapsed += seconds
        window_s += seconds
        window_tokens += tokens_per_step
        step += 1
        steps_ms.append(seconds * 1e3)
        losses.append(loss)
        if out:
            out.write(json.dumps({"step": step, "loss": loss, "step_ms": seconds * 1e3,
                                  "lr_mult": lr_mult, "elapsed_s": elapsed}) + "\n")
            out.flush()
        last = schedule.should_stop(step, elapsed) or step == args.steps
        if step % log_every == 0 or step == 1 or last:
            log(f"step {step}/{args.steps}  loss {loss:.4f}  lr x{lr_mult:.3f}  "
                f"{seconds * 1e3:.1f} ms  {window_tokens / max(window_s, 1e-9):,.0f} tok/s")
            window_tokens, window_s = 0, 0.0
    if out:
        out.close()

    # Summary.
    timed = steps_ms[args.warmup_steps:]
    note = ""
    if not timed:
        timed = steps_ms
        note = f" (only {len(steps_ms)} steps: all of them)"
    median_ms = statistics.median(timed)
    tok_s = tokens_per_step / (median_ms / 1e3)
    mfu = fpt * tok_s / H100_BF16_DENSE_FLOPS
    first_ms = prime_ms[0] if prime_ms else steps_ms[0]
    compile_s = (first_ms - median_ms) / 1e3
    peak = torch.cuda.max_memory_allocated(device) / 2**30 if on_cuda else None
    summary = {
        "steps": step, "median_step_ms": median_ms, "mean_step_ms": statistics.fmean(timed),
        "min_step_ms": min(timed), "max_step_ms": max(timed),
        "median_over": len(timed), "tokens_per_step": tokens_per_step, "tokens_per_s": tok_s,
        "flops_per_token": fpt, "mfu": mfu, "peak_mem_gib": peak,
        "first_step_s": first_ms / 1e3, "compile_s": compile_s, "prime_steps": prime,
        "prime_s": sum(prime_ms) / 1e3, "first_loss": losses[0], "final_loss": losses[-1],
        "elapsed_s": elapsed, "last_lr_mult": lr_mult, "model": info.model,
        "params": n_params, "micro_batch": info.micro, "seq_len": info.seq_len,
        "accumulation": info.accumulation, "precision": precision, "compile": args.compile,
        "adam": adam, "sdpa": sdpa, "device": torch.cuda.get_device_name(device) if on_cuda else "cpu",
        "torch": torch.__version__,
    }
    first_what = "first priming step" if prime_ms else "first step"
    log("== torch_train summary")
    log(f"device           {summary['device']} (torch {torch.__version__})")
    log(f"model            {info.describe()}, {n_params:,} parameters")
    log(f"setup            {precision}, compile {'on' if args.compile else 'off'}, adam {adam}, "
        f"sdpa {sdpa}; {info.accumulation} x {info.micro} x {info.seq_len} = "
        f"{tokens_per_step:,} tokens per step")
    log(f"steps            {step} ({len(timed)} in the median{note or f', first {args.warmup_steps} left out'})")
    log(f"step time        median {median_ms:.2f} ms (mean {summary['mean_step_ms']:.2f}, "
        f"min {min(timed):.2f}, max {max(timed):.2f})")
    log(f"tokens/s         {tok_s:,.0f}")
    log(f"MFU              {100 * mfu:.2f} % ({fpt / 1e6:.2f} MFLOP/token; "
        f"6*matmul params + 6*layers*seq*dim, / 989 TFLOP/s)")
    log(f"peak memory      " + (f"{peak:.2f} GiB (max_memory_allocated)" if peak is not None
                                else "n/a (cpu)"))
    log(f"compile          {first_what} {first_ms / 1e3:.2f} s, minus a median step: "
        f"{compile_s:.2f} s" + (f"; {prime} priming steps {sum(prime_ms) / 1e3:.2f} s"
                               if prime_ms else ""))
    log(f"loss             {losses[0]:.4f} -> {losses[-1]:.4f} (step 1 -> {step})")
    log(json.dumps({"summary": summary}))
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Fail as e:
        print(f"torch_train: {e}", file=sys.stderr)
        sys.exit(1)
