"""The CLI's own writes and look-ups: types, contacts, users, issue, consume, void."""

import json
import re
import sqlite3
import stat
import subprocess
import sys


def setup_ann(cli):
    assert cli("type", "add", "Session", "--expires", "6 months").exit_code == 0
    assert cli("contact", "add", "Ann Lee", "--email", "Ann@Example.com").exit_code == 0


def entry_count(db_path) -> int:
    with sqlite3.connect(db_path) as conn:
        return conn.execute("SELECT COUNT(*) FROM entries").fetchone()[0]


def available(cli, contact="ann@example.com") -> list:
    result = cli("balance", contact, "--format", "json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_messages_go_to_stderr_and_data_to_stdout(cli):
    result = cli("type", "add", "Session", "--expires", "6 months")

    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    assert (
        "Added point type #1 Session (Sessions), valid 6 months from issue."
        in result.stderr
    )


def test_issue_consume_fractions_exactly(cli):
    setup_ann(cli)
    assert cli("issue", "ann@example.com", "0.3", "--at", "2025-01-05 10:00").exit_code == 0

    for _ in range(3):
        result = cli("consume", "ANN@example.com", "0.1", "--at", "2025-01-06 10:00")
        assert result.exit_code == 0, result.output

    assert "0 Sessions available now" in result.stderr
    assert available(cli)[0]["available"] == 0
    assert json.loads(cli("outstanding", "--format", "json").stdout) == []


def test_negative_amount_is_refused_clearly_and_writes_nothing(cli, db_path):
    setup_ann(cli)

    result = cli("consume", "ann@example.com", "-1")

    assert result.exit_code == 1
    assert "'-1' is not a number of points" in result.stderr
    assert "Traceback" not in result.output
    assert entry_count(db_path) == 0


def test_overdraw_names_the_balance_and_writes_nothing(cli, db_path):
    setup_ann(cli)
    cli("issue", "ann@example.com", "2")

    result = cli("consume", "ann@example.com", "2.5")

    assert result.exit_code == 1
    assert "has 2 Sessions available" in result.stderr
    assert entry_count(db_path) == 1


def test_retried_issue_with_ref_issues_once(cli, db_path):
    setup_ann(cli)
    first = cli("issue", "ann@example.com", "10", "--ref", "order-1001")
    again = cli("issue", "ann@example.com", "10", "--ref", "order-1001")
    different = cli("issue", "ann@example.com", "5", "--ref", "order-1001")

    assert first.exit_code == 0 and again.exit_code == 0, again.output
    assert "nothing written" in again.stderr
    assert different.exit_code == 1
    assert "already used" in different.stderr
    assert entry_count(db_path) == 1
    assert available(cli)[0]["available"] == 10


def test_void_consumption_restores_balance(cli):
    setup_ann(cli)
    cli("issue", "ann@example.com", "3")
    cli("consume", "ann@example.com", "1")

    result = cli("void", "#2", "--reason", "Entered twice")

    assert result.exit_code == 0, result.output
    assert "Voided entry #2" in result.stderr
    assert available(cli)[0]["available"] == 3
    assert cli("void", "2").exit_code == 1


def test_unknown_contact_suggests_the_closest_name(cli):
    setup_ann(cli)

    result = cli("consume", "Ann Leee", "1")

    assert result.exit_code == 1
    assert "Did you mean: Ann Lee?" in result.stderr


def test_ambiguous_name_lists_the_candidates(cli):
    setup_ann(cli)
    cli("contact", "add", "Ann Moss", "--email", "moss@example.com")

    result = cli("balance", "Ann")

    assert result.exit_code == 1
    assert "matches 2 contacts" in result.stderr and "moss@example.com" in result.stderr


def test_unknown_type_lists_the_known_ones(cli):
    setup_ann(cli)

    result = cli("issue", "ann@example.com", "1", "--type", "Sesion")

    assert result.exit_code == 1
    assert (
        "Did you mean: Session?" in result.stderr
        and "Known types: Session" in result.stderr
    )


def test_ambiguous_date_is_refused_with_a_hint(cli, db_path):
    setup_ann(cli)

    for text in ("12/04/2025", "13/04/2025"):
        result = cli("issue", "ann@example.com", "1", "--at", text)
        assert result.exit_code == 1
        assert "write the year first (2025-04-12)" in result.stderr
    assert entry_count(db_path) == 0


def test_create_adds_an_unknown_email_in_the_same_write(cli):
    cli("type", "add", "Session")

    result = cli("issue", "new@example.com", "1", "--create", "--name", "New Client")

    assert result.exit_code == 0, result.output
    shown = json.loads(cli("contact", "show", "NEW@example.com", "--format", "json").stdout)
    assert shown[0]["name"] == "New Client"


def test_first_user_is_the_default_and_can_be_changed(cli):
    cli("user", "add", "coach")
    cli("user", "add", "sam")
    assert json.loads(cli("user", "list", "-f", "json").stdout)[0]["default"] == "yes"

    assert cli("config", "set", "default-user", "SAM").exit_code == 0
    settings = json.loads(cli("config", "show", "-f", "json").stdout)
    assert {"key": "default-user", "value": "sam"} in settings
    assert cli("config", "set", "default-user", "nobody").exit_code == 1


def test_duplicate_email_in_another_case_is_refused(cli):
    setup_ann(cli)

    result = cli("contact", "add", "Someone", "--email", "ANN@EXAMPLE.COM")

    assert result.exit_code == 1
    assert "already belongs to contact #1" in result.stderr


def test_database_file_is_private(cli, db_path):
    cli("type", "list")

    assert stat.S_IMODE(db_path.stat().st_mode) == 0o600


def test_subprocess_write_is_visible_to_a_new_process(points_process):
    assert points_process("type", "add", "Session").returncode == 0
    assert (
        points_process("contact", "add", "Ann", "--email", "a@example.com").returncode == 0
    )
    assert points_process("issue", "a@example.com", "2").returncode == 0

    result = points_process("balance", "a@example.com", "--format", "json")

    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)[0]["available"] == 2


def test_usage_errors_exit_2_and_help_works(points_process):
    assert points_process("consume").returncode == 2
    assert points_process("-h").returncode == 0
    assert "issue" in points_process("--help").stdout


def test_balance_json_path_loads_no_heavy_modules(points_process):
    points_process("type", "add", "Session")
    points_process("contact", "add", "Ann", "--email", "a@example.com")

    timed = subprocess.run(
        [
            sys.executable,
            "-X",
            "importtime",
            "-m",
            "pointscli",
            "balance",
            "a@example.com",
            "--format",
            "json",
        ],
        capture_output=True,
        text=True,
    )
    assert timed.returncode == 0, timed.stderr
    loaded = {line.split("|")[-1].strip() for line in timed.stderr.splitlines()}
    assert not {"rich", "sqlite_utils", "pydantic", "dateutil.parser"} & loaded


def test_a_future_day_is_refused_for_writes_not_taken_as_now(cli, db_path):
    setup_ann(cli)

    result = cli("issue", "ann@example.com", "1", "--at", "2999-01-01")

    assert result.exit_code == 1
    assert "is in the future" in result.stderr
    assert entry_count(db_path) == 0


def test_piped_table_aligns_wide_characters(cli):
    from pointscli.render import _width

    cli("contact", "add", "李娜", "--email", "li@example.com")
    cli("contact", "add", "Zoë Brandt", "--email", "zoe@example.com")

    lines = [
        line for line in cli("contact", "list").stdout.splitlines() if "example.com" in line
    ]

    starts = {_width(line[: re.search(r"\S+@example", line).start()]) for line in lines}
    assert len(lines) == 2 and len(starts) == 1


def test_out_of_range_input_is_refused_without_traceback(points_process):
    points_process("type", "add", "Session")
    points_process("contact", "add", "Ann", "--email", "a@example.com")

    for args in (
        ("issue", "a@example.com", "99999999999999999999"),
        ("issue", "a@example.com", "１"),
        ("issue", "a@example.com", "1", "--at", "0001-01-01"),
        ("balance", "a@example.com", "--as-of", "9999-12-31"),
        ("issue", "a@example.com", "1", "--expires", "999999 years"),
        ("type", "add", "Forever", "--expires", "99999 years"),
        ("void", "99999999999999999999"),
        ("contact", "show", "99999999999999999999"),
    ):
        result = points_process(*args)
        assert result.returncode == 1, (args, result.stderr)
        assert result.stderr.startswith("Error: ") and "Traceback" not in result.stderr, args


def test_control_characters_in_notes_are_shown_escaped(cli):
    setup_ann(cli)
    cli("issue", "ann@example.com", "1", "--note", "a\x1b]0;pwned\x07b\x1b[2J")

    shown = cli("statement", "ann@example.com").stdout

    assert "\x1b" not in shown and "\x07" not in shown
    assert "a\\x1b]0;pwned\\x07b" in shown
