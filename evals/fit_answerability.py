"""Fit the answerability model (rag/answerability.py) on the fit halves, report on the rest.

    python evals/fit_answerability.py --home OUR_INDEX_HOME --fb-home FINANCEBENCH_INDEX_HOME [--write]

Each answerability set runs against its own corpus's index: evals/answerability/ours-*.jsonl
over our corpus, financebench-*.jsonl over the FinanceBench filings. Only questions that the
rule-based checks let through are fit on (the others are refused before the model is asked).
Two things are fit on the ``*-fit`` files and reported on the ``*-test`` halves and on both
development sets (../shared/evals/dev.jsonl, ../shared/financebench/dev.jsonl), which the fit
never sees:

- ``foreign_meaning_named`` and ``foreign_meaning_unnamed``: for a question whose names are
  none of what the documents are about, or that names nothing (``Assistant.gate``'s
  ``foreign``), the MiniLM closeness under which it is refused: the lowest threshold that
  refuses the most unanswerable less answerable such questions of the fit halves. ask() uses them.
- a logistic regression on ``rag.answerability.NAMES``, whose threshold is the highest that
  refuses none of the fit half's answerable questions. It is reported with ``--model`` and
  used by ask() only when written with ``--enable``.

``--write`` stores both in rag/answerability.json.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from rag import answerability
from rag.answer import Assistant
from rag.config import Settings
from rag.quality.items import load_items

HERE = Path(__file__).resolve().parent
SETS = HERE / "answerability"
SHARED = HERE.parent.parent / "shared"
MAX_FALSE_REFUSALS = 0.0  # of the fit half's answerable questions (0.05 measured worse on the dev sets)


def rows(path: Path, assistant: Assistant) -> list[dict]:
    out = []
    for item in load_items([path]):
        gate = assistant.gate(item.question, item.history, learned=False)
        out.append({"id": item.id, "set": path.stem, "answerable": item.answerable, "question": item.question,
                    "rule": gate.reason, "features": gate.features, "foreign": gate.foreign})
    return out


def fit(train: list[dict]) -> dict:
    from sklearn.linear_model import LogisticRegression

    seen = [r for r in train if not r["rule"]]
    x = np.array([[r["features"][n] for n in answerability.NAMES] for r in seen])
    y = np.array([r["answerable"] for r in seen], dtype=int)
    lr = LogisticRegression(C=1.0, max_iter=1000).fit(x, y)
    model = {"weights": dict(zip(answerability.NAMES, map(float, lr.coef_[0]))), "bias": float(lr.intercept_[0])}
    answerable = sorted(answerability.probability(r["features"], model) for r in seen if r["answerable"])
    n_all = sum(r["answerable"] for r in train)
    allowed = int(MAX_FALSE_REFUSALS * n_all) - sum(bool(r["rule"]) for r in train if r["answerable"])
    # The threshold refuses at most ``allowed`` answerable questions of the fit half.
    model["threshold"] = float(answerable[max(0, allowed)] - 1e-6) if answerable else 0.5
    return model


def fit_foreign(train: list[dict], kind: str) -> float:
    """The closeness threshold for one kind of question no document is about (see above): the
    lowest that refuses the most unanswerable less answerable such questions of the fit halves
    (just above the closest unanswerable one it refuses: the least it can take from the rest)."""
    points = sorted((r["features"]["meaning"], r["answerable"]) for r in train
                    if not r["rule"] and r["foreign"] == kind and "meaning" in r["features"])
    if not points:
        return 0.0
    cuts = [0.0] + [m + 1e-4 for m, _ in points]
    gain = lambda t: sum(1 if not answerable else -1 for m, answerable in points if m < t)  # noqa: E731
    return round(max(cuts, key=lambda t: (gain(t), -t)), 4)


def refuses(r: dict, model: dict, use_model: bool) -> bool:
    if r["rule"]:
        return True
    if r["foreign"] and r["features"].get("meaning", 1.0) < model.get(f"foreign_meaning_{r['foreign']}", 0.0):
        return True
    return use_model and bool(r["features"]) and answerability.probability(r["features"], model) < model["threshold"]


def report(name: str, rs: list[dict], model: dict, use_model: bool = False) -> dict:
    refused = [refuses(r, model, use_model) for r in rs]
    ans = [r for r, x in zip(rs, refused) if r["answerable"]]
    un = [r for r, x in zip(rs, refused) if not r["answerable"]]
    fr = sum(x for r, x in zip(rs, refused) if r["answerable"])
    rr = sum(x for r, x in zip(rs, refused) if not r["answerable"])
    rule_rr = sum(bool(r["rule"]) for r in rs if not r["answerable"])
    line = {"set": name, "answerable": len(ans), "unanswerable": len(un),
            "false_refusal_rate": round(fr / len(ans), 3) if ans else None,
            "refusal_recall": round(rr / len(un), 3) if un else None,
            "refusal_recall_rules_only": round(rule_rr / len(un), 3) if un else None}
    print(json.dumps(line))
    for r, x in zip(rs, refused):
        if x != (not r["answerable"]):
            p = answerability.probability(r["features"], model) if r["features"] else None
            print(f"   {'FALSE REFUSAL' if r['answerable'] else 'ANSWERED'} {r['id']} p={p and round(p, 2)} "
                  f"rule={r['rule'][:50]!r} {r['question'][:80]}")
    return line


def collect(ours: Assistant, fb: Assistant) -> dict[str, list[dict]]:
    """The rows of every set: the four answerability halves, then both development sets."""
    data = {name: rows(SETS / f"{name}.jsonl", ours if name.startswith("ours") else fb)
            for name in ("ours-fit", "financebench-fit", "ours-test", "financebench-test")}
    for name, path, who in (("dev", SHARED / "evals" / "dev.jsonl", ours),
                            ("financebench-dev", SHARED / "financebench" / "dev.jsonl", fb)):
        if path.is_file():
            data[name] = rows(path, who)
    return data


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--home", required=True, help="RAG_HOME of an index of our corpus")
    ap.add_argument("--fb-home", required=True, help="RAG_HOME of an index of the FinanceBench filings")
    ap.add_argument("--write", action="store_true", help="store the fitted model in rag/answerability.json")
    ap.add_argument("--enable", action="store_true",
                    help="with --write: let ask() refuse by it (only when the held-out sets and both dev sets "
                         "keep false refusals at or under 5 %%)")
    ap.add_argument("--model", action="store_true", help="report the logistic model too (it is off in ask())")
    ap.add_argument("--cached", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    ours, fb = Assistant(Settings.load(home=args.home)), Assistant(Settings.load(home=args.fb_home))
    # --cached: the rows of the last run (/tmp), to try other fits without ~60 s of retrieval.
    cache = Path("/tmp/answerability-rows.json")
    if args.cached and cache.is_file():
        data = json.loads(cache.read_text())
    else:
        data = collect(ours, fb)
        cache.write_text(json.dumps(data))
    train = data["ours-fit"] + data["financebench-fit"]
    model = fit(train) | {f"foreign_meaning_{kind}": fit_foreign(train, kind) for kind in ("named", "unnamed")}
    print("model:", json.dumps(model))
    measured = {name: report(name, rs, model, args.model) for name, rs in data.items()}
    if args.write:
        model["fitted_on"] = ["evals/answerability/ours-fit.jsonl", "evals/answerability/financebench-fit.jsonl"]
        model["measured"] = measured
        model["enabled"] = bool(args.enable)
        answerability.MODEL.write_text(json.dumps(model, indent=1) + "\n", encoding="utf-8")
        print("wrote", answerability.MODEL)


if __name__ == "__main__":
    main()
