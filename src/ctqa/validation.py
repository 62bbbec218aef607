"""Checks of the arguments ``DocumentQA.ask`` takes from callers, with messages that name the
argument, the item at fault and what is allowed (a ``ValueError``, never Python's generic text).
"""

from __future__ import annotations

from collections.abc import Sequence

ROLES = ("user", "assistant")
# Roles of the usual chat-message format that say nothing the conversation asked or answered
# ("system" instructions, "tool" output): accepted and left out.
SKIPPED_ROLES = ("system", "tool")
HISTORY_SHAPE = 'history must be a list of {"role": "user"|"assistant", "content": text} messages'


def _kind(value: object) -> str:
    """``None``, or the type name with a short repr: ``int 5``, ``list ['x']``."""
    if value is None:
        return "None"
    shown = repr(value)
    return f"{type(value).__name__} {shown if len(shown) <= 40 else shown[:37] + '...'}"


def checked_documents(documents: object) -> set[str] | None:
    """The doc ids of ``ask``'s ``documents`` argument: ``None``, one doc id, or a list of them.

    Raises:
        ValueError: ``documents`` is another type, or one of its items is not text.
    """
    if documents is None:
        return None
    if isinstance(documents, str):
        return {documents}
    if not isinstance(documents, Sequence | set | frozenset):
        raise ValueError(f"documents must be a doc id (text) or a list of doc ids, not {_kind(documents)}")
    for number, item in enumerate(documents):
        if not isinstance(item, str):
            raise ValueError(f"documents must hold doc ids as text; item {number} is {_kind(item)}")
    return set(documents)


def checked_history(history: object, max_chars: int) -> list[dict[str, str]] | None:
    """``history`` as a list of messages safe to read: lone surrogates (which the tokenizer cannot
    encode) become "?", user turns are cut to ``max_chars`` like questions, and "system" or
    "tool" messages are left out.

    Raises:
        ValueError: ``history`` is not a list of ``{"role": "user"|"assistant", "content": text}``
            dicts; the message names the first message at fault.
    """
    if history is None:
        return None
    if not isinstance(history, list | tuple) or not all(isinstance(m, dict) for m in history):
        raise ValueError(HISTORY_SHAPE)
    checked = []
    for number, message in enumerate(history):
        role, content = message.get("role"), message.get("content")
        if role not in ROLES and role not in SKIPPED_ROLES:
            raise ValueError(
                f"history[{number}]['role'] must be 'user' or 'assistant' ('system' and 'tool' are skipped), not {_kind(role)}"
            )
        if not isinstance(content, str):
            raise ValueError(f"history[{number}]['content'] must be text, not {_kind(content)}")
        if role in SKIPPED_ROLES:
            continue
        content = content.encode("utf-8", "replace").decode("utf-8")
        if role == "user":
            content = content[:max_chars]
        checked.append({**message, "content": content})
    return checked
