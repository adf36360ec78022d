"""The ways a run stops using its target, in one leaf module every layer may import.

The transport raises them, the checks raise `AnswerTooLarge`, the preflight `TargetUnreachable`, and
the pytest wiring turns them into exit statuses 6 and 7; none of them needs to import the other to
know what a stop is.
"""

from __future__ import annotations


class TransportRefused(RuntimeError):
    """The transport refused to send a request that would break R16."""


class SuiteStop(BaseException):
    """Ends the run's use of the target.

    A BaseException so that no `except Exception` swallows it and hypothesis re-raises it at once
    instead of shrinking (which would mean more requests, or more timeouts).
    """


class LimitReached(SuiteStop):
    """A limit the user set for the run is reached: what was checked stands, the rest is not run."""

    kind = "limit"


class BudgetExhausted(LimitReached):
    """The request budget (--max-requests) is spent."""

    kind = "request-budget"


class RunDeadlinePassed(LimitReached):
    """The run's time limit (--max-duration) is reached."""

    kind = "run-deadline"


class TargetUnreachable(SuiteStop):
    """The target cannot be used: connection refused, DNS, TLS, a timeout, an answer that does not
    finish in time or is not HTTP at all."""


class AnswerTooLarge(TargetUnreachable):
    """An answer larger than the byte cap that breaks no clause in what was read: the suite cannot
    judge what it does not read, so the run stops (a larger --max-response-bytes may be needed)."""
