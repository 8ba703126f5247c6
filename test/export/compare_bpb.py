"""Compares val_bpb before export (golfc train's summary) and after the
round trip (golfc eval --artifact's output): fails if the artifact lost more
than TOLERANCE bits per byte.

usage: compare_bpb.py SUMMARY EVAL_OUTPUT TOLERANCE"""
import re
import sys


def val_bpb(path):
    match = re.search(r"^val_bpb\s+([0-9.]+)", open(path).read(), re.M)
    if not match:
        sys.exit(f"{path}: no val_bpb line")
    return float(match.group(1))


before, after, tolerance = val_bpb(sys.argv[1]), val_bpb(sys.argv[2]), float(sys.argv[3])
print(f"val_bpb {before:.4f} -> {after:.4f} (loss {after - before:+.4f}, tolerance {tolerance})")
if after - before > tolerance:
    sys.exit("the round trip lost too much")
