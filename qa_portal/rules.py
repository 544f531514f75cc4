"""The error every service raises when a rule is broken, naming the form field it concerns."""


class RuleBroken(Exception):
    """The message is shown to the person; `field` names the form field it belongs next to."""

    def __init__(self, message: str, field: str = ""):
        super().__init__(message)
        self.field = field
