"""The one exception a user should ever see: a short message that names the problem and the fix."""


class UserError(Exception):
    """Bad input from the user (file, option, data). The CLI prints it as one line and exits with code 2."""

    exit_code = 2
