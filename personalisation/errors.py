"""Exceptions raised by :mod:`personalisation`.

Every error names what was wrong (the file, the row, the code, the year) so that a user
can fix the input.  All of them derive from :class:`PersonalisationError`; the ones
about bad values also derive from :class:`ValueError` (or :class:`KeyError` for unknown
labels) so that ordinary ``except ValueError`` code keeps working.
"""

from __future__ import annotations


class PersonalisationError(Exception):
    """Base class of every error raised by this package."""


class SourceFormatError(PersonalisationError, ValueError):
    """A raw file is not in the published format a reader expects.

    Examples: wrong file type, a missing sheet or column, a header row that is not where
    the publisher puts it, text in a numeric cell.
    """


class SchemaError(PersonalisationError, ValueError):
    """A tidy table breaks the tidy schema (see :mod:`personalisation.schema`)."""


class InvalidCountsError(SchemaError):
    """Counts or values that cannot be right: negative, infinite, or numerator > denominator.

    Raised by :mod:`personalisation.stats`; the message names the measure, the year and the
    councils.
    """


class UnknownCouncilError(PersonalisationError, KeyError):
    """A council code (or name) that the council register does not know."""

    def __str__(self) -> str:  # KeyError quotes its message; keep it readable
        return str(self.args[0]) if self.args else ""


class UnknownMeasureError(PersonalisationError, KeyError):
    """A measure id or published code that the measure registry does not know."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


class MissingYearError(PersonalisationError, KeyError):
    """A year that has no data for what was asked."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


class DataNotFoundError(PersonalisationError, FileNotFoundError):
    """Shipped data or a raw directory could not be found."""


class RawFileChangedError(PersonalisationError, ValueError):
    """A raw file differs from the registry of expected inputs (size or sha256).

    A partial download, an edited copy or a new release: the build refuses it until it is
    accepted deliberately (``personalisation build-data --accept-new-raw``).
    """


class SeriesBreakWarning(UserWarning):
    """A comparison over years crosses a series break of the measure registry
    (:attr:`personalisation.measures.Measure.breaks`): the definitions differ."""
