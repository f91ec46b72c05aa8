"""Figures and the printed table of ``bench_query.py``: pure functions over the workers' JSON."""

from __future__ import annotations

COLD_KEYS = ("retrieve", "evidence", "first_token", "total")
TARGETS = {"retrieve_p50_ms": 50, "first_token_p50_s": 1.0, "answer_p50_s": 3.0, "cold_start_s": 6.0, "speedup": 1.5}


def percentile(values, q: float) -> float | None:
    """The q-th percentile (0-100), linear between ranks like numpy's default; None when empty.

    >>> percentile([1, 2, 3, 4], 50), percentile([10, 20], 95), percentile([], 50)
    (2.5, 19.5, None)
    """
    xs = sorted(v for v in values if v is not None)
    if not xs:
        return None
    pos = (len(xs) - 1) * q / 100
    lo, hi = int(pos), min(int(pos) + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (pos - lo)


def p50_p95(values, scale: float = 1.0, digits: int = 2) -> list:
    return [None if p is None else round(p * scale, digits) for p in (percentile(values, 50), percentile(values, 95))]


def system_summary(w: dict) -> dict:
    rows = w["rows"]
    answerable = [r for r in rows if r["kind"] != "unanswerable"]
    wrote = [r for r in rows if r.get("first_token_s") is not None]
    out = {"questions": len(rows), "generated": len(wrote), "retrieve_ms": p50_p95(w["retrieve_ms"], digits=1),
           "first_token_s": p50_p95([r["first_token_s"] for r in wrote]), "answer_s": p50_p95([r["total_s"] for r in rows]),
           "answer_generated_s": p50_p95([r["total_s"] for r in wrote]), "correct": sum(r["correct"] for r in answerable),
           "answerable": len(answerable), "errors": sum(bool(r.get("error")) for r in rows),
           **{k: w[k] for k in ("cold_s", "e2e_s", "peak_rss_mb")}}
    out["correctness"] = round(out["correct"] / len(answerable), 3) if answerable else None
    if "refused" in rows[0]:
        out["retrieve_in_ask_ms"] = p50_p95([r["retrieve_s"] for r in rows], 1000, 1)
        out["evidence_ms"] = p50_p95([r["evidence_s"] for r in rows], 1000, 1)
        out["after_generation_ms"] = p50_p95([r["total_s"] - r["retrieve_s"] - r["evidence_s"] - r["generate_s"]
                                              for r in wrote], 1000, 1)
        out["refused"] = [sum(r["refused"] for r in answerable), sum(r["refused"] for r in rows) -
                          sum(r["refused"] for r in answerable), len(rows) - len(answerable)]
    counted = [r for r in rows if "prompt_tokens" in r]  # means over the answers the model wrote
    for k in ("prompt_tokens", "prompt_ms", "gen_tokens", "gen_ms") if counted else ():
        out[f"mean_{k}"] = round(sum(r[k] for r in counted) / len(counted))
    return out


def ratio(a, b):
    return round(a / b, 2) if a and b else None


def summarize(home: str, dev: str, workers: dict, cold: dict | None, built: dict | None) -> dict:
    systems = {k: w if "error" in w else system_summary(w) for k, w in workers.items()}
    out = {"home": home, "questions": dev, "systems": systems, "cold_start": cold,
           "starter_index_built": built, "targets": TARGETS, "checks": {}, "ratios": {}}
    local, st, checks = systems.get("local", {}), systems.get("starter", {}), out["checks"]
    ours = next((s for k, s in systems.items() if k != "starter" and "retrieve_ms" in s), {})
    if ours:
        checks["retrieve_p50_ms"] = ours["retrieve_ms"][0] <= TARGETS["retrieve_p50_ms"]
    if "answer_s" in local:
        checks["first_token_p50_s"] = (local["first_token_s"][0] or 1e9) <= TARGETS["first_token_p50_s"]
        checks["answer_p50_s"] = local["answer_s"][0] <= TARGETS["answer_p50_s"]
    if cold and "median_s" in cold:
        checks["cold_start_s"] = cold["median_s"] <= TARGETS["cold_start_s"]
    if "answer_s" in local and "answer_s" in st:
        out["ratios"] = {"answer_p50": ratio(st["answer_s"][0], local["answer_s"][0]),
                         "first_token_p50": ratio(st["first_token_s"][0], local["first_token_s"][0]),
                         "end_to_end": ratio(st["e2e_s"], local["e2e_s"])}
        for key in ("answer_p50", "end_to_end"):
            checks[f"speedup_{key}"] = (out["ratios"][key] or 0) >= TARGETS["speedup"]
        checks["correctness_not_worse"] = local["correctness"] >= st["correctness"]
    return out


ROWS = [  # label, how a system's cell is made, target text, check key
    ("questions (model wrote an answer)", lambda x: f"{x['questions']} ({x['generated']})", "", ""),
    ("retrieval p50 / p95 ms (warm)", "retrieve_ms", "p50 <= 50", "retrieve_p50_ms"),
    ("retrieval inside ask p50 / p95 ms", "retrieve_in_ask_ms", "", ""),
    ("first token p50 / p95 s", "first_token_s", "local p50 <= 1", "first_token_p50_s"),
    ("full answer p50 / p95 s", "answer_s", "local p50 <= 3", "answer_p50_s"),
    ("  answers the model wrote p50 / p95 s", "answer_generated_s", "", ""),
    ("  key sentences (evidence step) p50 / p95 ms", "evidence_ms", "", ""),
    ("  after generation (align, cite) p50 / p95 ms", "after_generation_ms", "", ""),
    ("  prompt tokens evaluated, mean", "mean_prompt_tokens", "", ""),
    ("  prompt eval ms, mean", "mean_prompt_ms", "", ""),
    ("  tokens generated, mean", "mean_gen_tokens", "", ""),
    ("  generation ms, mean", "mean_gen_ms", "", ""),
    ("correct (answerable items)", lambda x: f"{x['correct']}/{x['answerable']} = {x['correctness']}",
     "local >= starter", "correctness_not_worse"),
    ("refused: answerable / unanswerable", lambda x: "{} / {} of {}".format(*x["refused"]) if "refused" in x else "-",
     "", ""),
    ("answers that raised", "errors", "", ""),
    ("process start -> first answer s", "cold_s", "", ""),
    ("end-to-end: start -> last answer s", "e2e_s", "", ""),
    ("peak RSS MB", "peak_rss_mb", "", "")]


def table(r: dict) -> str:
    names, s, ok = list(r["systems"]), r["systems"], r["checks"]

    def cell(x: dict, how) -> str:
        value = how(x) if callable(how) else x.get(how, "-")
        return " / ".join(map(str, value)) if isinstance(value, list) else str(value)

    def goal(text: str, key: str) -> str:
        return f"{text}  {'met' if ok[key] else 'MISSED'}" if key in ok else text

    blank = [""] * (len(names) - 1)
    rows = [["", *names, "target"]] + [[label, *("error" if "error" in s[n] else cell(s[n], how) for n in names),
                                        goal(text, key)] for label, how, text, key in ROWS]
    cold, rt = r.get("cold_start") or {}, r["ratios"]
    if cold:
        runs = sorted(cold.get("runs", []), key=lambda x: x["s"])
        rows.append(["`rag ask` cold start s (median)", cold.get("median_s", "error"), *blank,
                     goal(f"<= 6 (runs: {', '.join(str(x['s']) for x in runs)})", "cold_start_s")])
        if runs:  # where the median run's time went, as its own Answer.timings saw it (from its first import)
            t = runs[len(runs) // 2]["timings"]
            rows.append(["  median run's Answer.timings s", "", *blank, ", ".join(f"{k} {t.get(k, 0):.2f}" for k in COLD_KEYS)
                         + " (retrieve includes loading the index and the embedder)"])
    if rt:
        rows += [["starter / ours(local): answer p50", rt["answer_p50"], *blank, goal(">= 1.5", "speedup_answer_p50")],
                 ["starter / ours(local): first token p50", rt["first_token_p50"], *blank, ""],
                 ["starter / ours(local): end-to-end", rt["end_to_end"], *blank, goal(">= 1.5", "speedup_end_to_end")]]
    widths = [max(len(str(row[i])) for row in rows) for i in range(len(rows[0]) - 1)]
    text = "\n".join("  ".join(f"{c!s:<{w}}" for c, w in zip(row, widths)) + "  " + str(row[-1]) for row in rows)
    errors = [f"\n{n} FAILED: {x['error']}" for n, x in s.items() if "error" in x] + \
             ([f"\ncold start FAILED: {cold['error']}"] if "error" in cold else [])
    return text.rstrip() + "".join(errors)
