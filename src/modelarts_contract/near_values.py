"""Near-miss filter values (R10): values that differ from a value in the data by what real backends
blur, derived from the listing's names and namespaces (issue 19).

A trailing space (SQL's PAD SPACE collations), a leading space (trimming), changed case (case-
insensitive collations), the other Unicode normalisation form (NFC/NFD folding), fullwidth forms
(NFKC folding, MySQL's unicode_ci), `-`/`_`/`.` swapped (slug folding, LIKE wildcards), a prefix, a
suffix and an inner substring (prefix or LIKE matching where equality is due). R10 folds none of
them: an exact match returns exactly the groups whose value equals the near-miss, a substring match
those that contain it (by hand, from the listing: a near-miss that happens to exist still passes).
"""

from __future__ import annotations

import unicodedata
from collections import Counter
from collections.abc import Callable, Sequence

SEPARATORS = "-_."
_ROTATED = str.maketrans(SEPARATORS, SEPARATORS[1:] + SEPARATORS[:1])  # - -> _ -> . -> -
_FULLWIDTH = {code: code + 0xFEE0 for code in range(0x21, 0x7F)} | {0x20: 0x3000}


def other_normal_form(value: str) -> str:
    nfc = unicodedata.normalize("NFC", value)
    return unicodedata.normalize("NFD", value) if value == nfc else nfc


def recased(value: str) -> str:
    return value.upper() if value.upper() != value else value.lower()


FORMS: dict[str, Callable[[str], str]] = {
    "trailing space": lambda v: v + " ",
    "leading space": lambda v: " " + v,
    "case changed": recased,
    "other normalisation form": other_normal_form,
    "fullwidth": lambda v: v.translate(_FULLWIDTH),
    "separators swapped": lambda v: v.translate(_ROTATED),
    "prefix": lambda v: v[: max(1, len(v) // 2)],
    "suffix": lambda v: v[len(v) // 2 :],
    "inner substring": lambda v: v[1:-1],
}
# Where a form changes only values of a kind, it is derived from the most frequent value of that kind.
_NEEDS: dict[str, Callable[[str], bool]] = {
    "case changed": lambda v: recased(v) != v,
    "fullwidth": lambda v: any(0x20 <= ord(c) < 0x7F for c in v),
    "other normalisation form": lambda v: other_normal_form(v) != v,
    "separators swapped": lambda v: any(c in v for c in SEPARATORS),
    "inner substring": lambda v: len(v) > 2,
}


def most_frequent(samples: Sequence[str], wanted: Callable[[str], bool] = bool) -> str | None:
    """The value the most groups hold, ties to the smallest; None when none is `wanted`."""
    counts = Counter(s for s in samples if s and wanted(s))
    return min(counts, key=lambda s: (-counts[s], s)) if counts else None


def near_values(samples: Sequence[str], forms: Sequence[str] = tuple(FORMS)) -> dict[str, str]:
    """Per form ("trailing space of 'pytorch'"), its near-miss of a value in `samples`; forms that
    change no value of the data are left out."""
    found: dict[str, str] = {}
    for form in forms:
        value = most_frequent(samples, _NEEDS.get(form, bool))
        if value is None:
            continue
        near = FORMS[form](value)
        if near and near != value and near not in found.values():
            found[f"{form} of {value!r}"] = near
    return found
