"""Ledger export and import: the sample practice, round trips, bad rows, refs, the CLI."""

import csv
import io
import json
import pytest

from pointscli import amounts, clock, directory, ledger, reports, transfer
from pointscli.errors import InvalidInput, RefConflict, Refused
from pointscli.render import FORMULA_STARTS, write_csv, write_json
from pointscli.storage import open_store

SAMPLE_TYPES = [
    ("Session", "Sessions", "6 months"),
    ("Group class", "Group classes", "3 months"),
    ("Consult", "Consults", "never"),
]
HEADER = "kind,date,contact_email,contact_name,type,amount,expires,note,by,ref\n"


def define_sample_types(store) -> None:
    for name, plural, expires in SAMPLE_TYPES:
        directory.add_type(store, name, plural, expires=expires)


def load_sample(store, sample_csv) -> transfer.ImportResult:
    define_sample_types(store)
    return transfer.import_ledger(store, sample_csv.read_text(encoding="utf-8"))


def summary_at(store, when: str) -> dict[str, tuple]:
    """Per type: issued, consumed, expired and outstanding as text, then holders."""
    rows = reports.summary(store, clock.parse_when(when)).rows
    return {
        row["type"]: tuple(
            amounts.format_points(row[key])
            for key in ("issued", "consumed", "expired", "outstanding")
        )
        + (row["contacts"],)
        for row in rows
    }


def full_summary(store, when: str) -> list[dict]:
    return [
        {k: v for k, v in row.items() if k != "type_id"}
        for row in reports.summary(store, clock.parse_when(when)).rows
    ]


def count(store, table: str) -> int:
    return store.one(f"SELECT COUNT(*) FROM {table}")[0]


def csv_text(report) -> str:
    out = io.StringIO()
    write_csv(report, out)
    return out.getvalue()


def render_json(report) -> str:
    out = io.StringIO()
    write_json(report, out)
    return out.getvalue()


@pytest.fixture
def other_store(tmp_path):
    opened = open_store(tmp_path / "other.db")
    yield opened
    opened.close()


# The sample practice ------------------------------------------------------------------


@pytest.mark.parametrize(
    "when, expected",
    [
        (
            "2025-03-31",
            {
                "Session": ("175", "64.5", "0", "110.5", 25),
                "Group class": ("76", "30", "0", "46", 8),
                "Consult": ("5", "1", "0", "4", 3),
            },
        ),
        (
            "2025-06-30 23:59",
            {
                "Session": ("374", "212.5", "0", "161.5", 45),
                "Group class": ("176", "98", "12", "66", 11),
                "Consult": ("22", "8", "0", "14", 10),
            },
        ),
        (
            "2025-12-31 23:59",
            {
                "Session": ("669", "470", "76", "123", 34),
                "Group class": ("372", "264", "37", "71", 11),
                "Consult": ("50", "29.75", "0", "20.25", 14),
            },
        ),
    ],
)
def test_sample_practice_summary(store, sample_csv, when, expected):
    load_sample(store, sample_csv)

    assert summary_at(store, when) == expected


def test_sample_practice_loads_whole(store, sample_csv):
    result = load_sample(store, sample_csv)

    assert (result.issues, result.consumptions, result.voids) == (194, 821, 0)
    assert (result.contacts_created, result.users_created, result.skipped) == (84, 2, 0)
    assert [u["username"] for u in directory.list_users(store)] == ["coach", "sam"]


def test_sample_contact_figures_match_a_hand_count(store, sample_csv):
    # From the CSV by hand: Rosa Kowalski bought 5 Sessions on 2025-01-06 (valid 6 months,
    # until 2025-07-06) and used 0.5 + 0.5 + 1; her 4 Group classes were all used. Xavier
    # Núñez bought 4 Group classes on 2025-01-06 (until 2025-04-06) and used 2 in January.
    load_sample(store, sample_csv)
    rosa = directory.contact_by_email(store, "rosa.kowalski33@example.com")["id"]
    xavier = directory.contact_by_email(store, "xavier.nez18@example.com")["id"]

    def balance(contact_id, when):
        rows = reports.balance(store, contact_id, clock.parse_when(when)).rows
        return {
            row["type"]: (amounts.format_points(row["available"]), row["next_expiry"])
            for row in rows
        }

    assert balance(rosa, "2025-06-30") == {
        "Session": ("3", "2025-07-06"),
        "Group class": ("0", None),
    }
    assert balance(rosa, "2025-07-07")["Session"] == ("0", None)
    assert balance(xavier, "2025-04-06 23:59")["Group class"] == ("2", "2025-04-06")
    assert balance(xavier, "2025-04-07")["Group class"] == ("0", None)


def test_mixed_case_emails_are_one_contact(store, sample_csv):
    load_sample(store, sample_csv)

    contacts = directory.list_contacts(store)
    rosa = [c for c in contacts if c["email_key"].startswith("rosa.k")]

    assert len(rosa) == 1
    # The spelling most rows use wins over the first row's "Rosa.kowalski33".
    assert rosa[0]["email"] == "rosa.kowalski33@example.com"
    assert count(store, "contacts") == 84


def test_sample_writes_every_entry_and_ref(store, sample_csv):
    load_sample(store, sample_csv)

    assert count(store, "entries") == 1015
    assert count(store, "refs") == 194


# Round trip ---------------------------------------------------------------------------


def load_sample_with_voids(store, sample_csv) -> None:
    """The sample recorded as a live practice would: a consumption voided on 1 February,
    the unused part of a grant voided on 1 March, each at its time between the imports."""
    header, *rows = sample_csv.read_text(encoding="utf-8").splitlines(keepends=True)
    define_sample_types(store)

    def import_dated(start: str, end: str) -> None:
        dated = [row for row in rows if start <= row.split(",")[1] < end]
        transfer.import_ledger(store, header + "".join(dated))

    coach = 1
    import_dated("2025", "2025-02-01")
    first_use = store.one(
        "SELECT id FROM entries WHERE kind = 'consume' ORDER BY at LIMIT 1"
    )
    ledger.void(
        store,
        first_use["id"],
        user_id=coach,
        reason="Entered twice",
        at=clock.parse_when("2025-02-01 10:00"),
    )
    import_dated("2025-02-01", "2025-03-01")
    grant = store.one("SELECT id FROM entries WHERE ref = 'order-1005'")
    ledger.void(
        store,
        grant["id"],
        user_id=coach,
        reason="Refund",
        at=clock.parse_when("2025-03-01 10:00"),
    )
    import_dated("2025-03-01", "2026")


@pytest.mark.parametrize("with_voids", [False, True])
def test_export_then_import_gives_the_same_ledger(
    store, other_store, sample_csv, with_voids
):
    if with_voids:
        load_sample_with_voids(store, sample_csv)
    else:
        load_sample(store, sample_csv)
    exported = csv_text(transfer.export_ledger(store))

    define_sample_types(other_store)
    result = transfer.import_ledger(other_store, exported)

    assert result.voids == (2 if with_voids else 0)
    for when in (
        "2025-01-31",
        "2025-02-15",
        "2025-03-31",
        "2025-06-30 23:59",
        "2025-09-30",
        "2025-12-31 23:59",
        "2026-06-30",
    ):
        assert full_summary(other_store, when) == full_summary(store, when), when
    assert csv_text(transfer.export_ledger(other_store)) == exported


def test_round_trip_keeps_voids_with_their_time_and_reason(store, other_store, sample_csv):
    load_sample_with_voids(store, sample_csv)
    define_sample_types(other_store)

    transfer.import_ledger(other_store, csv_text(transfer.export_ledger(store)))

    voided = other_store.query(
        "SELECT e.ref, e.voided_at, e.void_reason, u.username FROM entries e"
        " JOIN users u ON u.id = e.voided_by WHERE e.voided_at IS NOT NULL"
        " ORDER BY e.voided_at"
    )
    assert [tuple(row) for row in voided] == [
        (None, "2025-02-01T10:00:00Z", "Entered twice", "coach"),
        ("order-1005", "2025-03-01T10:00:00Z", "Refund", "coach"),
    ]
    assert full_summary(other_store, "2025-03-01 12:00")[0]["voided"] == 3000


def test_export_keeps_price_source_and_never(store, other_store):
    define_sample_types(store)
    ann = directory.add_contact(store, "Ann Lee", "ann@example.com")["id"]
    session = directory.find_type(store, "Session")
    coach = directory.add_user(store, "coach")["id"]
    ledger.issue(
        store,
        ann,
        session,
        10_000,
        user_id=coach,
        source="purchase",
        at=clock.parse_when("2025-01-05 10:00"),
        unit_price=8050,
        currency="EUR",
        ref="order-1",
    )
    ledger.issue(
        store,
        ann,
        session,
        1000,
        user_id=coach,
        note="Gift",
        expires=clock.parse_expiry("never"),
        at=clock.parse_when("2025-01-06 10:00"),
    )
    exported = csv_text(transfer.export_ledger(store))
    define_sample_types(other_store)

    transfer.import_ledger(other_store, exported)

    rows = list(csv.DictReader(io.StringIO(csv_text(transfer.export_ledger(other_store)))))
    assert (rows[0]["source"], rows[0]["unit_price"], rows[0]["currency"]) == (
        "purchase",
        "80.50",
        "EUR",
    )
    assert (rows[0]["expires"], rows[1]["expires"]) == ("2025-07-05", "never")
    assert rows[1]["source"] == "manual"


# Export ---------------------------------------------------------------------------------


def small_ledger(store) -> dict[str, int]:
    define_sample_types(store)
    ann = directory.add_contact(store, "Ann Lee", "Ann@Example.com")["id"]
    coach = directory.add_user(store, "coach")["id"]
    session = directory.find_type(store, "Session")
    consult = directory.find_type(store, "Consult")
    ledger.issue(
        store, ann, session, 5000, user_id=coach, at=clock.parse_when("2025-03-01 09:00")
    )
    ledger.issue(
        store, ann, consult, 2000, user_id=coach, at=clock.parse_when("2025-03-02 09:00")
    )
    ledger.consume(
        store,
        ann,
        session,
        500,
        user_id=coach,
        note='=HYPERLINK("x")',
        at=clock.parse_when("2025-03-03 09:00"),
    )
    return {"ann": ann, "coach": coach}


def test_export_csv_columns_dates_and_neutralised_cells(store):
    small_ledger(store)

    lines = csv_text(transfer.export_ledger(store)).splitlines()

    assert lines[0] == (
        "kind,date,contact_email,contact_name,type,amount,expires,note,by,"
        "ref,entry,source,voided_at,voided_by,void_reason,unit_price,"
        "currency"
    )
    assert lines[1] == (
        "issue,2025-03-01T09:00:00+00:00,Ann@Example.com,Ann Lee,Session,"
        "5,2025-09-01,,coach,,1,manual,,,,,"
    )
    assert lines[2].startswith("issue,2025-03-02T09:00:00+00:00,") and ",never," in lines[2]
    assert lines[3] == (
        "consume,2025-03-03T09:00:00+00:00,Ann@Example.com,Ann Lee,"
        'Session,0.5,,"\'=HYPERLINK(""x"")",coach,,3,,,,,,'
    )


def test_export_json_has_null_for_never_and_numbers_for_points(store):
    small_ledger(store)

    records = json.loads(render_json(transfer.export_ledger(store, never=None)))

    assert [r["expires"] for r in records] == ["2025-09-01", None, None]
    assert records[2]["amount"] == 0.5 and records[2]["note"] == '=HYPERLINK("x")'


def test_export_between_dates_counts_whole_days(store):
    small_ledger(store)

    start = clock.parse_start("2025-03-02")
    rows = transfer.export_ledger(store, start, clock.parse_when("2025-03-02")).rows

    assert [row["entry"] for row in rows] == [2]


@pytest.mark.parametrize("start", FORMULA_STARTS)
def test_import_takes_off_the_quote_export_put_on(store, other_store, start):
    small_ledger(store)
    ann = directory.contact_by_email(store, "ann@example.com")["id"]
    note = f"{start}1+1 then text"
    ledger.issue(
        store,
        ann,
        directory.find_type(store, "Session"),
        1000,
        user_id=1,
        note=note,
        at=clock.parse_when("2025-03-04 09:00"),
    )
    define_sample_types(other_store)

    transfer.import_ledger(other_store, csv_text(transfer.export_ledger(store)))

    notes = [r["note"] for r in other_store.query("SELECT note FROM entries ORDER BY at")]
    assert notes == [None, None, '=HYPERLINK("x")', note]


# Import rules ---------------------------------------------------------------------------


def test_bad_rows_are_all_reported_by_line_and_nothing_is_written(store):
    define_sample_types(store)
    text = HEADER + (
        "issue,2025-01-05 10:00,ann@example.com,Ann,Session,10,,ok,coach,\n"  # 2, fine
        "isue,2025-01-05 10:00,ann@example.com,Ann,Session,1,,,,\n"  # 3
        "consume,12/04/2025,ann@example.com,Ann,Session,1,,,,\n"  # 4
        'issue,2025-01-05,ann@example.com,Ann,Session,1,,"a note\n'
        'on two lines",,\n'  # 5-6, fine
        'consume,2025-01-06,ann@example.com,Ann,Session,"1,5",,,,\n'  # 7
        "consume,2025-01-06,not-an-email,Ann,Session,1,,,,\n"  # 8
        "issue,2025-01-06,ann@example.com,Ann,Yoga,1,,,,\n"  # 9
        "issue,2025-01-06,ann@example.com,Ann,Session,1,soon,,,\n"  # 10
        "consume,2025-01-06,ann@example.com,Ann,Session,,,,,\n"  # 11
        "consume,2025-01-06,ann@example.com,Ann,Session,0.0001,,,,\n"  # 12
    )

    with pytest.raises(InvalidInput) as raised:
        transfer.import_ledger(store, text)

    message = str(raised.value)
    assert message.startswith("8 row(s) cannot be imported, so nothing was written")
    for expected in [
        "line 3: kind 'isue' is not issue or consume",
        "line 4: date: '12/04/2025' is ambiguous",
        "line 7: amount '1,5' is not a number of points",
        "line 8: 'not-an-email' is not an email address",
        "line 9: no point type 'Yoga'",
        "Known types: Session, Group class, Consult",
        "line 10: expiry 'soon' is not understood",
        "line 11: amount is empty",
        "line 12: amount '0.0001' has more than three decimal places",
    ]:
        assert expected in message
    assert "line 2:" not in message and "line 5:" not in message
    assert count(store, "entries") == count(store, "contacts") == count(store, "users") == 0


def test_lines_with_the_same_problem_are_listed_together(store):
    define_sample_types(store)
    rows = "".join(
        f"issue,2025-01-0{day},ann@example.com,Ann,Yoga,1,,,,\n" for day in range(1, 5)
    )

    with pytest.raises(InvalidInput, match=r"lines 2-5: no point type 'Yoga'"):
        transfer.import_ledger(store, HEADER + rows)


@pytest.mark.parametrize(
    "header, problem",
    [
        ("kind,date,contact_email,type\n", "lacks the required column(s) amount"),
        ("kind,date,contact_email,type,amount,expirs\n", "unknown column(s) 'expirs'"),
        ("kind,date,contact_email,type,amount,note,Note\n", "names note more than once"),
        ("kind;date;contact_email;type;amount\n", "has ';' between columns"),
    ],
)
def test_header_problems_name_the_columns(store, header, problem):
    define_sample_types(store)

    with pytest.raises(InvalidInput, match="line 1: the header") as raised:
        transfer.import_ledger(store, header + "issue,2025-01-05,a@example.com,Session,1\n")

    assert problem in str(raised.value)


def test_empty_file_is_refused(store):
    with pytest.raises(InvalidInput, match="the file is empty"):
        transfer.import_ledger(store, "\ufeff\n")


def test_only_required_columns_in_any_order_and_a_bom(store):
    define_sample_types(store)
    text = (
        "\ufeffAmount,Type,contact_email,date,kind\n"
        "10,sessions,NEW.client@example.com,2025-01-05 10:00,issue\n"
        "1,SESSION,new.client@example.com,2025-01-06 10:00,consume\n"
    )

    result = transfer.import_ledger(store, text)

    assert (result.issues, result.consumptions, result.contacts_created) == (1, 1, 1)
    contact = directory.contact_by_email(store, "new.client@example.com")
    assert (contact["name"], contact["email"]) == ("NEW.client", "NEW.client@example.com")
    # Nobody named in `by`: the default user (admin, made on first write) records them.
    assert result.users_created == 1
    assert directory.default_user(store)["username"] == "admin"


def test_rows_are_applied_in_date_order_then_file_order(store):
    define_sample_types(store)
    text = HEADER + (
        "consume,2025-01-06 10:00,ann@example.com,Ann,Session,1,,second,,\n"
        "consume,2025-01-06 10:00,ann@example.com,Ann,Session,1,,third,,\n"
        "issue,2025-01-05 10:00,ann@example.com,Ann,Session,2,,first,,\n"
    )

    transfer.import_ledger(store, text)

    notes = [r["note"] for r in store.query("SELECT note FROM entries ORDER BY id")]
    assert notes == ["first", "second", "third"]


def test_overdraw_names_the_line_and_writes_nothing(store):
    define_sample_types(store)
    text = HEADER + (
        "issue,2025-01-05 10:00,ann@example.com,Ann,Session,1,,,,\n"
        "consume,2025-01-06 10:00,ann@example.com,Ann,Session,1.5,,,,\n"
    )

    with pytest.raises(Refused, match=r"^line 3: Ann <ann@example.com> has 1 Session "):
        transfer.import_ledger(store, text)

    assert count(store, "entries") == count(store, "contacts") == 0


def test_future_rows_and_archived_types_are_refused(store):
    define_sample_types(store)
    directory.archive_type(store, "Consult")
    text = HEADER + (
        "issue,2999-01-05 10:00,ann@example.com,Ann,Session,1,,,,\n"
        "issue,2025-01-05 10:00,ann@example.com,Ann,Consult,1,,,,\n"
    )

    with pytest.raises(InvalidInput) as raised:
        transfer.import_ledger(store, text)

    assert "line 2: date '2999-01-05 10:00' is in the future" in str(raised.value)
    assert "line 3: point type 'Consult' is archived" in str(raised.value)


def test_expiry_column_takes_a_date_never_or_the_default(store):
    define_sample_types(store)
    text = HEADER + (
        "issue,2025-01-05 10:00,ann@example.com,Ann,Session,1,2025-02-28,,,\n"
        "issue,2025-01-05 10:00,ann@example.com,Ann,Session,1,never,,,\n"
        "issue,2025-01-05 10:00,ann@example.com,Ann,Session,1,,,,\n"
    )

    transfer.import_ledger(store, text)

    expiries = [
        r["expires_on"] for r in store.query("SELECT expires_on FROM entries ORDER BY id")
    ]
    assert expiries == ["2025-02-28", None, "2025-07-05"]


def test_users_named_in_the_file_are_created_once(store):
    define_sample_types(store)
    directory.add_user(store, "coach")
    text = HEADER + (
        "issue,2025-01-05 10:00,ann@example.com,Ann,Session,2,,,Coach,\n"
        "consume,2025-01-06 10:00,ann@example.com,Ann,Session,1,,,sam,\n"
        "consume,2025-01-07 10:00,ann@example.com,Ann,Session,1,,,SAM,\n"
    )

    result = transfer.import_ledger(store, text)

    assert result.users_created == 1
    assert [u["username"] for u in directory.list_users(store)] == ["coach", "sam"]


def test_void_columns_recreate_the_void(store):
    define_sample_types(store)
    text = (
        "kind,date,contact_email,type,amount,voided_at,voided_by,void_reason\n"
        "issue,2025-01-05 10:00,ann@example.com,Session,2,,,\n"
        "consume,2025-01-06 10:00,ann@example.com,Session,2,2025-01-07 09:00,sam,"
        "Twice\n"
        "consume,2025-01-08 10:00,ann@example.com,Session,2,,,\n"
    )

    result = transfer.import_ledger(store, text)

    assert result.voids == 1 and result.consumptions == 2
    voided = store.one("SELECT * FROM entries WHERE voided_at IS NOT NULL")
    assert (voided["id"], voided["voided_at"], voided["void_reason"]) == (
        2,
        "2025-01-07T09:00:00Z",
        "Twice",
    )


def test_a_void_before_its_entry_is_a_bad_row(store):
    define_sample_types(store)
    text = (
        "kind,date,contact_email,type,amount,voided_at\n"
        "issue,2025-01-05 10:00,ann@example.com,Session,2,2025-01-04\n"
    )

    with pytest.raises(InvalidInput, match="line 2: voided_at is before the entry's date"):
        transfer.import_ledger(store, text)


def test_dry_run_reports_and_writes_nothing(store, sample_csv):
    define_sample_types(store)

    text = sample_csv.read_text(encoding="utf-8")

    result = transfer.import_ledger(store, text, dry_run=True)

    assert result.dry_run and (result.issues, result.consumptions) == (194, 821)
    assert result.contacts_created == 84
    assert count(store, "entries") == count(store, "contacts") == count(store, "users") == 0
    assert count(store, "refs") == 0


def test_progress_is_reported_as_rows_are_applied(store, sample_csv):
    define_sample_types(store)
    calls = []

    transfer.import_ledger(
        store,
        sample_csv.read_text(encoding="utf-8"),
        progress=lambda done, total: calls.append((done, total)),
    )

    assert len(calls) == 1015 and calls[0] == (1, 1015) and calls[-1] == (1015, 1015)


# Refs -----------------------------------------------------------------------------------

REFD = HEADER + (
    "issue,2025-01-05 10:00,ann@example.com,Ann,Session,5,,pack,,order-1\n"
    "consume,2025-01-06 10:00,ann@example.com,Ann,Session,1,,visit,,visit-1\n"
)


def test_importing_the_same_refs_twice_skips_them(store):
    define_sample_types(store)
    transfer.import_ledger(store, REFD)

    again = transfer.import_ledger(store, REFD)

    assert (again.skipped, again.issues, again.consumptions) == (2, 0, 0)
    assert count(store, "entries") == 2


def test_a_later_file_brings_only_its_new_rows_and_voids(store):
    define_sample_types(store)
    transfer.import_ledger(store, REFD)
    later = (
        "kind,date,contact_email,type,amount,note,ref,voided_at\n"
        "issue,2025-01-05 10:00,ann@example.com,Session,5,pack,order-1,\n"
        "consume,2025-01-06 10:00,ann@example.com,Session,1,visit,visit-1,2025-01-09\n"
        "issue,2025-01-10 10:00,ann@example.com,Session,1,single,order-2,\n"
    )

    result = transfer.import_ledger(store, later)

    assert (result.skipped, result.issues, result.voids) == (2, 1, 1)
    assert count(store, "entries") == 3


def test_a_ref_with_another_meaning_names_the_line(store):
    define_sample_types(store)
    transfer.import_ledger(store, REFD)
    changed = REFD.replace("Session,5,", "Session,6,")

    with pytest.raises(RefConflict, match=r"^line 2: --ref 'order-1' was already used"):
        transfer.import_ledger(store, changed)

    assert count(store, "entries") == 2


def test_a_ref_used_twice_in_one_file_for_different_rows_is_a_bad_row(store):
    define_sample_types(store)
    text = HEADER + (
        "issue,2025-01-05 10:00,ann@example.com,Ann,Session,5,,,,order-1\n"
        "issue,2025-01-05 10:00,ann@example.com,Ann,Session,5,,,,order-1\n"
        "issue,2025-01-05 10:00,bo@example.com,Bo,Session,5,,,,order-1\n"
    )

    with pytest.raises(InvalidInput, match="line 4: ref 'order-1' is already used by line"):
        transfer.import_ledger(store, text)


def test_reimporting_the_sample_skips_refs_and_refuses_the_rest_cleanly(store, sample_csv):
    load_sample(store, sample_csv)

    with pytest.raises(Refused) as raised:
        transfer.import_ledger(store, sample_csv.read_text(encoding="utf-8"))

    assert str(raised.value).startswith(
        "line 9: Xavier Núñez <xavier.nez18@example.com> has 0"
    )
    assert "rows without one cannot be recognised" in str(raised.value)
    assert count(store, "entries") == 1015


# The command line -------------------------------------------------------------------------


def define_types_cli(cli) -> None:
    for name, plural, expires in SAMPLE_TYPES:
        result = cli("type", "add", name, "--plural", plural, "--expires", expires)
        assert result.exit_code == 0, result.output


def test_cli_import_prints_a_summary_on_stderr(cli, sample_csv):
    define_types_cli(cli)

    result = cli("import", "ledger", sample_csv)

    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    assert result.stderr == (
        f"Imported 194 issues, 821 consumptions and 0 voids from {sample_csv}, "
        "with 84 new contacts and 2 new users.\n"
    )


def test_cli_dry_run_writes_nothing(cli, sample_csv, db_path):
    define_types_cli(cli)

    result = cli("import", "ledger", sample_csv, "--dry-run")

    assert result.exit_code == 0, result.output
    assert result.stderr.startswith("Dry run of ")
    assert result.stderr.endswith("; nothing was written.\n")
    assert cli("export", "ledger").stdout == transfer_header()


def transfer_header() -> str:
    return ",".join(column.key for column in transfer.LEDGER_COLUMNS) + "\n"


def test_cli_missing_file_is_a_message(cli):
    result = cli("import", "ledger", "no-such-file.csv")

    assert result.exit_code == 1
    assert result.stderr == (
        "Error: no file no-such-file.csv: give the path of a ledger CSV, or - for stdin\n"
    )


def test_cli_non_utf8_file_is_a_message(cli, tmp_path):
    latin = tmp_path / "latin.csv"
    row = "issue,2025-01-05,z@example.com,Zoë,Session,1,,,,\n"
    latin.write_bytes(HEADER.encode() + row.encode("latin-1"))

    result = cli("import", "ledger", latin)

    assert result.exit_code == 1
    assert "is not UTF-8 text" in result.stderr and "Traceback" not in result.output


def test_cli_bad_rows_exit_1_with_every_line(cli, tmp_path):
    define_types_cli(cli)
    bad = tmp_path / "bad.csv"
    bad.write_text(
        HEADER + "consume,13/04/2025,a@example.com,A,Session,1,,,,\n"
        "issue,2025-01-05,a@example.com,A,Yoga,1,,,,\n",
        encoding="utf-8",
    )

    result = cli("import", "ledger", bad)

    assert result.exit_code == 1
    assert result.stdout == ""
    assert "line 2: date: '13/04/2025' is ambiguous" in result.stderr
    assert "line 3: no point type 'Yoga'" in result.stderr


def test_cli_export_csv_and_json(cli, sample_csv):
    define_types_cli(cli)
    cli("import", "ledger", sample_csv)

    everything = cli("export", "ledger")
    march = cli(
        "export", "ledger", "--from", "2025-03-01", "--to", "2025-03-31", "-f", "json"
    )

    assert everything.exit_code == 0 and march.exit_code == 0, march.output
    assert everything.stderr == "" and len(everything.stdout.splitlines()) == 1016
    records = json.loads(march.stdout)
    assert records and all(r["date"].startswith("2025-03") for r in records)
    assert {r["expires"] for r in records if r["type"] == "Consult"} == {None}


def test_import_from_stdin_in_a_real_process(points_process, store, sample_csv):
    define_sample_types(store)
    text = "\ufeff" + sample_csv.read_text(encoding="utf-8")

    loaded = points_process("import", "ledger", "-", input=text)

    assert loaded.returncode == 0, loaded.stderr
    assert loaded.stdout == ""
    assert loaded.stderr == (
        "Imported 194 issues, 821 consumptions and 0 voids from standard input, "
        "with 84 new contacts and 2 new users.\n"
    )  # no progress bar: stderr is a pipe
    assert count(store, "entries") == 1015
