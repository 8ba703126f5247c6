#!/usr/bin/env python3
"""Side-by-side table of a golfc run and a torch_train.py run on the same tokens.

    report.py GOLFC_RUN_DIR TORCH_JSONL TORCH_SUMMARY_LINE_FILE [--skip N]
              [--noise TORCH_JSONL_2]

Reads golfc's RUN_DIR/log.jsonl (per-step "step" events with step_ms, the
"start" and "summary" events) and torch_train.py's per-step JSON lines and
its {"summary": ...} line; prints step time (median over steps after the
first N), tokens/s, MFU, memory, start-up cost, and both loss curves at a
few steps with their difference. With --noise, a second torch run of the
same init and tokens: how far apart two runs of one implementation land
(run-to-run noise) beside how far golfc lands from torch.
"""
import json
import statistics
import sys


def golfc_run(run_dir, skip):
    steps, start, summary = {}, {}, {}
    with open(f"{run_dir}/log.jsonl") as f:
        for line in f:
            e = json.loads(line)
            if e.get("event") == "step":
                steps[e["step"]] = e
            elif e.get("event") == "start":
                start = e
            elif e.get("event") == "summary":
                summary = e
    times = [steps[s]["step_ms"] for s in sorted(steps) if s > skip]
    tokens = start["accumulation"] * start["micro_batch"] * start["seq_len"]
    median = statistics.median(times) if times else float("nan")
    return {
        "losses": {s: steps[s]["loss"] for s in steps},
        "median_ms": median,
        "tokens_per_s": tokens / (median / 1e3),
        "mfu": start.get("flops_per_token", 0) * tokens / (median / 1e3) / 989e12,
        "memory": summary.get("device_gib"),
        "first_ms": steps[1]["step_ms"] if 1 in steps else float("nan"),
        "executor": start.get("executor", ""),
    }


def torch_losses(jsonl):
    losses = {}
    with open(jsonl) as f:
        for line in f:
            e = json.loads(line)
            losses[e["step"]] = e["loss"]
    return losses


def gap(a, b, steps):
    """Largest |a - b| over `steps` and the difference of their means over the last 20."""
    tail = steps[-20:]
    worst = max(steps, key=lambda s: abs(a[s] - b[s]))
    return abs(a[worst] - b[worst]), worst, sum(a[s] - b[s] for s in tail) / len(tail)


def torch_run(jsonl, summary_file):
    losses = torch_losses(jsonl)
    with open(summary_file) as f:
        s = [json.loads(l)["summary"] for l in f if l.startswith('{"summary":')][-1]
    return {
        "losses": losses,
        "median_ms": s["median_step_ms"],
        "tokens_per_s": s["tokens_per_s"],
        "mfu": s["mfu"],
        "memory": s.get("peak_mem_gib"),
        "first_ms": 1e3 * s.get("first_step_s", float("nan")),
    }


def main():
    args = sys.argv[1:]
    skip, noise = 10, None
    if "--skip" in args:
        i = args.index("--skip")
        skip = int(args[i + 1])
        del args[i:i + 2]
    if "--noise" in args:
        i = args.index("--noise")
        noise = torch_losses(args[i + 1])
        del args[i:i + 2]
    g = golfc_run(args[0], skip)
    t = torch_run(args[1], args[2])
    print(f"golfc executor: {g['executor']}")
    print(f"{'':28s} {'golfc':>14s} {'torch.compile':>14s}")
    for key, label, fmt in [("median_ms", "step time (ms, median)", "{:.1f}"),
                            ("tokens_per_s", "tokens/s", "{:,.0f}"),
                            ("mfu", "MFU (H100 bf16 peak)", "{:.1%}"),
                            ("memory", "GPU memory (GiB)", "{:.2f}"),
                            ("first_ms", "first step (ms)", "{:.0f}")]:
        cells = [fmt.format(x[key]) if x[key] is not None else "-" for x in (g, t)]
        print(f"{label:28s} {cells[0]:>14s} {cells[1]:>14s}")
    common = sorted(set(g["losses"]) & set(t["losses"]))
    if not common:
        print("no common steps in the loss curves")
        return
    last = common[-1]
    marks = sorted({1, 2, 5, 10, 25, 50, 100, 150, 200, 250, 300, last} & set(common))
    print(f"{'step':>6s} {'golfc loss':>12s} {'torch loss':>12s} {'diff':>9s}")
    for s in marks:
        print(f"{s:6d} {g['losses'][s]:12.4f} {t['losses'][s]:12.4f} {g['losses'][s] - t['losses'][s]:+9.4f}")
    tail = [s for s in common if s > last - 20]
    mean = lambda d: sum(d[s] for s in tail) / len(tail)
    print(f"mean loss over the last {len(tail)} common steps: golfc {mean(g['losses']):.4f}, "
          f"torch {mean(t['losses']):.4f}, diff {mean(g['losses']) - mean(t['losses']):+.4f}")
    if noise is None:
        return
    both = sorted(set(common) & set(noise))
    if not both:
        print("the second torch run shares no step with the others")
        return
    for label, a, b in [("golfc vs torch", g["losses"], t["losses"]),
                        ("torch vs torch (run to run)", noise, t["losses"])]:
        worst, at, tail_diff = gap(a, b, both)
        print(f"{label:28s} largest |diff| {worst:.4f} (step {at}), last-20 mean diff {tail_diff:+.4f}")


if __name__ == "__main__":
    main()
