#!/usr/bin/env python3
# docs-links.py SOURCE_DIR - the references between README.md and docs/*.md
# resolve: Markdown links to a file and a heading (GitHub's anchors), the
# plain ones the pages use (`docs/cli.md`, `cli.md, "Targets"`: a heading,
# or a bold phrase, that starts with the quoted words), and the Mermaid
# diagrams use no keyword as a node id and no unquoted parenthesis in a
# label, which GitHub's renderer rejects.
import glob
import os
import re
import sys

src = sys.argv[1]
docs = os.path.join(src, "docs")
pages = [os.path.join(src, "README.md")] + sorted(glob.glob(os.path.join(docs, "*.md")))
problems = []


def plain(text):
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)
    return re.sub(r"[`*]", "", text).strip()


def anchor(heading):
    return re.sub(r"[^\w\- ]", "", plain(heading).lower()).replace(" ", "-")


def outside_fences(text):
    out, fenced = [], False
    for line in text.splitlines():
        if line.startswith("```"):
            fenced = not fenced
            out.append("")
        else:
            out.append("" if fenced else line)
    return "\n".join(out)


headings, anchors, bolds = {}, {}, {}
for page in pages:
    text = outside_fences(open(page, encoding="utf-8").read())
    hs = [m.group(1) for m in re.finditer(r"^#+\s+(.*)$", text, re.M)]
    headings[page] = [plain(h).lower() for h in hs]
    seen, anchors[page] = {}, set()
    for h in hs:
        a = anchor(h)
        anchors[page].add(a if a not in seen else "%s-%d" % (a, seen[a]))
        seen[a] = seen.get(a, 0) + 1
    bolds[page] = [plain(b).lower() for b in re.findall(r"\*\*([^*]+)\*\*", text)]


def where(page, text, pos):
    return "%s:%d" % (os.path.relpath(page, src), text.count("\n", 0, pos) + 1)


for page in pages:
    text = outside_fences(open(page, encoding="utf-8").read())
    for m in re.finditer(r"\]\(([^)\s]+)\)", text):
        target = m.group(1)
        if re.match(r"[a-z]+:", target):
            continue
        path, _, frag = target.partition("#")
        dest = os.path.normpath(os.path.join(os.path.dirname(page), path)) if path else page
        if not os.path.exists(dest):
            problems.append("%s: no file %s" % (where(page, text, m.start()), target))
        elif frag and dest in anchors and frag not in anchors[dest]:
            problems.append("%s: no heading #%s in %s" % (where(page, text, m.start()), frag, path))
    for m in re.finditer(r"(?<![\w/.])((?:docs/)?([a-z][a-z_\-]*\.md))`?(?:,\s+\"([^\"]+)\")?", text):
        name, base, quoted = m.group(1), m.group(2), m.group(3)
        if base == "README.md" or (not name.startswith("docs/") and base not in
                                   [os.path.basename(p) for p in pages]):
            if name.startswith("docs/"):
                problems.append("%s: no file %s" % (where(page, text, m.start()), name))
            continue
        dest = os.path.join(docs, base)
        if quoted:
            want = " ".join(plain(quoted).lower().split())
            if not any(h.startswith(want) for h in headings[dest] + bolds[dest]):
                problems.append('%s: no heading "%s" in %s' % (where(page, text, m.start()), quoted,
                                                              name))

reserved = {"graph", "flowchart", "subgraph", "end", "click", "style", "class", "classdef",
            "linkstyle", "direction", "call", "href"}
for page in pages:
    for block in re.findall(r"```mermaid\n(.*?)```", open(page, encoding="utf-8").read(), re.S):
        for line in block.splitlines()[1:]:
            body = re.sub(r'"[^"]*"', '""', line.strip())
            words = re.findall(r"(?:^|-->|---|\s)\s*([A-Za-z_][\w-]*)\s*(?=[\[\({]|-->|$)", body)
            if body.startswith("subgraph "):
                words = [body.split()[1].split("[")[0]]
            for w in words:
                if w.lower() in reserved and body != "end":
                    problems.append("%s: Mermaid keyword '%s' used as a node id: %s" %
                                    (os.path.relpath(page, src), w, line.strip()))
            for label in re.findall(r"[\[\({]+([^\]\)}]*)[\]\)}]+", re.sub(r'"[^"]*"', '""', line)):
                if re.search(r"[()]", label):
                    problems.append("%s: unquoted parenthesis in a Mermaid label: %s" %
                                    (os.path.relpath(page, src), line.strip()))

for p in problems:
    print(p)
if not problems:
    print("ok: %d pages, their links and references resolve" % len(pages))
sys.exit(1 if problems else 0)
