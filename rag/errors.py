"""Every error the package raises on purpose. Each message says what to do about it.

Library code raises these; only the CLI and the UI turn them into user-facing output.
"""


class RagError(Exception):
    """Base class: a problem the user can fix, with the fix in the message."""


class ConfigError(RagError):
    """A setting is invalid or a config file cannot be read."""


class MissingExtraError(RagError):
    """A backend needs a package that is not installed."""

    def __init__(self, what: str, package: str, extra: str | None = None):
        hint = f'pip install "rag[{extra}]"' if extra else f"pip install {package}"
        super().__init__(f"{what} needs the '{package}' package, which is not installed. Fix: {hint}")


class LoaderError(RagError):
    """A file could not be parsed; the message names the reason (the caller adds the path)."""


class CorpusError(RagError):
    """The default corpus could not be fetched or verified."""


class DocumentNotFoundError(RagError):
    """No indexed document has the id asked for."""


class EmptyIndexError(RagError):
    """The index is missing, empty or unreadable."""


class StoreUnavailableError(RagError):
    """The vector store (for example a Chroma server) cannot be reached."""


class ModelMissingError(RagError):
    """A model file (GGUF, embedding folder) is not where the settings say."""


class BackendUnavailableError(RagError):
    """A generation backend (an OpenAI-compatible server) cannot be reached or refused the call."""


class ModelCrashError(BackendUnavailableError):
    """The local model's worker process died (a signal from native code); it is restarted."""


class QuestionError(RagError):
    """The question itself is unusable (empty, too long)."""


class EvalSetError(RagError):
    """A golden-set file is missing or has a malformed item (the message names file and line)."""
