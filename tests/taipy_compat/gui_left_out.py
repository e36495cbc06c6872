"""What a corpus program gets instead of Taipy's GUI (``taipy.gui``, its builder, ``Gui``,
``Markdown``, ``State``, ``notify``...), on Taipy and on scenarium alike: any name, called,
indexed or used as a context manager, gives one of these again, and does nothing. The
GUI is no part of scenario management; this leaves it out of a program whose pages are
imported before its GUI starts (run_corpus.prepare copies it beside the program)."""

from __future__ import annotations

from typing import Any


class _LeftOut:
    def __call__(self, *args: Any, **kwargs: Any) -> _LeftOut:
        if len(args) == 1 and callable(args[0]) and not kwargs:
            return args[0]  # used as a decorator: the function stays
        return self

    def __getattr__(self, name: str) -> _LeftOut:
        if name.startswith("__"):
            raise AttributeError(name)
        return self

    def __getitem__(self, key: Any) -> _LeftOut:
        return self

    def __enter__(self) -> _LeftOut:
        return self

    def __exit__(self, *exc: Any) -> None:
        return None

    def __iter__(self) -> Any:
        return iter(())

    def __mro_entries__(self, bases: tuple[Any, ...]) -> tuple[type, ...]:
        return (object,)  # class MyPage(Page): ...


_left_out = _LeftOut()


def __getattr__(name: str) -> _LeftOut:
    return _left_out
