"""Recognise what a file really is and decode its text.

Centers save HTML, SpreadsheetML and tab-separated text under an ``.xls`` name,
and Excel on Chinese Windows writes GBK "CSV": trusting the extension or
guessing the encoding the wrong way round corrupts names silently, so both are
decided from the bytes.
"""

from __future__ import annotations

BIFF_MAGIC = b"\xd0\xcf\x11\xe0"
ZIP_MAGIC = b"PK\x03\x04"
UTF8_BOM = b"\xef\xbb\xbf"


class DecodeError(ValueError):
    """The bytes are neither UTF-8 nor GB18030 text."""


def decode(data: bytes) -> tuple[str, str]:
    """Text and the encoding used: UTF-8 (BOM or not) strictly first, then GB18030.

    GB18030 accepts almost any byte sequence, so trying it first would turn
    valid UTF-8 into plausible-looking nonsense; UTF-8 rejects GBK reliably.
    """
    if data.startswith(UTF8_BOM):
        try:
            return data[len(UTF8_BOM) :].decode("utf-8"), "utf-8-sig"
        except UnicodeDecodeError:
            pass
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030"), "gb18030"
    except UnicodeDecodeError:
        raise DecodeError("not UTF-8 or GB18030 text") from None


def _lead_text(data: bytes) -> str:
    """The first bytes as loosely decoded lowercase text, for markup checks only."""
    head = data[:4096]
    if head.startswith(UTF8_BOM):
        head = head[len(UTF8_BOM) :]
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return head.decode("utf-16", errors="ignore").lstrip().lower()
        except UnicodeDecodeError:  # pragma: no cover - errors="ignore"
            return ""
    return head.decode("latin-1").lstrip().lower()


def sniff(data: bytes) -> str:
    """The container by content: ``xls``, ``xlsx``, ``html``, ``xml``, ``mht`` or ``text``.

    ``D0 CF 11 E0`` is BIFF (legacy .xls), ``PK`` a zip (XLSX), a leading ``<``
    HTML or XML, a MIME header an MHT "web archive"; anything else is text.
    """
    if data.startswith(BIFF_MAGIC):
        return "xls"
    if data.startswith(ZIP_MAGIC):
        return "xlsx"
    lead = _lead_text(data)
    if lead.startswith("mime-version:") or (
        lead.startswith("content-") and "multipart/related" in lead
    ):
        return "mht"
    if lead.startswith("<"):
        if "<?mso-application" in lead or "urn:schemas-microsoft-com:office:spreadsheet" in lead:
            return "xml"
        if lead.startswith("<?xml") and "<html" not in lead:
            return "xml"
        return "html"
    return "text"
