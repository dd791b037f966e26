"""The core's exceptions: each is a refusal or bad input that a user can fix.

The CLI maps every PointsError to its message on stderr and exit code 1; anything
else is a bug and is allowed to surface as one.
"""


class PointsError(Exception):
    """A refused operation or bad input, with a message that names the fix."""


class InvalidInput(PointsError):
    """A value the user typed cannot be understood."""


class NotFound(PointsError):
    """A named contact, type, user, entry or product does not exist."""


class Refused(PointsError):
    """The ledger's rules forbid the operation (overdraw, double void, ...)."""


class RefConflict(PointsError):
    """A --ref key was already used for a write with a different meaning."""


class SchemaTooNew(PointsError):
    """The database was written by a newer pointscli than this one."""
