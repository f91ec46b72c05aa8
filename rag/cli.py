"""The ``rag`` command: a thin layer over the Python API.

This is the one place (with the UI) where ``RagError`` becomes a message and an exit
code; nothing here prints a stack trace for a problem the user can fix.
Exit codes: 0 ok, 1 error, 2 usage, 3 partial (some files failed, the rest went in),
5 nothing ingested (every input failed), 130 interrupted.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from rag.config import Settings
from rag.errors import RagError

EXIT_PARTIAL = 3
EXIT_NOTHING = 5


def _ingest_exit(report) -> int:
    """0 when every input went in, 3 when some did, 5 when none did."""
    if report.ok:
        return 0
    return EXIT_PARTIAL if report.added + report.updated + report.unchanged else EXIT_NOTHING


def _settings(ctx: click.Context, **overrides) -> Settings:
    return Settings.load(ctx.obj.get("config"), **overrides)


def _fail(exc: Exception) -> None:
    click.echo(f"error: {exc}", err=True)
    sys.exit(1)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--config", type=click.Path(dir_okay=False), help="A rag.toml file (default: ./rag.toml, RAG_CONFIG).")
@click.pass_context
def main(ctx: click.Context, config: str | None) -> None:
    """Grounded Q&A over AI-industry sources, with citations you can check."""
    ctx.ensure_object(dict)["config"] = config


@main.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--index", type=click.Path(file_okay=False, path_type=Path), help="Index folder (default: $RAG_HOME/index).")
@click.option("--prune/--no-prune", default=None,
              help="Delete chunks of files no longer under PATHS (default: on for the corpus folder only).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON summary object and no progress.")
@click.pass_context
def ingest(ctx: click.Context, paths: tuple[Path, ...], index: Path | None, prune: bool | None, as_json: bool) -> None:
    """Ingest files and folders (default: the corpus documents folder) into the index."""
    from rag.ingestion import ingest as run_ingest

    try:
        settings = _settings(ctx, index=index)
        report = run_ingest(list(paths), settings=settings, prune=prune, progress=False if as_json else None)
    except RagError as exc:
        _fail(exc)
    except KeyboardInterrupt:
        click.echo("interrupted: the index is consistent; run the same command again to finish.", err=True)
        sys.exit(130)
    if as_json:
        click.echo(json.dumps(report.to_dict()))
    else:
        _print_report(report, settings)
    sys.exit(_ingest_exit(report))


def _print_report(report, settings: Settings) -> None:
    click.echo(f"{report.documents} documents, {report.chunks} chunks in {settings.index_dir} "
               f"({report.added} added, {report.updated} updated, {report.unchanged} unchanged, "
               f"{report.removed} removed) in {report.seconds:.1f} s")
    if report.skipped:
        click.echo(f"skipped {len(report.skipped)} file(s) of unsupported type", err=True)
    for failure in report.failed:
        click.echo(f"FAILED {failure.path}: {failure.error}", err=True)


@main.group()
def corpus() -> None:
    """The default corpus (the DeepSeek-R1 episode sources)."""


@corpus.command("fetch")
@click.option("--dest", type=click.Path(file_okay=False, path_type=Path), help="Documents folder (default: $RAG_HOME/documents).")
@click.option("--mirror", type=click.Path(file_okay=False), help="A local folder holding the corpus files.")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def corpus_fetch(ctx: click.Context, dest: Path | None, mirror: str | None, as_json: bool) -> None:
    """Copy (from a mirror) or download every corpus document, verifying sha256."""
    from rag import corpus as corpus_mod

    try:
        settings = _settings(ctx, documents=dest, corpus_mirror=mirror)
        report = corpus_mod.fetch(settings.documents_dir, settings.corpus_mirror)
    except RagError as exc:
        _fail(exc)
    if as_json:
        click.echo(json.dumps(report.__dict__))
    else:
        click.echo(f"{settings.documents_dir}: {len(report.present)} present, {len(report.copied)} copied, "
                   f"{len(report.downloaded)} downloaded, {len(report.failed)} failed")
        for f in report.failed:
            click.echo(f"FAILED {f['file']}: {f['error']}", err=True)
    sys.exit(0 if report.ok else EXIT_PARTIAL)


def _parse_filters(pairs: tuple[str, ...]) -> dict[str, str]:
    filters = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise click.BadParameter(f"{pair!r}: use key=value, e.g. company=Acme", param_hint="--filter")
        filters[key.strip()] = value.strip()
    return filters


def _load_history(path: Path | None) -> list[dict]:
    if path is None:
        return []
    try:
        turns = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise click.BadParameter(f"{path}: {exc}", param_hint="--history") from None
    if not isinstance(turns, list) or not all(isinstance(t, dict) and "role" in t and "content" in t for t in turns):
        raise click.BadParameter(f"{path}: expected a JSON list of {{role, content}} objects", param_hint="--history")
    return turns


def _print_answer(answer) -> None:
    click.echo()
    if answer.refused:
        click.echo(f"{answer.text} {answer.reason}".strip())
        if answer.hits:
            click.echo("\nClosest passages:")
            for hit in answer.hits[:3]:
                c = hit.chunk
                click.echo(f"  - {c.meta.get('title', c.doc_id)}, p. {c.page or '-'}: {c.text[:160]}…")
        return
    click.echo(answer.text)
    if answer.note:
        click.echo(f"\n{answer.note}")
    click.echo()
    for c in answer.citations:
        click.echo(f"[{c.marker}] {c.source_line()}")
        click.echo(f"    \u201c{c.quote}\u201d")
        if c.url:
            click.echo(f"    {c.url}")


@main.command()
@click.argument("question")
@click.option("--json", "as_json", is_flag=True, help="Print the whole Answer (hits included) as one JSON object.")
@click.option("--backend", type=click.Choice(["local", "openai", "extractive"]), help="Generator (default: extractive, or RAG_BACKEND).")
@click.option("--k", type=click.IntRange(1, 50), help="Passages to retrieve and cite from (default 5).")
@click.option("--filter", "filters", multiple=True, metavar="KEY=VALUE",
              help="company, publisher, doc_type, doc_id, file, date_from, date_to (repeatable).")
@click.option("--history", type=click.Path(dir_okay=False, path_type=Path), help="JSON list of {role, content} turns.")
@click.pass_context
def ask(ctx, question, as_json, backend, k, filters, history) -> None:
    """Answer QUESTION from the indexed sources, with checked citations."""
    from rag.answer import ask_stream
    from rag.types import Answer, Waiting

    try:
        settings = _settings(ctx)
        answer = None
        for event in ask_stream(question, history=_load_history(history), filters=_parse_filters(filters),
                                settings=settings, backend=backend, k=k):
            if isinstance(event, Answer):
                answer = event
            elif isinstance(event, Waiting):
                click.echo(event.message(), err=True)
            elif not as_json:  # the raw stream goes to stderr; stdout gets the checked answer
                click.echo(event, nl=False, err=True)
    except RagError as exc:
        _fail(exc)
    if as_json:
        click.echo(json.dumps(answer.to_dict(), ensure_ascii=False))
    else:
        _print_answer(answer)


@main.command()
@click.option("--backend", type=click.Choice(["local", "openai", "extractive"]))
@click.pass_context
def chat(ctx, backend) -> None:
    """A terminal chat with history (empty line or Ctrl-D to quit)."""
    from rag.answer import ask_stream
    from rag.types import Answer, Waiting

    settings = _settings(ctx)
    history: list[dict] = []
    while True:
        try:
            question = input("\n? ").strip()
        except (EOFError, KeyboardInterrupt):
            break
        if not question:
            break
        try:
            for event in ask_stream(question, history=history, settings=settings, backend=backend):
                if isinstance(event, Answer):
                    _print_answer(event)
                    history += [{"role": "user", "content": question}, {"role": "assistant", "content": event.text}]
                elif isinstance(event, Waiting):
                    click.echo(event.message())
                else:
                    click.echo(event, nl=False)
        except RagError as exc:
            click.echo(f"error: {exc}", err=True)


@main.command()
@click.pass_context
def up(ctx: click.Context) -> None:
    """Everything on the embedded defaults: fetch the corpus and ingest it (incrementally)."""
    ctx.invoke(ingest, paths=(), index=None, prune=None, as_json=False)


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to bind; 0.0.0.0 exposes the page to the network (set RAG_AUTH=user:password then).")
@click.option("--port", default=7860, show_default=True, type=click.IntRange(1, 65535))
@click.option("--certfile", type=click.Path(dir_okay=False), help="TLS certificate (PEM): serve HTTPS.")
@click.option("--keyfile", type=click.Path(dir_okay=False), help="TLS private key (PEM) for --certfile.")
@click.pass_context
def serve(ctx: click.Context, host: str, port: int, certfile: str | None, keyfile: str | None) -> None:
    """The web page: chat with cited answers, sources beside them, corpus and uploads."""
    _serve_with(ctx, "rag.ui.server", "serve", 'the web UI needs Gradio ({}). Fix: pip install "rag[ui]"', host, port,
                certfile=certfile, keyfile=keyfile)


@main.command()
@click.option("--http", is_flag=True, help="Serve streamable HTTP (at /mcp) instead of stdio.")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address for --http.")
@click.option("--port", default=8765, show_default=True, type=click.IntRange(1, 65535), help="Port for --http.")
@click.pass_context
def mcp(ctx: click.Context, http: bool, host: str, port: int) -> None:
    """The sources as an MCP server: tools search_sources and ask, documents as resources (stdio by default)."""
    _serve_with(ctx, "rag.api.mcp_server", "run", '`rag mcp` needs the MCP SDK ({}). Fix: pip install "rag[mcp]"', host,
                port, http=http)


def _serve_with(ctx: click.Context, module: str, func: str, needs: str, host: str, port: int, **options) -> None:
    """Run a server: its module loads only now (Gradio, uvicorn, mcp: `rag --help` stays instant);
    a missing package, a bad setting and a port that cannot be bound are each one message."""
    import importlib

    try:
        settings = _settings(ctx)
        getattr(importlib.import_module(module), func)(settings, host=host, port=port, **options)
    except RagError as exc:
        _fail(exc)
    except ImportError as exc:
        _fail(needs.format(f"{exc.name} is missing"))
    except OSError as exc:
        _fail(f"cannot serve on {host}:{port}: {exc.strerror or 'the address is in use or not available here'}. "
              "Pick another --port or --host.")


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Print the report as one JSON object.")
@click.pass_context
def doctor(ctx: click.Context, as_json: bool) -> None:
    """Check that the local model runs on this CPU: generate a few tokens in a worker process."""
    from rag.doctor import check, explain

    try:
        report = check(_settings(ctx))
    except RagError as exc:
        _fail(exc)
    click.echo(json.dumps(report) if as_json else explain(report), err=not report["ok"] and not as_json)
    sys.exit(0 if report["ok"] else 1)


def _register_eval_commands() -> None:
    # The evaluator's commands live with the eval package; importing them loads only click.
    from rag.quality.cli import draft_command, eval_command

    main.add_command(eval_command)
    main.add_command(draft_command)


_register_eval_commands()

if __name__ == "__main__":
    main()
