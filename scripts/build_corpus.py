#!/usr/bin/env python3
"""Builds a small English training corpus from Debian packages.

    python3 scripts/build_corpus.py --out DIR [--sources ci|all|LIST] [--max-mb N] [--seed N]

Writes DIR/corpus.jsonl ({"text": ...} per line, documents shuffled with a
fixed seed) and DIR/corpus.stats.json (sources, package versions, counts).
Missing packages are installed with apt-get (as root, or through sudo);
`apt-get update` runs only if an install fails. Run by `golfc data corpus`.

The text is the packages' (free) content: never commit it. Sources, licences
and the extraction rules are in docs/data.md and
../shared/reference/data-sources.md:
  * HTML: strip tags but keep inline <code> text; drop <pre>, <script>, <style>;
  * keep paragraphs with >= 8 words, >= 75% letters/spaces, >= 60%
    dictionary-like words, ending like a sentence;
  * dictd files: decompress with gzip, group entries into ~20 KB documents;
  * paragraphs inside a document are joined with one newline (as FineWeb's).

Exit status: 0 success, 1 failure (packages, no text), 2 bad command line.
Standard library only.
"""

import argparse
import base64
import glob
import gzip
import html.parser
import json
import os
import random
import re
import shutil
import subprocess
import sys
import time

# --------------------------------------------------------------------------
# Text rules
# --------------------------------------------------------------------------

WORD_RE = re.compile(r"\S+")
# A "dictionary-like" word: letters with an optional internal apostrophe or
# hyphen, lower case or capitalized (not camelCase, no digits or underscores),
# after stripping surrounding punctuation.
DICT_WORD_RE = re.compile(r"^(?:[A-Za-z][a-z]*(?:['\u2019-][a-z]+)*|[A-Z]+|[A-Za-z])$")
STRIP_PUNCT = "\"'()[]{}<>.,;:!?\u201c\u201d\u2018\u2019*`"
SENTENCE_END_RE = re.compile(r"[.!?][\"'\u201d\u2019)\]]*$")


def normalize_space(text):
    return re.sub(r"\s+", " ", text).strip()


def letter_space_ratio(text):
    if not text:
        return 0.0
    good = sum(1 for c in text if c.isalpha() or c == " ")
    return good / len(text)


def dictionary_word_ratio(words):
    if not words:
        return 0.0
    good = 0
    for w in words:
        w = w.strip(STRIP_PUNCT)
        if w and DICT_WORD_RE.match(w):
            good += 1
    return good / len(words)


def keep_paragraph(p):
    """The data-sources.md paragraph rule (p already whitespace-normalized)."""
    words = WORD_RE.findall(p)
    return (len(words) >= 8 and letter_space_ratio(p) >= 0.75
            and dictionary_word_ratio(words) >= 0.60 and SENTENCE_END_RE.search(p) is not None)


def split_paragraphs(text):
    """Blank-line separated paragraphs, each unwrapped into one line."""
    out = []
    for block in re.split(r"\n\s*\n", text):
        p = normalize_space(block)
        if p:
            out.append(p)
    return out


def group(pieces, target_bytes):
    """Joins pieces with newlines into documents of about target_bytes."""
    docs, current, size = [], [], 0
    for p in pieces:
        current.append(p)
        size += len(p.encode("utf-8")) + 1
        if size >= target_bytes:
            docs.append("\n".join(current))
            current, size = [], 0
    if current:
        docs.append("\n".join(current))
    return docs


# --------------------------------------------------------------------------
# HTML
# --------------------------------------------------------------------------

BLOCK_TAGS = {
    "p", "div", "li", "ul", "ol", "dl", "dt", "dd", "h1", "h2", "h3", "h4", "h5", "h6",
    "table", "tr", "td", "th", "blockquote", "section", "article", "header", "footer",
    "nav", "br", "hr", "title", "body", "figure", "figcaption", "caption", "center", "form",
}
DROP_TAGS = {"pre", "script", "style", "head", "noscript", "svg", "math", "textarea", "select"}


class _TextExtractor(html.parser.HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.paragraphs = []
        self.current = []
        self.drop_depth = 0

    def flush(self):
        p = normalize_space("".join(self.current))
        if p:
            self.paragraphs.append(p)
        self.current = []

    def handle_starttag(self, tag, attrs):
        if tag in DROP_TAGS:
            self.drop_depth += 1
            self.flush()
        elif tag in BLOCK_TAGS:
            self.flush()

    def handle_startendtag(self, tag, attrs):
        if tag in BLOCK_TAGS:
            self.flush()

    def handle_endtag(self, tag):
        if tag in DROP_TAGS:
            self.drop_depth = max(0, self.drop_depth - 1)
            self.flush()
        elif tag in BLOCK_TAGS:
            self.flush()

    def handle_data(self, data):
        if self.drop_depth == 0:
            self.current.append(data)


def html_paragraphs(markup):
    """The text paragraphs of an HTML page (inline <code> kept, <pre> dropped)."""
    parser = _TextExtractor()
    try:
        parser.feed(markup)
        parser.close()
    except Exception:  # malformed markup: keep what was parsed
        pass
    parser.flush()
    return parser.paragraphs


# --------------------------------------------------------------------------
# dictd
# --------------------------------------------------------------------------

DICTD_B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"


def dictd_number(text):
    n = 0
    for c in text:
        n = n * 64 + DICTD_B64.index(c)
    return n


def dictd_entries(index_path, dict_path):
    """(headword, entry text) in index order, skipping the 00-database-* entries."""
    with gzip.open(dict_path, "rb") as f:
        data = f.read()
    seen = set()
    with open(index_path, encoding="utf-8", errors="replace") as f:
        for line in f:
            parts = line.rstrip("\n").split("\t")
            if len(parts) < 3 or parts[0].startswith("00-database") or parts[0].startswith("00database"):
                continue
            start, length = dictd_number(parts[1]), dictd_number(parts[2])
            if (start, length) in seen:  # several headwords can share one entry
                continue
            seen.add((start, length))
            yield parts[0], data[start:start + length].decode("utf-8", errors="replace")


FOLDOC_DOMAIN_RE = re.compile(r"^(\d+\.\s*)?(?:<[^>]*>\s*)+")  # "1. <application> "
URL_PAREN_RE = re.compile(r"\((?:https?|ftp)://[^)]*\)")


def clean_dict_entry(headword, entry):
    """The entry's paragraphs that pass the rule, after its headword line.

    Jargon/FOLDOC put the headword (and a pronunciation) in a block of its own,
    which the rule drops; the Devil's Dictionary starts the definition on the
    headword's line ("ABASEMENT, n.  A decent ..."), which the rule keeps."""
    lines = entry.split("\n")
    kept = []
    for p in split_paragraphs(entry):
        p = FOLDOC_DOMAIN_RE.sub(r"\1", p)
        p = URL_PAREN_RE.sub("", p)
        p = normalize_space(p.replace("{", "").replace("}", ""))
        if keep_paragraph(p):
            kept.append(p)
    if not kept:
        return None
    head = normalize_space(lines[0]) if lines and lines[0].strip() else headword
    if not kept[0].startswith(head):
        kept.insert(0, head)
    return "\n".join(kept)


def dictd_documents(name):
    index = "/usr/share/dictd/%s.index" % name
    data = "/usr/share/dictd/%s.dict.dz" % name
    if not os.path.exists(data):
        data = "/usr/share/dictd/%s.dict" % name
    entries = []
    for headword, entry in dictd_entries(index, data):
        text = clean_dict_entry(headword, entry)
        if text:
            entries.append(text)
    return group(entries, 20_000)


# --------------------------------------------------------------------------
# fortunes
# --------------------------------------------------------------------------

FORTUNE_SKIP = {"art", "ascii-art"}  # and mario.* (fortunes-mario, in Portuguese)


def clean_fortune(text):
    """A fortune as unwrapped lines; None for art, code and tiny ones."""
    paragraphs = split_paragraphs(text.replace("\t", " "))
    body = "\n".join(paragraphs)
    flat = body.replace("\n", " ")
    words = WORD_RE.findall(flat)
    if len(words) < 4 or letter_space_ratio(flat) < 0.75 or dictionary_word_ratio(words) < 0.6:
        return None
    return body


def fortune_documents():
    pieces = []
    for path in sorted(glob.glob("/usr/share/games/fortunes/*")):
        name = os.path.basename(path)
        if (name.endswith(".dat") or name.endswith(".u8") or name in FORTUNE_SKIP
                or name.startswith("mario.")
                or os.path.islink(path) or not os.path.isfile(path)):
            continue
        with open(path, encoding="utf-8", errors="replace") as f:
            content = f.read()
        for fortune in re.split(r"(?m)^%\s*$", content):
            text = clean_fortune(fortune)
            if text:
                pieces.append(text)
    return group(pieces, 4_000)


# --------------------------------------------------------------------------
# HTML books and RST documentation
# --------------------------------------------------------------------------

BOOK_GLOBS = [  # English pages only (the packages also ship translations)
    "/usr/share/doc/debian-handbook/html/en-US/*.html",
    "/usr/share/debian-reference/*.en.html",
    "/usr/share/developers-reference/*.html",
    "/usr/share/doc/maint-guide/html/*.en.html",
    "/usr/share/doc/debian-policy/policy.html/*.html",
    "/usr/share/doc/harden-doc/html/en-US/*.html",
    "/usr/share/doc/debian-history/docs/*.en.html",
    "/usr/share/doc/gnu-standards/*.html",
    "/usr/share/doc/abs-guide/html/*.html",
]


def html_documents(patterns):
    """One document (split at ~20 KB) per page; a paragraph seen before (single-page
    editions of a book, boilerplate) is kept only once."""
    docs = []
    seen = set()
    seen_paragraphs = set()
    for pattern in patterns:
        for path in sorted(glob.glob(pattern, recursive=True)):
            real = os.path.realpath(path)
            if real in seen or not os.path.isfile(real):
                continue
            seen.add(real)
            try:
                if path.endswith(".gz"):
                    with gzip.open(path, "rt", encoding="utf-8", errors="replace") as f:
                        markup = f.read()
                else:
                    with open(path, encoding="utf-8", errors="replace") as f:
                        markup = f.read()
            except OSError:
                continue
            kept = []
            for p in html_paragraphs(markup):
                if p not in seen_paragraphs and keep_paragraph(p):
                    seen_paragraphs.add(p)
                    kept.append(p)
            docs.extend(group(kept, 20_000))
    return docs


RST_SKIP_RE = re.compile(r"^\s*(?:\.\.|:[A-Za-z-]+:|[=\-~^\"'`#*+]{3,}\s*$)")


def rst_paragraphs(text):
    """Prose paragraphs of reStructuredText: no directives, tables, literal blocks."""
    out = []
    literal = False
    for block in re.split(r"\n\s*\n", text):
        lines = block.split("\n")
        indented = all(l.startswith((" ", "\t")) for l in lines if l.strip())
        if literal and indented:
            continue
        literal = False
        if any(RST_SKIP_RE.match(l) for l in lines) or indented and "|" in block:
            continue
        p = normalize_space(block)
        if p.endswith("::"):
            literal = True
            p = p[:-1]
        p = re.sub(r":[a-z]+:`([^`<]*?)\s*(?:<[^>]*>)?`", r"\1", p)  # :ref:`text <target>`
        p = normalize_space(p.replace("``", "").replace("`_", "").replace("`", ""))
        if keep_paragraph(p):
            out.append(p)
    return out


def linux_doc_documents():
    docs = []
    roots = sorted(glob.glob("/usr/share/doc/linux-doc-*/Documentation"))
    for root in roots[-1:]:
        for dirpath, dirnames, filenames in os.walk(root):
            dirnames[:] = sorted(d for d in dirnames if d != "translations")
            for name in sorted(filenames):
                if not (name.endswith(".rst") or name.endswith(".rst.gz")):
                    continue
                path = os.path.join(dirpath, name)
                try:
                    if name.endswith(".gz"):
                        with gzip.open(path, "rt", encoding="utf-8", errors="replace") as f:
                            text = f.read()
                    else:
                        with open(path, encoding="utf-8", errors="replace") as f:
                            text = f.read()
                except OSError:
                    continue
                docs.extend(group(rst_paragraphs(text), 20_000))
    return docs


# --------------------------------------------------------------------------
# Sources
# --------------------------------------------------------------------------

SOURCES = {
    # name: (Debian packages, extractor, licence)
    # Not fortunes-mario: data-sources.md lists it, but it is Brazilian Portuguese.
    "fortunes": (["fortunes", "fortunes-min"], fortune_documents, "BSD"),
    "jargon": (["dict-jargon"], lambda: dictd_documents("jargon"), "public domain"),
    "foldoc": (["dict-foldoc"], lambda: dictd_documents("foldoc"), "GFDL"),
    "devil": (["dict-devil"], lambda: dictd_documents("devil"), "GPL-2+"),
    "books": (["debian-handbook", "debian-reference-en", "developers-reference", "maint-guide",
               "debian-policy", "harden-doc", "debian-history", "gnu-standards", "abs-guide"],
              lambda: html_documents(BOOK_GLOBS), "GPL-2+ / CC-BY-SA-3.0 / GFDL / free"),
    "linux-doc": (["linux-doc"], linux_doc_documents, "GPL-2"),
}
PRESETS = {
    "ci": ["fortunes", "jargon", "foldoc"],
    "all": ["fortunes", "jargon", "foldoc", "devil", "books", "linux-doc"],
}


def log(msg):
    print("build_corpus: " + msg, file=sys.stderr, flush=True)


def installed(package):
    r = subprocess.run(["dpkg-query", "-W", "-f=${Status}", package],
                       stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    return r.returncode == 0 and "install ok installed" in r.stdout


def package_version(package):
    r = subprocess.run(["dpkg-query", "-W", "-f=${Version}", package],
                       stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    return r.stdout.strip() if r.returncode == 0 else None


def ensure_packages(packages):
    """Installs the missing packages; apt-get update only after a failed install."""
    if not shutil.which("dpkg-query") or not shutil.which("apt-get"):
        raise RuntimeError("this is not a Debian-like system (no dpkg-query/apt-get); "
                           "install the packages %s some other way" % " ".join(packages))
    missing = [p for p in packages if not installed(p)]
    if not missing:
        return
    prefix = []
    if os.geteuid() != 0:
        if not shutil.which("sudo"):
            raise RuntimeError("packages %s are missing and this is not root (and there is "
                               "no sudo)" % " ".join(missing))
        prefix = ["sudo"]
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    install = prefix + ["apt-get", "install", "-y", "-qq", "--no-install-recommends"] + missing
    log("installing " + " ".join(missing))
    if subprocess.run(install, env=env, stdout=subprocess.DEVNULL).returncode == 0:
        return
    log("install failed; running apt-get update and retrying")
    subprocess.run(prefix + ["apt-get", "update", "-qq"], env=env, stdout=subprocess.DEVNULL)
    if subprocess.run(install, env=env, stdout=subprocess.DEVNULL).returncode != 0:
        raise RuntimeError("apt-get install %s failed" % " ".join(missing))


def resolve_packages(packages):
    """linux-doc is versioned in Debian (linux-doc-6.1): pick the candidate."""
    out = []
    for p in packages:
        if p == "linux-doc":
            r = subprocess.run(["apt-cache", "depends", "linux-doc"], stdout=subprocess.PIPE,
                               stderr=subprocess.DEVNULL, text=True)
            m = re.search(r"Depends: (linux-doc-[0-9.]+)", r.stdout)
            out.append(m.group(1) if m else p)
        else:
            out.append(p)
    return out


def parse_sources(text):
    names = []
    for part in text.split(","):
        part = part.strip()
        if not part:
            continue
        if part in PRESETS:
            names.extend(PRESETS[part])
        elif part in SOURCES:
            names.append(part)
        else:
            raise ValueError("unknown source '%s' (known: %s; presets: %s)"
                             % (part, ", ".join(SOURCES), ", ".join(PRESETS)))
    seen = []
    for n in names:
        if n not in seen:
            seen.append(n)
    return seen


def write_atomic(path, text):
    tmp = "%s.tmp.%d" % (path, os.getpid())
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def build(args):
    sources = parse_sources(args.sources)
    os.makedirs(args.out, exist_ok=True)
    stats = {"seed": args.seed, "max_mb": args.max_mb, "sources": {}}
    docs = []
    for name in sources:
        packages, extract, licence = SOURCES[name]
        packages = resolve_packages(packages)
        t0 = time.time()
        ensure_packages(packages)
        t1 = time.time()
        found = extract()
        t2 = time.time()
        size = sum(len(d.encode("utf-8")) for d in found)
        log("%-9s %6d documents, %6.2f MB (install %.1f s, extract %.1f s)"
            % (name, len(found), size / 1e6, t1 - t0, t2 - t1))
        if not found:
            raise RuntimeError("source '%s' gave no text (packages %s)" % (name, " ".join(packages)))
        stats["sources"][name] = {
            "documents": len(found), "bytes": size, "licence": licence,
            "packages": {p: package_version(p) for p in packages},
        }
        docs.extend(found)
    random.Random(args.seed).shuffle(docs)
    if args.max_mb:
        limit = int(args.max_mb * 1e6)
        kept, size = [], 0
        for d in docs:
            if size >= limit:
                break
            kept.append(d)
            size += len(d.encode("utf-8"))
        docs = kept
    lines = "".join(json.dumps({"text": d}, ensure_ascii=False) + "\n" for d in docs)
    path = os.path.join(args.out, "corpus.jsonl")
    write_atomic(path, lines)
    total = sum(len(d.encode("utf-8")) for d in docs)
    stats["documents"] = len(docs)
    stats["bytes"] = total
    write_atomic(os.path.join(args.out, "corpus.stats.json"), json.dumps(stats, indent=2) + "\n")
    print("wrote %s: %d documents, %.2f MB of text from %s"
          % (path, len(docs), total / 1e6, ", ".join(sources)))


# --------------------------------------------------------------------------
# Self test (no packages needed)
# --------------------------------------------------------------------------

def self_test():
    assert keep_paragraph("The quick brown fox jumps over the lazy dog today.")
    assert not keep_paragraph("Too short to keep.")
    assert not keep_paragraph("The quick brown fox jumps over the lazy dog today")  # no end
    assert not keep_paragraph("x = foo_bar(1, 2); y = baz_qux[3] + 4 * 5; return x + y;")
    assert not keep_paragraph("getFooBar setFooBar fooBarBaz quxQuux of the thing now.")
    page = ("<html><head><title>T</title><style>p{}</style></head><body>"
            "<h1>Title</h1><p>Use the <code>ls</code> command to list the files in a "
            "directory.</p><pre>ls -la /tmp and more words here.</pre>"
            "<script>var x = 'this is a script with many words.';</script>"
            "<p>Second &amp; last paragraph is here, with enough words.</p></body></html>")
    paras = [p for p in html_paragraphs(page) if keep_paragraph(p)]
    assert paras == ["Use the ls command to list the files in a directory.",
                     "Second & last paragraph is here, with enough words."], paras
    assert dictd_number("B") == 1 and dictd_number("BA") == 64 and dictd_number("Ph") == 993
    entry = ("/dev/null\n /dev-nuhl/, n.\n\n    [from the Unix null device, used as a data sink]"
             " A notional black hole in\n    any information space being discussed, used, or "
             "referred to. See {bit bucket}.\n\n   (2014-11-27)\n")
    cleaned = clean_dict_entry("/dev/null", entry)
    assert cleaned == ("/dev/null\n[from the Unix null device, used as a data sink] A notional "
                       "black hole in any information space being discussed, used, or referred "
                       "to. See bit bucket."), cleaned
    assert clean_dict_entry("x", "x\n\n   (2014-11-27)\n") is None
    devil = ("ABSENTEE, n.  A person with an income who has had the forethought to\n"
             "remove himself from the sphere of exaction.\n")
    assert clean_dict_entry("absentee", devil) == normalize_space(devil), clean_dict_entry("absentee", devil)
    assert clean_dict_entry("sort", "sort\n\n   1. <application, algorithm> To arrange a "
                            "collection of items in\n   some specified order.\n") == (
        "sort\n1. To arrange a collection of items in some specified order.")
    assert clean_fortune("A banker is a fellow who lends you his umbrella when the sun is\n"
                         "shining and wants it back.\n\t\t-- Mark Twain\n") == (
        "A banker is a fellow who lends you his umbrella when the sun is shining and wants it "
        "back. -- Mark Twain")
    assert clean_fortune("  /\\_/\\\n ( o.o )\n  > ^ <\n") is None
    assert group(["a", "b", "c"], 3) == ["a\nb", "c"]
    assert parse_sources("ci") == ["fortunes", "jargon", "foldoc"]
    assert parse_sources("jargon,ci") == ["jargon", "fortunes", "foldoc"]
    rst = ("Title\n=====\n\nThis paragraph explains how the kernel schedules the tasks.\n\n"
           ".. note::\n\n   A directive body.\n\nAn example follows::\n\n    code block here "
           "with many words in it.\n\nThe :ref:`scheduler <sched>` runs tasks in a fair order.\n")
    assert rst_paragraphs(rst) == ["This paragraph explains how the kernel schedules the tasks.",
                                   "The scheduler runs tasks in a fair order."], rst_paragraphs(rst)
    try:
        parse_sources("nope")
        raise AssertionError("unknown source accepted")
    except ValueError:
        pass
    print("build_corpus: self-test passed")


def main():
    parser = argparse.ArgumentParser(
        description="Build an English training corpus (corpus.jsonl) from Debian packages.",
        epilog="sources: %s; presets: ci = %s, all = %s"
               % (", ".join(SOURCES), ",".join(PRESETS["ci"]), ",".join(PRESETS["all"])))
    parser.add_argument("--out", help="output directory")
    parser.add_argument("--sources", default="ci", help="comma-separated sources or presets (default ci)")
    parser.add_argument("--max-mb", type=float, default=0,
                        help="keep shuffled documents up to N MB (1e6 bytes) of text")
    parser.add_argument("--seed", type=int, default=1234, help="shuffle seed (default 1234)")
    parser.add_argument("--self-test", action="store_true", help="test the text rules and exit")
    args = parser.parse_args()
    if args.self_test:
        self_test()
        return 0
    if not args.out:
        parser.error("--out DIR is required")
    if args.max_mb < 0:
        parser.error("--max-mb must be positive")
    try:
        parse_sources(args.sources)
    except ValueError as e:
        parser.error(str(e))
    try:
        build(args)
    except (RuntimeError, OSError) as e:
        print("build_corpus: error: %s" % e, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
