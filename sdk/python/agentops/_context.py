"""The current run and span, in contextvars: asyncio tasks inherit them; threads get them through wrap()."""
import concurrent.futures
import contextlib
import contextvars
import functools
from typing import TYPE_CHECKING, Any, Callable, Iterator, Optional, TypeVar, Union

if TYPE_CHECKING:  # pragma: no cover
    from ._client import Run, Span

F = TypeVar("F", bound=Callable[..., Any])

#: The innermost open run or span of this context (None outside any run).
_current: "contextvars.ContextVar[Optional[Union[Run, Span]]]" = contextvars.ContextVar("agentops_current", default=None)


def current_scope() -> "Optional[Union[Run, Span]]":
    """The innermost open span, else the run, of this context; None outside any run."""
    return _current.get()


def current_run() -> "Optional[Run]":
    """The run of this context, or None."""
    scope = _current.get()
    return None if scope is None else scope.run


def current_span() -> "Optional[Span]":
    """The innermost open span of this context, or None (events then go directly in the run)."""
    scope = _current.get()
    if scope is None or scope is scope.run:
        return None
    return scope  # type: ignore[return-value]


@contextlib.contextmanager
def use(scope: "Union[Run, Span]") -> Iterator["Union[Run, Span]"]:
    """Make ``scope`` (a run or a span) current in this block without ending it when the block ends."""
    token = _current.set(scope)
    try:
        yield scope
    finally:
        _current.reset(token)


def wrap(fn: F) -> F:
    """Bind ``fn`` to the caller's context (current run and span) so that it can run on another thread.

    ``threading.Thread(target=agentops.wrap(work)).start()`` records ``work``'s events under the span that was
    current when ``wrap`` was called. Each call runs in its own copy of that context, so one wrapped function may
    run on several threads at once.
    """
    ctx = contextvars.copy_context()

    @functools.wraps(fn)
    def bound(*args: Any, **kwargs: Any) -> Any:
        return ctx.copy().run(fn, *args, **kwargs)

    return bound  # type: ignore[return-value]


class ContextThreadPoolExecutor(concurrent.futures.ThreadPoolExecutor):
    """A ThreadPoolExecutor whose tasks run in the context of the code that submitted them."""

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> "concurrent.futures.Future[Any]":
        ctx = contextvars.copy_context()

        def call() -> Any:
            return ctx.run(fn, *args, **kwargs)
        return super().submit(call)
