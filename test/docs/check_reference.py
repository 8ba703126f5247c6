#!/usr/bin/env python3
"""Checks that the reference pages name everything the compiler defines.

usage: check_reference.py SRC_ROOT            check docs/language.md and docs/ir.md
       check_reference.py SRC_ROOT --settings print the settings tables as markdown

The compiler's own tables are the source of truth:
  frontend/Settings.cpp    every section key, directive, record and initializer,
                           with its type and default;
  frontend/Elaborator.cpp  the built-in functions;
  ir/GolfOps.td            the golf ops.
docs/language.md must have a table row "| `key` | TYPE | DEFAULT |" for every
field of the schema (rendered as --settings prints it), mention every
directive, record and initializer as `name(...)` or `name`, and every
built-in; docs/ir.md must list every op as `golf.NAME`. Prints what is
missing and exits 1, so a schema change without a doc change fails the tests.
"""
import os
import re
import sys

FIELD = re.compile(
    r'\{\s*"([^"]*)"\s*,\s*"([^"]*)"\s*,\s*"([^"]*)"\s*,\s*"((?:[^"\\]|\\.)*)"\s*\}')
SHAPE = re.compile(r'\{\s*"(\w+)"\s*,\s*"(\w*)"\s*,\s*\{')
SECTION = re.compile(r'\{\s*"(train|export|eval)"\s*,\s*\{\{')


def render_type(t):
    if t.startswith("choice:"):
        return "one of " + ", ".join(f"`{c}`" for c in t[7:].split("|"))
    if t.startswith("record:"):
        return "record: " + ", ".join(f"`{c}`" for c in t[7:].split("|"))
    return {"names": "list of names", "strings": "list of strings",
            "pair": "pair `(a, b)`"}.get(t, t)


def render_default(d):
    return "required" if d == "" else "optional" if d == "-" else f"`{d}`"


def row(name, typ, default, help_text):
    help_text = help_text.replace("|", "\\|")
    return f"| `{name}` | {render_type(typ)} | {render_default(default)} | {help_text} |"


def parse_settings(src):
    """Returns [(owner, kind, into, help, [fields])] in source order.

    kind is 'section', 'directive', 'record' or 'initializer'."""
    text = open(os.path.join(src, "frontend", "Settings.cpp"), encoding="utf-8").read()
    records_at = text.index("const std::vector<Shape> &records()")
    inits_at = text.index("const std::vector<Shape> &initializers()")
    marks = []  # (position, owner, kind, into)
    for m in SECTION.finditer(text):
        marks.append((m.start(), m.group(1), "section", ""))
    for m in SHAPE.finditer(text):
        kind = ("initializer" if m.start() > inits_at else
                "record" if m.start() > records_at else "directive")
        marks.append((m.start(), m.group(1), kind, m.group(2)))
    marks.sort()
    fields = [(m.start(), m.groups()) for m in FIELD.finditer(text)]
    out = []
    for i, (pos, owner, kind, into) in enumerate(marks):
        end = marks[i + 1][0] if i + 1 < len(marks) else len(text)
        owned = [g for p, g in fields if pos < p < end]
        out.append((owner, kind, into, owned))
    return out


def builtins(src):
    text = open(os.path.join(src, "frontend", "Elaborator.cpp"), encoding="utf-8").read()
    m = re.search(r'for \(const char \*name :\s*\{(.*?)\}\)', text, re.S)
    return re.findall(r'"(\w+)"', m.group(1))


def ops(src):
    text = open(os.path.join(src, "ir", "GolfOps.td"), encoding="utf-8").read()
    return re.findall(r'^def Golf_\w+Op\s*:\s*Golf_\w+<"(\w+)"', text, re.M)


def print_settings(src):
    for owner, kind, into, fields in parse_settings(src):
        title = {"section": f"### `{owner}:`", "directive": f"#### `{owner}(...)`",
                 "record": f"#### `{owner}`", "initializer": f"#### `{owner}`"}[kind]
        print(title + (f" (collected into `{into}`)" if into else ""))
        print()
        if fields:
            print("| Name | Type | Default | Meaning |\n| --- | --- | --- | --- |")
            for f in fields:
                print(row(*f))
            print()


def check(src):
    lang = open(os.path.join(src, "docs", "language.md"), encoding="utf-8").read()
    ir = open(os.path.join(src, "docs", "ir.md"), encoding="utf-8").read()
    missing = []
    rows = {line.strip() for line in lang.splitlines() if line.startswith("|")}
    prefixes = {"|".join(r.split("|")[:4]) for r in rows}
    for owner, kind, into, fields in parse_settings(src):
        if kind != "section" and f"`{owner}" not in lang:
            missing.append(f"language.md: {kind} `{owner}`")
        for f in fields:
            want = "|".join(row(*f).split("|")[:4])
            if want not in prefixes:
                missing.append(f"language.md: row of `{f[0]}` in `{owner}`: {want} |")
    for b in builtins(src):
        if f"`{b}(" not in lang:
            missing.append(f"language.md: built-in `{b}(...)`")
    for op in ops(src):
        if f"`golf.{op}`" not in ir:
            missing.append(f"ir.md: op `golf.{op}`")
    for m in missing:
        print("missing in docs/" + m)
    if not missing:
        print("docs name every setting, built-in and op")
    return 1 if missing else 0


def main(argv):
    if len(argv) == 3 and argv[2] == "--settings":
        print_settings(argv[1])
        return 0
    if len(argv) != 2:
        print("usage: check_reference.py SRC_ROOT [--settings]", file=sys.stderr)
        return 2
    return check(argv[1])


if __name__ == "__main__":
    sys.exit(main(sys.argv))
