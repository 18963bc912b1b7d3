"""Progress bars for the command line (tqdm), on a terminal only.

Library functions take a ``progress`` callback (``progress(done, total)``) and never print; the
CLI passes the callback of :func:`bar`, which draws a tqdm bar on standard error when that is a
terminal and does nothing otherwise (pipes, CI logs, ``--json`` output stay clean).
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable, Iterator


def enabled(stream=None) -> bool:
    stream = stream or sys.stderr
    return bool(getattr(stream, "isatty", lambda: False)())


@contextlib.contextmanager
def bar(description: str, unit: str = "it", show: bool | None = None) -> Iterator[Callable[..., None] | None]:
    """A ``progress(done, total, postfix=None)`` callback drawing a bar on a terminal, or None."""
    if not (enabled() if show is None else show):
        yield None
        return
    from tqdm import tqdm

    state: dict = {}

    def update(done: int, total: int, postfix: str | None = None) -> None:
        meter = state.get("bar")
        if meter is None:
            meter = state["bar"] = tqdm(total=total, desc=description, unit=unit, file=sys.stderr, leave=False,
                                        dynamic_ncols=True, mininterval=0.2)
        if meter.total != total:
            meter.total = total
        if postfix:
            meter.set_postfix_str(postfix, refresh=False)
        meter.update(done - meter.n)

    try:
        yield update
    finally:
        if "bar" in state:
            state["bar"].close()
