# The one decorator of Channels that the code applies to its own functions, typed so that a
# decorated function keeps its parameters and returns an awaitable of its result.
from collections.abc import Callable, Coroutine
from typing import Any, ParamSpec, TypeVar

_P = ParamSpec("_P")
_R = TypeVar("_R")

def database_sync_to_async(func: Callable[_P, _R]) -> Callable[_P, Coroutine[Any, Any, _R]]: ...
