"""Typed checks of ``ask``'s arguments: each wrong shape gets a message naming the argument, the
item at fault and what is allowed."""

from __future__ import annotations

import pytest

from ctqa.validation import checked_documents, checked_history


@pytest.mark.parametrize(
    ("documents", "message"),
    [
        ([None], "documents must hold doc ids as text; item 0 is None"),
        (5, "documents must be a doc id (text) or a list of doc ids, not int 5"),
        ([["x"]], "documents must hold doc ids as text; item 0 is list ['x']"),
        (["a.txt", 3.5], "documents must hold doc ids as text; item 1 is float 3.5"),
        ({"a.txt": 1}, "documents must be a doc id (text) or a list of doc ids, not dict {'a.txt': 1}"),
    ],
)
def test_documents_of_the_wrong_type_are_named(documents: object, message: str) -> None:
    with pytest.raises(ValueError) as raised:
        checked_documents(documents)
    assert str(raised.value) == message


def test_documents_may_be_one_id_a_list_or_none() -> None:
    assert checked_documents(None) is None
    assert checked_documents("a.txt") == {"a.txt"}
    assert checked_documents(["a.txt", "b.md", "a.txt"]) == {"a.txt", "b.md"}
    assert checked_documents(("a.txt",)) == {"a.txt"}


@pytest.mark.parametrize(
    ("history", "message"),
    [
        ([{"role": "robot", "content": "hi"}], "history[0]['role'] must be 'user' or 'assistant' ('system' and 'tool' are skipped), not str 'robot'"),
        ([{"content": "hi"}], "history[0]['role'] must be 'user' or 'assistant' ('system' and 'tool' are skipped), not None"),
        ([{"role": "user", "content": None}], "history[0]['content'] must be text, not None"),
        (
            [{"role": "user", "content": "hi"}, {"role": "assistant", "content": ["a"]}],
            "history[1]['content'] must be text, not list ['a']",
        ),
        ("hi", 'history must be a list of {"role": "user"|"assistant", "content": text} messages'),
    ],
)
def test_history_with_wrong_roles_or_contents_is_named(history: object, message: str) -> None:
    with pytest.raises(ValueError) as raised:
        checked_history(history, 100)
    assert str(raised.value) == message


def test_history_is_cleaned_and_user_turns_cut() -> None:
    history = [{"role": "user", "content": "\ud800 NATO " * 10}, {"role": "assistant", "content": "x" * 50}]
    checked = checked_history(history, 20)
    assert checked is not None
    assert checked[0]["content"] == ("? NATO " * 10)[:20]
    assert checked[1]["content"] == "x" * 50  # only user turns are cut


def test_system_and_tool_messages_of_the_usual_chat_format_are_left_out() -> None:
    history = [
        {"role": "system", "content": "You are a helpful assistant."},
        {"role": "user", "content": "What is NEXUS?"},
        {"role": "tool", "content": "{}"},
        {"role": "assistant", "content": "NEXUS promotes secure travel."},
    ]
    assert checked_history(history, 100) == [history[1], history[3]]
    with pytest.raises(ValueError, match="content"):
        checked_history([{"role": "system", "content": None}], 100)
