"""Triggers on the store: a fire issues free points once per ref (and per contact)."""

from datetime import datetime, timezone

import pytest

from pointscli import directory, ledger, triggers
from pointscli.errors import InvalidInput, RefConflict, Refused


@pytest.fixture
def rules(store):
    """Session and Consult types, Ann, and two referral triggers."""
    directory.add_type(store, "Session", expires="6 months")
    directory.add_type(store, "Consult")
    ann = directory.add_contact(store, "Ann Lee", "ann@example.com")
    triggers.add_trigger(
        store, "Referral bonus", "referral", "Session", "1", once_per_contact=True
    )
    triggers.add_trigger(
        store, "Referral consult", "Referral", "Consult", "0.5", expires="30 days"
    )
    return {"store": store, "ann": ann["id"], "user": directory.default_user(store)["id"]}


def fire(rules, event="referral", **options):
    return triggers.fire(
        rules["store"], event, rules["ann"], user_id=rules["user"], **options
    )


def grants(store) -> list[tuple]:
    return [
        tuple(r)
        for r in store.query(
            "SELECT type_id, amount, source, unit_price, expires_on FROM entries ORDER BY id"
        )
    ]


def test_fire_runs_every_active_trigger_on_the_event_in_any_case(rules):
    fired = fire(rules, "REFERRAL", at=datetime(2025, 1, 31, 9, tzinfo=timezone.utc))

    assert [(r["trigger"], r["amount"], r["result"]) for r in fired.rows] == [
        ("Referral bonus", 1000, "issued"),
        ("Referral consult", 500, "issued"),
    ]
    assert grants(rules["store"]) == [
        (1, 1000, "trigger", 0, "2025-07-31"),
        (2, 500, "trigger", 0, "2025-03-02"),
    ]


def test_once_per_contact_skips_a_contact_who_already_got_it(rules):
    fire(rules)
    again = fire(rules)

    assert [r["result"] for r in again.rows] == [
        "skipped: once per contact, already issued as entry #1",
        "issued",
    ]
    assert [g[0] for g in grants(rules["store"])] == [1, 2, 2]


def test_a_voided_grant_does_not_count_as_already_given(rules):
    first = fire(rules)
    ledger.void(
        rules["store"], first.rows[0]["entry"], user_id=rules["user"], reason="test"
    )

    assert fire(rules).rows[0]["result"] == "issued"


def test_a_retried_fire_with_the_same_ref_issues_once(rules):
    first = fire(rules, ref="hook-7")
    again = fire(rules, ref="hook-7")

    assert again.replayed and not first.replayed
    assert [r["entry"] for r in again.rows] == [r["entry"] for r in first.rows]
    assert len(grants(rules["store"])) == 2
    with pytest.raises(RefConflict):
        fire(rules, "referral", ref="hook-7", note="different")


def test_an_event_no_trigger_listens_to_is_refused_naming_the_known_events(rules):
    triggers.add_trigger(rules["store"], "Review thanks", "review", "Session", "1")

    expected = r"no trigger listens to 'signup' \(events with triggers: referral, review\)"
    with pytest.raises(Refused, match=expected):
        fire(rules, "signup")
    assert grants(rules["store"]) == []


def test_disabled_triggers_do_not_fire(rules):
    triggers.set_enabled(rules["store"], "referral consult", enabled=False)
    assert [r["trigger"] for r in fire(rules).rows] == ["Referral bonus"]

    triggers.set_enabled(rules["store"], "Referral bonus", enabled=False)
    with pytest.raises(Refused, match="disabled .*points trigger enable"):
        fire(rules)
    with pytest.raises(Refused, match="already disabled"):
        triggers.set_enabled(rules["store"], "Referral bonus", enabled=False)


def test_trigger_names_are_unique_and_events_are_one_word(rules):
    with pytest.raises(Refused, match="already exists"):
        triggers.add_trigger(rules["store"], "REFERRAL BONUS", "x", "Session", "1")
    with pytest.raises(InvalidInput, match="one word"):
        triggers.add_trigger(rules["store"], "Other", "new client", "Session", "1")
    with pytest.raises(InvalidInput, match="more than zero"):
        triggers.add_trigger(rules["store"], "Other", "x", "Session", "0")


def test_a_failing_fire_writes_nothing(rules):
    directory.archive_type(rules["store"], "Consult")

    with pytest.raises(Refused, match="archived point type"):
        fire(rules, ref="hook-9")
    assert grants(rules["store"]) == []
    assert rules["store"].one("SELECT COUNT(*) FROM refs")[0] == 0
