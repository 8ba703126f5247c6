#!/usr/bin/env python3
"""Extracts the ```golf code blocks of a markdown file as numbered .golf files.

usage: extract_examples.py DOC.md OUTDIR

Every fenced block whose info string is exactly `golf` is written to
OUTDIR/NN-LINE.golf (NN counts from 01, LINE is the line of the opening fence
in DOC.md, so a failing file points back at its place in the document).
Blocks tagged `text` (or anything else) are fragments and are skipped.
OUTDIR is emptied of earlier .golf files first. Exits 1 if the document has
no golf block or a fence is left open, 2 on a bad command line.
"""
import os
import re
import sys

FENCE = re.compile(r"^(\s*)(`{3,}|~{3,})\s*([^`\s]*)[^`]*$")


def extract(text):
    """Yields (line, code) for every ```golf block."""
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        m = FENCE.match(lines[i])
        if not m:
            i += 1
            continue
        indent, fence, info = m.group(1), m.group(2), m.group(3)
        start = i + 1
        body = []
        i += 1
        while i < len(lines):
            close = lines[i].strip()
            if close.startswith(fence[0] * len(fence)) and set(close) <= {fence[0]}:
                break
            line = lines[i]
            body.append(line[len(indent):] if line.startswith(indent) else line.lstrip())
            i += 1
        else:
            raise ValueError(f"line {start}: code block is never closed")
        i += 1
        if info == "golf":
            yield start, "\n".join(body) + "\n"


def main(argv):
    if len(argv) != 3:
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    doc, outdir = argv[1], argv[2]
    with open(doc, encoding="utf-8") as f:
        text = f.read()
    try:
        blocks = list(extract(text))
    except ValueError as e:
        print(f"{doc}:{e}", file=sys.stderr)
        return 1
    if not blocks:
        print(f"{doc}: no ```golf code blocks found", file=sys.stderr)
        return 1
    os.makedirs(outdir, exist_ok=True)
    for name in os.listdir(outdir):
        if name.endswith(".golf"):
            os.remove(os.path.join(outdir, name))
    for n, (line, code) in enumerate(blocks, 1):
        with open(os.path.join(outdir, f"{n:02d}-line{line}.golf"), "w", encoding="utf-8") as f:
            f.write(code)
    print(f"extracted {len(blocks)} golf examples from {doc}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
