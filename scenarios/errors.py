"""The one exception type for a user's mistake (bad file, name, value or flag).

The CLI prints an ``InputError`` as a single line and exits with status 2; anything else is a
bug and keeps its traceback.
"""


class InputError(ValueError):
    """A user's input that cannot be used; the message names the problem and where it is."""
