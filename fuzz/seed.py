#!/usr/bin/env python3
"""Seeds the fuzzers' corpora: every corpus and conformance query (from ../../shared) for
`parse` and `plan`, and the repository's JSON test data for `load_json`."""

import json
import pathlib

here = pathlib.Path(__file__).resolve().parent
shared = here.parent.parent / "shared"
queries = []
for name in ["corpus/sentinel-hunting.jsonl", "corpus/sentinel-analytics.jsonl",
             "conformance/kusto-docs.jsonl"]:
    path = shared / name
    if not path.exists():
        print(f"skipped {name}: ../shared is absent")
        continue
    for line in path.read_text().splitlines():
        query = json.loads(line).get("query")
        if query:
            queries.append(query)
queries.append((here.parent / "queries/identify-acting-user-for-reported-phish.kql").read_text())
for target in ["parse", "plan"]:
    folder = here / "corpus" / target
    folder.mkdir(parents=True, exist_ok=True)
    for i, q in enumerate(queries):
        (folder / f"seed-{i:05}").write_text(q)
folder = here / "corpus" / "load_json"
folder.mkdir(parents=True, exist_ok=True)
for i, path in enumerate(sorted((here.parent / "testdata").rglob("*.json*"))):
    data = path.read_bytes()
    # Whole small files, and the first lines of large ones.
    (folder / f"seed-{i:03}").write_bytes(data if len(data) < 64_000 else b"\n".join(data.split(b"\n")[:50]))
print(f"{len(queries)} queries seeded for parse and plan")
