"""The ledger against a small independent model, driven by Hypothesis.

The model keeps grants and consumptions as plain Python records in thousandths
and does its own drawdown (soonest expiry first, never-expiring last, older
issue first). Time only moves forward, so every write happens "now" and voids
are dated when they are made. At every step the real ledger's balances and
summary must equal the model's, and issued = consumed + expired + voided +
outstanding must hold.
"""

import shutil
import tempfile
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from pointscli import directory, ledger, reports
from pointscli.clock import Expiry, Period
from pointscli.errors import Refused
from pointscli.storage import open_store

START = datetime(2025, 1, 1, 9, 0, tzinfo=timezone.utc)
SESSION_DAYS = 3  # the Session type's default expiry; Bonus never expires
CONTACTS = ("ann@example.com", "bob@example.com")
TYPES = ("Session", "Bonus")
FIGURES = ("issued", "consumed", "expired", "voided", "outstanding")


@dataclass
class Grant:
    contact: str
    kind: str
    amount: int
    at: datetime
    expires_at: datetime | None
    voided: bool = False


@dataclass
class Use:
    contact: str
    kind: str
    amount: int
    draws: dict[int, int] = field(default_factory=dict)
    voided: bool = False


def midnight_after(day: date, days: int) -> datetime:
    """The UTC midnight ending the day `days` after `day` (tests run in UTC)."""
    return datetime.combine(day + timedelta(days=days + 1), time(0), tzinfo=timezone.utc)


class Model:
    """What the ledger should hold, by its rules, knowing nothing of SQL."""

    def __init__(self):
        self.grants: dict[int, Grant] = {}
        self.uses: dict[int, Use] = {}

    def used(self, grant_id: int) -> int:
        return sum(u.draws.get(grant_id, 0) for u in self.uses.values() if not u.voided)

    def usable(self, contact: str, kind: str, now: datetime) -> list[tuple[int, int]]:
        """(grant id, drawable) in drawdown order."""
        open_grants = [
            (gid, g)
            for gid, g in self.grants.items()
            if g.contact == contact
            and g.kind == kind
            and not g.voided
            and (g.expires_at is None or g.expires_at > now)
        ]
        never = datetime.max.replace(tzinfo=timezone.utc)
        open_grants.sort(
            key=lambda pair: (pair[1].expires_at or never, pair[1].at, pair[0])
        )
        lots = [(gid, g.amount - self.used(gid)) for gid, g in open_grants]
        return [(gid, left) for gid, left in lots if left > 0]

    def available(self, contact: str, kind: str, now: datetime) -> int:
        return sum(left for _, left in self.usable(contact, kind, now))

    def draw(self, contact: str, kind: str, amount: int, now: datetime) -> dict[int, int]:
        draws, left = {}, amount
        for gid, drawable in self.usable(contact, kind, now):
            take = min(left, drawable)
            if take:
                draws[gid] = take
                left -= take
        return draws

    def void_refusal(self, entry: int) -> bool:
        """Whether voiding the entry now must be refused."""
        if entry in self.uses:
            return self.uses[entry].voided
        grant = self.grants[entry]
        return grant.voided or self.used(entry) == grant.amount

    def summary(self, kind: str, now: datetime) -> dict[str, int]:
        figures = dict.fromkeys(FIGURES, 0)
        for gid, g in self.grants.items():
            if g.kind != kind:
                continue
            used = self.used(gid)
            figures["issued"] += g.amount
            figures["consumed"] += used
            if g.voided:
                figures["voided"] += g.amount - used
            elif g.expires_at is not None and g.expires_at <= now:
                figures["expired"] += g.amount - used
            else:
                figures["outstanding"] += g.amount - used
        return figures


class LedgerMachine(RuleBasedStateMachine):
    """Random issue, consume, void and time steps against one fresh database."""

    def __init__(self):
        super().__init__()
        self.folder = Path(tempfile.mkdtemp(prefix="points-property-"))
        self.db = open_store(self.folder / "points.db")
        self.types = {
            "Session": directory.add_type(
                self.db, "Session", expires=f"{SESSION_DAYS} days"
            ),
            "Bonus": directory.add_type(self.db, "Bonus"),
        }
        self.contacts = {
            email: directory.add_contact(self.db, email.split("@")[0], email)["id"]
            for email in CONTACTS
        }
        self.user = directory.default_user(self.db)["id"]
        self.now = START
        self.model = Model()

    def teardown(self):
        self.db.close()
        shutil.rmtree(self.folder, ignore_errors=True)

    @rule(
        contact=st.sampled_from(CONTACTS),
        kind=st.sampled_from(TYPES),
        amount=st.integers(1, 3000),
        days=st.none() | st.integers(-1, 4),
    )
    def issue(self, contact, kind, amount, days):
        """days: None for the type's default, -1 for never, else a period in days."""
        expires = None
        if days == -1:
            expires = Expiry(never=True)
        elif days == 0:
            expires = Expiry(on=self.now.date())
        elif days is not None:
            expires = Expiry(period=Period(days, "days"))
        outcome = ledger.issue(
            self.db,
            self.contacts[contact],
            self.types[kind],
            amount,
            user_id=self.user,
            at=self.now,
            expires=expires,
        )

        if days is None:
            days = SESSION_DAYS if kind == "Session" else -1
        expires_at = None if days == -1 else midnight_after(self.now.date(), days)
        [entry] = outcome.entries
        self.model.grants[entry] = Grant(contact, kind, amount, self.now, expires_at)

    @rule(
        contact=st.sampled_from(CONTACTS),
        kind=st.sampled_from(TYPES),
        amount=st.integers(1, 4000),
    )
    def consume(self, contact, kind, amount):
        expected_ok = amount <= self.model.available(contact, kind, self.now)
        try:
            outcome = ledger.consume(
                self.db,
                self.contacts[contact],
                self.types[kind],
                amount,
                user_id=self.user,
                at=self.now,
            )
        except Refused:
            assert not expected_ok, "the ledger refused a consumption the model allows"
            return
        assert expected_ok, "the ledger allowed a consumption the model refuses"

        [entry] = outcome.entries
        draws = self.model.draw(contact, kind, amount, self.now)
        self.model.uses[entry] = Use(contact, kind, amount, draws)
        recorded = self.db.query(
            "SELECT grant_id, amount FROM draws WHERE consumption_id = ?", (entry,)
        )
        assert {r["grant_id"]: r["amount"] for r in recorded} == draws

    @precondition(lambda self: self.model.grants)
    @rule(data=st.data())
    def void(self, data):
        entry = data.draw(st.sampled_from(sorted([*self.model.grants, *self.model.uses])))
        expected_refusal = self.model.void_refusal(entry)
        try:
            ledger.void(self.db, entry, user_id=self.user, at=self.now)
        except Refused:
            assert expected_refusal, f"the ledger refused to void #{entry}"
            return
        assert not expected_refusal, f"the ledger voided #{entry}, which the model refuses"

        record = self.model.uses.get(entry) or self.model.grants[entry]
        record.voided = True

    @rule(
        step=st.sampled_from(
            [
                timedelta(seconds=1),
                timedelta(hours=1),
                timedelta(hours=7),
                timedelta(days=1),
                timedelta(days=2),
            ]
        )
    )
    def advance(self, step):
        self.now += step

    @rule()
    def advance_to_midnight(self):
        # Land exactly on an expiry instant, the edge where points stop being usable.
        self.now = midnight_after(self.now.date(), 0)

    @invariant()
    def balances_agree(self):
        for contact, contact_id in self.contacts.items():
            for kind, point_type in self.types.items():
                real = ledger.available(self.db, contact_id, point_type.id, at=self.now)
                assert real >= 0
                expected = self.model.available(contact, kind, self.now)
                assert real == expected, (contact, kind)

    @invariant()
    def summary_agrees(self):
        rows = {r["type"]: r for r in reports.summary(self.db, self.now).rows}
        for kind in TYPES:
            row, expected = rows[kind], self.model.summary(kind, self.now)
            assert {key: row[key] for key in expected} == expected, kind
            assert row["issued"] == (
                row["consumed"] + row["expired"] + row["voided"] + row["outstanding"]
            )
            assert min(row[key] for key in expected) >= 0

    @invariant()
    def outstanding_report_agrees(self):
        holders = {
            (r["contact_email"], r["type"]): r["outstanding"]
            for r in reports.outstanding(self.db, self.now).rows
        }
        expected = {
            (c, k): self.model.available(c, k, self.now) for c in CONTACTS for k in TYPES
        }
        assert holders == {key: left for key, left in expected.items() if left > 0}


def test_ledger_matches_the_model():
    run_state_machine_as_test(
        LedgerMachine,
        settings=settings(
            max_examples=100,
            stateful_step_count=40,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow],
        ),
    )
