"""Completes a `golfc train --dump-step` directory for compare.py: derives the
baseline-family hyperparameters (vocab, dim, layers, heads, kv_heads, mlp_mult,
rope_base, softcap) from the dumped plan.json and adds them to config.json."""
import json
import sys


def main(dump):
    with open(f"{dump}/plan.json") as f:
        plan = json.load(f)["plan"]
    shapes = {p["name"]: p["type"]["shape"] for p in plan["params"]}
    vocab, dim = shapes["tok_emb"]
    layers = sum(1 for n in shapes if n.startswith("blocks.") and n.endswith(".wq"))
    heads = shapes["blocks.0.q_gain"][0]
    kv_heads = shapes["blocks.0.wk"][0] // (dim // heads)
    ops = [op for fn in plan["functions"] if fn["name"] == "loss" for op in fn["ops"]]
    rope = next(op["attrs"]["base"] for op in ops if op["kind"] == "rope")
    cap = next(op["attrs"]["cap"] for op in ops if op["kind"] == "softcap")
    with open(f"{dump}/config.json") as f:
        config = json.load(f)
    config.update(vocab=vocab, dim=dim, layers=layers, heads=heads, kv_heads=kv_heads,
                  mlp_mult=shapes["blocks.0.w_fc"][0] // dim, rope_base=rope, softcap=cap)
    with open(f"{dump}/config.json", "w") as f:
        json.dump(config, f, indent=1)
    print(f"{dump}/config.json: vocab {vocab} dim {dim} layers {layers} heads {heads}/{kv_heads}")


if __name__ == "__main__":
    main(sys.argv[1])
