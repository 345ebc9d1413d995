"""The audit log in plain words: every action has a Chinese and an English label, and a
stored before/after reads as "what: value" pairs, never as raw JSON."""

from __future__ import annotations

import pytest
from flask_babel import force_locale

from community.audit import Action
from community.audit_labels import (
    ACTION_LABELS,
    action_choices,
    action_label,
    changes,
    changes_text,
    target_label,
)


def test_every_action_has_a_label_in_both_languages(app):
    assert set(ACTION_LABELS) == set(Action)  # a new Action needs its label here
    with force_locale("zh_CN"):
        chinese = {action: action_label(action) for action in Action}
    with force_locale("en"):
        english = {action: action_label(action) for action in Action}
    for action in Action:
        assert english[action] != str(action)
        assert chinese[action] != english[action], action
        assert any("\u4e00" <= c <= "\u9fff" for c in chinese[action]), action
    assert chinese[Action.PASSWORD_RESET] == "重置了密码"
    assert len(set(chinese.values())) == len(Action)  # no two read alike


def test_the_action_list_is_sorted_for_the_reader(app, english):
    labels = [label for _code, label in action_choices()]
    assert labels == sorted(labels) and len(labels) == len(Action)


def test_an_unknown_action_or_target_shows_as_stored(app, english):
    assert action_label("became_king") == "became_king"
    assert target_label("booking:12") == "Booking 12"
    assert target_label("planet:3") == "planet:3" and target_label("") == ""


@pytest.mark.parametrize(
    ("before", "after", "expected"),
    [
        (
            '{"storage_cap_minutes": 90000, "gift_recipients": "family"}',
            '{"storage_cap_minutes": 72000, "gift_recipients": "anyone"}',
            [
                ("Storage cap", "1500 h", "1200 h"),
                ("Who members may give hours to", "Linked family only", "Any member"),
            ],
        ),
        (
            "",
            '{"is_priority": true, "role": "coordinator"}',
            [
                ("Priority elder", "", "Yes"),
                ("Role", "", "Coordinator"),
            ],
        ),
        ('{"floor_minutes": -90}', "", [("Lowest balance allowed", "−1 h 30 min", "")]),
        ("", '{"tags": ["a", "b"], "odd_key": null}', [("tags", "", "a, b"), ("odd key", "", "—")]),
        ("", "[1, 2]", [("value", "", "1, 2")]),
        ("", "not json", [("value", "", "not json")]),
    ],
)
def test_before_and_after_read_as_pairs(app, english, before, after, expected):
    assert [(c.label, c.before, c.after) for c in changes(before, after)] == expected


def test_the_csv_gets_one_line_for_each_side(app, english):
    assert changes_text('{"redeem_min_age": 65}', '{"redeem_min_age": 70}') == (
        "Age from which stored hours can be spent: 65",
        "Age from which stored hours can be spent: 70",
    )
