"""Terminal progress (tqdm on stderr) that turns into a silent no-op when off."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable, Iterator
from typing import Any


class _Silent:
    def update(self, n: int = 1) -> None: ...

    def set_postfix_str(self, s: str) -> None: ...


class Progress:
    """Per-file and per-batch bars with an ETA, shown only when ``enabled``."""

    def __init__(self, enabled: bool):
        self.enabled = enabled

    def iter(self, items: list, desc: str, label: Callable[[Any], str]) -> Iterator:
        if not self.enabled or not items:
            yield from items
            return
        from tqdm import tqdm

        with tqdm(items, desc=desc, unit="file", leave=True, dynamic_ncols=True) as bar:
            for item in bar:
                bar.set_postfix_str(label(item))
                yield item

    @contextlib.contextmanager
    def bar(self, total: int, desc: str, unit: str) -> Iterator[Any]:
        if not self.enabled or not total:
            yield _Silent()
            return
        from tqdm import tqdm

        with tqdm(total=total, desc=desc, unit=unit, leave=True, dynamic_ncols=True, smoothing=0.1) as bar:
            yield bar


