"""Streaming, hardened XML parsing shared by the zip-based formats (expat, no DOCTYPE)."""

from __future__ import annotations

import xml.parsers.expat

from ..errors import SheetnetError

CHUNK = 1 << 20
# The most bytes from a '<' to the next one (a tag, or a tag and the text after it). A cell
# holds at most 32,767 characters in Excel (72 kB of XML for a mixed text, 164 kB written as
# '&amp;'), a formula 8,192. A row of 16,384 columns of numbers and formulas takes 1 MB (.xlsx)
# to 2.9 MB (LibreOffice's .ods), but as runs of at most a few hundred bytes, read as they
# stream. expat holds a tag whole and, fed a chunk at a time, scans what it holds again at every
# chunk (2.5, the version Python bundles, has no reparse deferral): with this bound a tag costs
# it at most about LONGEST ** 2 / CHUNK / 2 bytes of scanning (128 MB, a tenth of a second), so
# that reading a part takes time linear in its length.
LONGEST = 1 << 24
# The most characters of text one cell or shared string gathers from its pieces: 32 times
# Excel's 32,767. A piece (a paragraph, a run of rich text, a <text:s/>) holds at least one, so
# that a cell of a million empty paragraphs, 9 MB of XML, is refused having grown the reader by
# some 75 MB.
LONGEST_TEXT = 1 << 20
_HEAD = 40  # bytes of a run too long that the message shows


def parser(member: str, namespaces: bool = True):
    """A hardened expat parser for the part named member: no DOCTYPE, hence no entities. Element
    names are 'uri}local' with namespaces, the qualified names as written ('table:table') without."""

    def refuse_doctype(*_):
        # Spreadsheet XML never needs a DTD; refusing it shuts out entity expansion
        # ("billion laughs") and external entities in one place.
        raise SheetnetError(f"{member}: refusing XML with a DOCTYPE declaration (entities are not allowed)")

    p = xml.parsers.expat.ParserCreate(namespace_separator="}" if namespaces else None)
    p.StartDoctypeDeclHandler = refuse_doctype
    p.EntityDeclHandler = refuse_doctype
    p.ExternalEntityRefHandler = refuse_doctype
    return p


def chunks(stream, member: str, size: int = CHUNK, where=None):
    """The bytes of a binary stream of XML, size (at most LONGEST) at a time; SheetnetError once
    a run from a '<' to the next one passes LONGEST bytes. where() gives the place being read for
    the message: (sheet, cell, near), near a phrase such as 'after row 7', any of them None."""
    run, head = 0, b""  # the bytes from the last '<' so far, and the first of them
    while chunk := stream.read(size):
        last = chunk.rfind(b"<")
        if last < 0:
            run += len(chunk)
            head += chunk[:_HEAD - len(head)]
        else:
            run, head = len(chunk) - last, chunk[last:last + _HEAD]
        if run > LONGEST:
            sheet, cell, near = where() if where else (None, None, None)
            raise SheetnetError(f"{member} holds a tag or text of more than {LONGEST:,} bytes"
                                f"{' ' + near if near else ''}, from {head.decode('utf-8', 'replace')!r}...",
                                sheet=sheet, cell=cell)
        yield chunk


def too_long(what: str, **where) -> SheetnetError:
    """The error for text gathered past LONGEST_TEXT characters: a cell's, a string's."""
    return SheetnetError(f"{what} holds more than {LONGEST_TEXT:,} characters of text", **where)


def parse(stream, start, end, text=None, member: str = "") -> None:
    """Feed a binary stream through expat with namespace-qualified names ('uri}local').

    start(name, attrs), end(name) and text(data) are called as the parser goes.
    """
    member = member or "XML"
    p = parser(member)
    p.StartElementHandler = start
    p.EndElementHandler = end
    if text is not None:
        p.CharacterDataHandler = text
    p.buffer_text = True
    p.buffer_size = CHUNK
    try:
        for chunk in chunks(stream, member):
            p.Parse(chunk, False)
        p.Parse(b"", True)
    except xml.parsers.expat.ExpatError as e:
        raise SheetnetError(f"{member} is not well-formed XML ({e})") from None


def escape(text: str) -> str:
    """Text or attribute value, escaped for XML."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
