"""ISO 11649 structured creditor references ("RF references") for bank transfers.

A bank transfer is matched to its top-up by the reference the payer copies into the transfer.
An RF reference carries two check digits (ISO 7064 mod 97-10, as in an IBAN), so a typo is
caught by the payer's banking app and a reference found in free text is very unlikely to be
a chance string. Banks carry it in the structured remittance field (CAMT `CdtrRefInf`) when
the payer used that field, and otherwise somewhere in the free text, often spaced in groups of
four as printed: `find_rf_references` finds it there.

Compact form ("RF18539007547034") is what we store and compare; `rf_format` groups it by four
for print ("RF18 5390 0754 7034").
"""

from __future__ import annotations

import re

from stdnum import iso11649
from stdnum.iso7064 import mod_97_10

BODY_MAX = 21  # RF + 2 check digits + at most 21 characters = 25
_BODY = re.compile(r"[0-9A-Z]{1,21}")
# Where a reference may start: "RF" and two digits, not inside a longer word.
_START = re.compile(r"(?<![0-9A-Za-z])[Rr][Ff][0-9]{2}")
# The words after it, each alphanumeric, separated by whitespace (line breaks included: banks
# wrap remittance text at fixed widths).
_WORD = re.compile(r"\s*([0-9A-Za-z]+)")
_ALNUM = re.compile(r"[0-9A-Za-z]*")


def rf_reference(*, body: str) -> str:
    """The compact RF reference for `body` (letters and digits, at most 21), with its check
    digits: rf_reference(body="539007547034") == "RF18539007547034". The body is upper-cased;
    spaces are dropped."""
    compact = "".join(body.split()).upper()
    if not _BODY.fullmatch(compact):
        raise ValueError(f"an RF reference body is 1 to {BODY_MAX} letters or digits: {body!r}")
    reference = "RF" + mod_97_10.calc_check_digits(compact + "RF") + compact
    assert iso11649.is_valid(reference)  # the library's own check agrees with ours
    return reference


def rf_valid(ref: str) -> bool:
    """Whether `ref` is a valid RF reference (spaces and case ignored)."""
    compact = rf_compact(ref)
    return bool(
        compact[2:4].isdigit() and _BODY.fullmatch(compact[4:]) and iso11649.is_valid(compact)
    )


def rf_compact(ref: str) -> str:
    """The reference without spaces or separators, upper case (valid or not)."""
    return iso11649.compact(ref)


def rf_format(ref: str) -> str:
    """The reference in groups of four, as printed on the proforma: "RF18 5390 0754 7034"."""
    return iso11649.format(ref)


def find_rf_references(text: str) -> list[str]:
    """The valid RF references in free remittance text, compact, in the order found, each once.

    A reference may be written compact or spaced ("rf18 5390 0754 7034"), in any case, and may
    be wrapped over lines. Where the words after "RFnn" could belong to it, the reading that is
    valid and looks most like a written reference wins: first the printed shape (groups of
    four) or a single word, then the longest. A word that merely follows a reference is taken
    into it only when the check digits happen to hold for the longer string, and then only if
    the shorter reading is not valid itself.
    """
    found: list[str] = []
    for start in _START.finditer(text):
        words = [start.group(0) + _rest_of_word(text, start.end())]
        position = start.end() + len(words[0]) - len(start.group(0))
        length = len(words[0])
        while length < 25:
            word = _WORD.match(text, position)
            if word is None:
                break
            words.append(word.group(1))
            position = word.end()
            length += len(word.group(1))
        best = _best_reading(words)
        if best and best not in found:
            found.append(best)
    return found


def _rest_of_word(text: str, position: int) -> str:
    return _ALNUM.match(text, position).group(0)


def _best_reading(words: list[str]) -> str:
    """Of the readings words[:1], words[:2], …, the valid one in the printed shape, else the
    longest valid one; "" when none is valid."""
    valid: list[tuple[bool, int, str]] = []
    joined = ""
    for count, word in enumerate(words, start=1):
        joined += word
        if len(joined) > 25:
            break
        candidate = joined.upper()
        if rf_valid(candidate):
            valid.append((_printed_shape(words[:count]), len(candidate), candidate))
    if not valid:
        return ""
    return max(valid)[2]


def _printed_shape(words: list[str]) -> bool:
    """One word, or words of four with a shorter last one: how references are written."""
    if len(words) == 1:
        return True
    return all(len(word) == 4 for word in words[:-1]) and 1 <= len(words[-1]) <= 4
