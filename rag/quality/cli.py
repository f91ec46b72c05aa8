"""``rag eval`` and ``rag draft``: the evaluator's commands (registered on the main CLI).

Only click is imported here; the runner, models and matplotlib load inside the commands.
Exit codes: 0 ok, 1 error, 4 a regression against ``--baseline``.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from rag.config import Settings
from rag.errors import RagError

EXIT_REGRESSION = 4
BACKENDS = ["local", "openai", "extractive"]


@click.command("eval")
@click.option("--set", "sets", multiple=True, type=click.Path(dir_okay=False, path_type=Path),
              help="Golden JSONL file (repeatable; default: RAG_EVAL_SET).")
@click.option("--backend", type=click.Choice(BACKENDS), help="Generator (default: the configured one, extractive).")
@click.option("--k", type=click.IntRange(1, 50), help="Passages to retrieve and cite from.")
@click.option("--judge", type=click.Choice(["local", "openai"]), help="Also score faithfulness with this LLM judge.")
@click.option("--limit", type=click.IntRange(1), help="Only the first N items (a quick check).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object with all metrics (no table, no progress).")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path),
              help="Write results.jsonl, summary.json, report.md and PNG charts here.")
@click.option("--baseline", type=click.Path(dir_okay=False, path_type=Path),
              help="An earlier results.jsonl: print deltas and exit 4 on a regression.")
@click.pass_context
def eval_command(ctx, sets, backend, k, judge, limit, as_json, out, baseline) -> None:
    """Score the assistant on golden questions: retrieval, correctness, citations, faithfulness, refusals, latency."""
    from rag.quality import evaluate
    from rag.quality.report import table

    try:
        settings = Settings.load((ctx.obj or {}).get("config"))
        result = evaluate(sets, settings=settings, backend=backend, k=k, judge=judge, out=out, baseline=baseline,
                          limit=limit, progress=not as_json)
    except RagError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(1)
    if as_json:
        click.echo(json.dumps({**result.summary, "baseline": result.deltas}))
    else:
        click.echo(table(result.summary, result.deltas))
        if result.deltas:
            d = result.deltas
            click.echo(f"\nregressions: {', '.join(d['regressions']) or 'none'}; newly failing: "
                       f"{', '.join(d['newly_failing']) or 'none'}; newly passing: {', '.join(d['newly_passing']) or 'none'}")
        for path in result.files:
            click.echo(f"wrote {path}")
    sys.exit(EXIT_REGRESSION if result.regressions else 0)


@click.command("draft")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("-n", "count", default=10, show_default=True, type=click.IntRange(1, 200), help="Items to draft.")
@click.option("--backend", type=click.Choice(["local", "openai"]), help="Let this model phrase the questions.")
@click.option("--out", type=click.File("a", encoding="utf-8"), default="-", help="Append to this JSONL file (default stdout).")
@click.pass_context
def draft_command(ctx, path, count, backend, out) -> None:
    """Draft golden-set items (question, verbatim evidence quote, answer pattern) from a document, for review."""
    from rag.quality.draft import draft, load_document

    try:
        settings = Settings.load((ctx.obj or {}).get("config"))
        doc = load_document(path, settings.max_file_mb)
        ask_model = None
        if backend:
            from rag.generate.base import get_generator

            generator = get_generator(backend, settings)
            ask_model = lambda messages: "".join(generator.chat(messages, max_tokens=60))  # noqa: E731
        n = 0
        for item in draft(doc, count, ask_model):
            out.write(json.dumps(item, ensure_ascii=False) + "\n")
            n += 1
    except RagError as exc:
        click.echo(f"error: {path}: {exc}", err=True)
        sys.exit(1)
    click.echo(f"{n} draft item(s) from {path.name}: review each question, quote and pattern, then drop \"draft\".", err=True)
