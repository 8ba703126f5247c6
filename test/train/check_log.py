"""Reads a golfc train log.jsonl and checks or prints what the tests need."""
import json
import sys


def events(path, kind):
    with open(path) as f:
        return [e for e in map(json.loads, f) if e["event"] == kind]


def main():
    command, path = sys.argv[1], sys.argv[2]
    if command == "learns":
        # The loss must fall well below the unigram entropy of the data, and
        # val_bpb must be measured.
        start = events(path, "start")[0]
        end = events(path, "summary")[-1]
        margin = float(sys.argv[3])
        print(f"unigram entropy {start['unigram_entropy']:.4f}, last loss {end['last_loss']:.4f}, "
              f"val_bpb {end.get('val_bpb')}")
        ok = end["last_loss"] < start["unigram_entropy"] - margin and "val_bpb" in end
        print("learns: ok" if ok else "learns: FAILED")
        sys.exit(0 if ok else 1)
    if command == "losses":
        # Step losses as exact decimal text (bitwise comparison across runs).
        for e in events(path, "step"):
            print(e["step"], repr(e["loss"]))
        for e in events(path, "eval"):
            print("eval", repr(e["val_loss"]), repr(e["val_bpb"]))
        return
    if command == "same-eval":
        # The last evaluation of two runs agrees to a relative `tol` (ranks
        # add their float64 sums in another order than one process does).
        a, b = events(path, "eval")[-1], events(sys.argv[3], "eval")[-1]
        tol = float(sys.argv[4])
        for key in ("val_loss", "val_bpb", "targets", "bytes"):
            if abs(a[key] - b[key]) > tol * abs(a[key]):
                sys.exit(f"same-eval: {key} {a[key]!r} vs {b[key]!r}")
        print("same-eval: ok")
        return
    sys.exit(f"unknown command {command}")


if __name__ == "__main__":
    main()
