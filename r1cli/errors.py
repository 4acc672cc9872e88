"""The one exception a user should ever see: a short message that names the problem and the fix."""


class UserError(Exception):
    """Bad input from the user (file, option, data). The CLI prints it as one line and exits with code 2."""

    exit_code = 2


class Interrupted(Exception):
    """Ctrl-C during a stage; the message says how to resume. The CLI prints it as one line and exits 130.

    Deliberately not a KeyboardInterrupt: the command-line framework turns those into a silent exit 130,
    and the user would never learn which folder holds the unfinished work."""

    exit_code = 130
