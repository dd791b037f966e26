"""The sample practice behind `points demo`, generated here from a seed.

A year of a small coaching practice that ends yesterday: three point types, two
staff users, a few dozen clients with varied (some non-ASCII) names who buy
packs, come to sessions and group classes, ask for short consults, sometimes
stop coming and let points expire. Everything is written through the ledger's
own insert functions in one transaction, in time order, and a consumption is
only recorded when the balance covers it, so the result obeys every ledger rule.
The same seed and end date give the same ledger. Nothing outside the package is
read.
"""

import random
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone

from pointscli import amounts, clock, directory, ledger
from pointscli.clock import Expiry
from pointscli.directory import PointType
from pointscli.errors import Refused

DEFAULT_SEED = 2025
DAYS = 365

TYPES = [
    ("Session", "Sessions", "6 months", "One-to-one coaching session"),
    ("Group class", "Group classes", "3 months", "Weekly small-group class"),
    ("Consult", "Consults", None, "Short consult by phone or video"),
]
USERS = [("coach", "Robin Hale"), ("sam", "Sam Ortiz")]

# Pack size and per-point price, with how often each pack is chosen.
PACKS = {
    "Session": [(10, "80.00", 4), (5, "85.00", 4), (1, "90.00", 2)],
    "Group class": [(12, "20.00", 3), (8, "22.50", 3), (4, "25.00", 4)],
    "Consult": [(4, "35.00", 1), (2, "40.00", 2)],
}
# Amounts used per visit, with their weights: half and quarter visits happen.
VISITS = {
    "Session": [("1", 16), ("0.5", 3), ("0.25", 1)],
    "Group class": [("1", 1)],
    "Consult": [("0.25", 2), ("0.5", 2), ("1", 1)],
}
NOTES = {
    "Session": [
        "Weekly check-in",
        "Goal setting",
        "Values exercise",
        "Career review",
        "Debrief after interview",
        "Follow-up on habits",
        "Rescheduled from Monday",
        "+ extra 15 min, not charged",
        "@home visit",
        "-> moved to Thursday",
    ],
    "Group class": [
        "Tuesday group: habits",
        "Thursday group: focus",
        "Workshop: time boxing",
        "Group: peer feedback round",
    ],
    "Consult": ["Quick call", "Email consult", "Video consult"],
}

FIRST_NAMES = [
    "Ann",
    "Bo",
    "Chloé",
    "Dmitri",
    "Eva",
    "François",
    "Grace",
    "Hiro",
    "Inés",
    "Jonas",
    "Kwame",
    "Łukasz",
    "Maja",
    "Nuño",
    "Olu",
    "Priya",
    "Quinn",
    "Rosa",
    "Søren",
    "Tomás",
    "Uma",
    "Vik",
    "Wen",
    "Xavier",
    "Yara",
    "Zoë",
    "Mei",
    "Ayşe",
    "Björn",
    "Siobhán",
]
LAST_NAMES = [
    "Lee",
    "Chen",
    "Novak",
    "O'Brien",
    "Kowalski",
    "Müller",
    "Núñez",
    "Okafor",
    "Rossi",
    "Tanaka",
    "Haddad",
    "Lindqvist",
    "Petrov",
    "Silva",
    "Moreau",
    "Costa",
    "Berg",
    "Schmidt",
    "Álvarez",
    "Wójcik",
]
# Names written in their own script, with the ASCII email their owners use.
OTHER_SCRIPTS = [
    ("李娜", "li.na"),
    ("Σοφία Παππά", "sofia.pappa"),
    ("Анна Иванова", "anna.ivanova"),
]


@dataclass
class Client:
    """A contact's habits in the simulation."""

    contact_id: int
    label: str
    email: str
    joins: date
    leaves: date | None
    types: list[str]
    weekday: int
    hour: int
    attendance_percent: int  # chance of turning up to a booked session


@dataclass(frozen=True)
class DemoResult:
    """What the demo wrote, and a client worth looking at."""

    contacts: int
    entries: int
    first_day: date
    last_day: date
    example_email: str


def fill_demo(store, seed: int = DEFAULT_SEED, today: date | None = None) -> DemoResult:
    """Fill a fresh database with a year of a sample practice, ending yesterday."""
    rng = random.Random(seed)
    today = today or clock.local_date(clock.to_stored(clock.utc_now()))
    first_day, last_day = today - timedelta(days=DAYS), today - timedelta(days=1)

    with store.write():
        _refuse_unless_fresh(store)
        types = {
            name: directory.add_type(store, name, plural, description, expires)
            for name, plural, expires, description in TYPES
        }
        users = _add_users(store)
        clients = _add_clients(store, rng, first_day, last_day)
        practice = _Practice(store, rng, types, users, first_day)
        for offset in range(DAYS):
            practice.run_day(first_day + timedelta(days=offset), clients)
        entries = store.one("SELECT COUNT(*) FROM entries")[0]

    still_coming = [c for c in clients if c.leaves is None] or clients
    return DemoResult(len(clients), entries, first_day, last_day, still_coming[0].email)


def _refuse_unless_fresh(store) -> None:
    """The demo adds its own types and contacts: it needs an empty database."""
    held = {
        table: store.one(f"SELECT COUNT(*) FROM {table}")[0]
        for table in ("entries", "contacts", "point_types")
    }
    if any(held.values()):
        raise Refused(
            f"{store.path} already holds {held['entries']} entries, {held['contacts']} "
            f"contacts and {held['point_types']} point types: the demo fills a fresh "
            "database only. Give it another file, e.g. `points --db demo.db demo`"
        )


def _add_users(store) -> dict[str, int]:
    """coach (the default user) and sam, reusing either if it exists."""
    ids = {}
    for username, name in USERS:
        found = store.one("SELECT id FROM users WHERE username_key = ?", (username,))
        if found is None:
            found = directory.add_user(store, username, name)
        ids[username] = found["id"]
    directory.set_setting(store, "default-user", "coach")
    return ids


def _add_clients(
    store, rng: random.Random, first_day: date, last_day: date
) -> list[Client]:
    """30-40 clients: a core from the start, the rest joining through the year."""
    names = _client_names(rng, rng.randint(32, 38))
    clients = []
    for number, (name, email_name) in enumerate(names, start=1):
        email = f"{email_name}{number}@example.com"
        contact = directory.add_contact(
            store, name, email, "Prefers mornings" if number % 7 == 0 else None
        )
        joins = first_day + timedelta(
            days=rng.randint(0, 20) if number <= 10 else rng.randint(0, DAYS - 60)
        )
        # Some stop coming after a few months; their points are left to expire.
        leaves = joins + timedelta(days=rng.randint(60, 200))
        if rng.random() < 0.7 or leaves >= last_day:
            leaves = None
        clients.append(
            Client(
                contact["id"],
                f"{name} <{email}>",
                email,
                joins,
                leaves,
                _habits(rng),
                rng.randint(0, 4),
                rng.choice([9, 10, 11, 14, 15, 16, 17]),
                rng.choice([30, 60, 75, 90, 95]),
            )
        )
    return clients


def _client_names(rng: random.Random, count: int) -> list[tuple[str, str]]:
    """(name, the email's local part) for `count` different clients."""
    pairs = [(first, last) for first in FIRST_NAMES for last in LAST_NAMES]
    chosen = rng.sample(pairs, count - len(OTHER_SCRIPTS))
    names = [(f"{first} {last}", _ascii(f"{first}.{last}")) for first, last in chosen]
    names += OTHER_SCRIPTS
    rng.shuffle(names)
    return names


# Letters that Unicode does not decompose into a base letter and a mark.
_UNSPLIT = str.maketrans(
    {"Ł": "L", "ł": "l", "Ø": "O", "ø": "o", "ß": "ss", "Æ": "Ae", "æ": "ae"}
)


def _ascii(text: str) -> str:
    """An email-friendly spelling of a name: Łukasz.Núñez -> lukasz.nunez."""
    folded = unicodedata.normalize("NFKD", text.translate(_UNSPLIT))
    plain = folded.encode("ascii", "ignore").decode()
    return "".join(ch for ch in plain if ch.isalnum() or ch == ".").lower()


def _habits(rng: random.Random) -> list[str]:
    """Which point types a client uses."""
    choices = [["Session"], ["Group class"], ["Session", "Group class"]]
    habit = rng.choices(choices, [6, 3, 2])[0]
    return habit + (["Consult"] if rng.random() < 0.4 else [])


class _Practice:
    """Runs the practice day by day: purchases, visits, gifts."""

    def __init__(
        self,
        store,
        rng: random.Random,
        types: dict[str, PointType],
        users: dict[str, int],
        first_day: date,
    ):
        self.store = store
        self.rng = rng
        self.types = types
        self.users = users
        self.currency = directory.default_currency(store)
        self.gift_days = {
            first_day + timedelta(days=offset)
            for offset in rng.sample(range(30, DAYS - 30), 3)
        }

    def run_day(self, day: date, clients: list[Client]) -> None:
        active = [
            c for c in clients if c.joins <= day and (c.leaves is None or day < c.leaves)
        ]
        for client in active:
            if day == client.joins:
                for type_name in client.types:
                    self._buy(client, type_name, _moment(day, 8, self.rng.randint(0, 59)))
        if active and day in self.gift_days:
            self._gift(self.rng.choice(active), day)
        if day.weekday() >= 5:
            return

        for client in active:
            if "Session" in client.types and day.weekday() == client.weekday:
                self._visit(client, "Session", day, client.hour)
            if "Group class" in client.types and day.weekday() in (1, 3):
                self._visit(client, "Group class", day, 18 if day.weekday() == 1 else 12)
            if "Consult" in client.types and self.rng.random() < 0.04:
                self._visit(client, "Consult", day, 13)

    def _visit(self, client: Client, type_name: str, day: date, hour: int) -> None:
        """A visit if the client comes; a new pack first when the balance is short."""
        if type_name != "Consult" and self.rng.randint(1, 100) > client.attendance_percent:
            return
        point_type = self.types[type_name]
        sizes, weights = zip(*VISITS[type_name])
        amount = amounts.parse_points(self.rng.choices(sizes, weights)[0])
        at = _moment(day, hour, self.rng.randint(0, 9))
        if ledger.available(self.store, client.contact_id, point_type.id, at) < amount:
            self._buy(client, type_name, at - timedelta(minutes=30))

        # Sam runs the Tuesday evening group and covers some other visits.
        by_sam = (type_name == "Group class" and hour == 18) or self.rng.random() < 0.2
        by = "sam" if by_sam else "coach"
        ledger.insert_consumption(
            self.store,
            client.contact_id,
            point_type,
            amount,
            user_id=self.users[by],
            at=at,
            note=self.rng.choice(NOTES[type_name]),
            contact_label=client.label,
        )

    def _buy(self, client: Client, type_name: str, at: datetime) -> None:
        packs = PACKS[type_name]
        size, price, _ = self.rng.choices(packs, [weight for _, _, weight in packs])[0]
        note = f"Purchased {size}-pack" if size > 1 else "Single purchase"
        ledger.insert_grant(
            self.store,
            client.contact_id,
            self.types[type_name],
            size * amounts.SCALE,
            user_id=self.users["coach"],
            at=at,
            expires=None,
            note=note,
            source="purchase",
            unit_price=amounts.parse_money(price, self.currency),
            currency=self.currency,
        )

    def _gift(self, client: Client, day: date) -> None:
        """A thank-you session that never expires."""
        ledger.insert_grant(
            self.store,
            client.contact_id,
            self.types["Session"],
            amounts.SCALE,
            user_id=self.users["coach"],
            at=_moment(day, 8, 30),
            expires=Expiry(never=True),
            note="Gift: thank-you session",
            source="manual",
        )


def _moment(day: date, hour: int, minute: int) -> datetime:
    """A local wall-clock time on a day, as the aware UTC moment the ledger takes."""
    local = datetime.combine(day, time(hour, minute), tzinfo=clock.local_zone())
    return local.astimezone(timezone.utc)
