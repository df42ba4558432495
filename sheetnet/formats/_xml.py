"""Streaming, hardened XML parsing shared by the zip-based formats (expat, no DOCTYPE)."""

from __future__ import annotations

import xml.parsers.expat

from ..errors import SheetnetError

CHUNK = 1 << 20


def _refuse_doctype(*_):
    # Spreadsheet XML never needs a DTD; refusing it shuts out entity expansion
    # ("billion laughs") and external entities in one place.
    raise SheetnetError("refusing XML with a DOCTYPE declaration (entities are not allowed)")


def parser(namespaces: bool = True):
    """A hardened expat parser: no DOCTYPE, hence no entities. Element names are 'uri}local'
    with namespaces, the qualified names as written ('table:table') without."""
    p = xml.parsers.expat.ParserCreate(namespace_separator="}" if namespaces else None)
    p.StartDoctypeDeclHandler = _refuse_doctype
    p.EntityDeclHandler = _refuse_doctype
    p.ExternalEntityRefHandler = _refuse_doctype
    return p


def parse(stream, start, end, text=None, member: str = "") -> None:
    """Feed a binary stream through expat with namespace-qualified names ('uri}local').

    start(name, attrs), end(name) and text(data) are called as the parser goes.
    """
    p = parser()
    p.StartElementHandler = start
    p.EndElementHandler = end
    if text is not None:
        p.CharacterDataHandler = text
    p.buffer_text = True
    p.buffer_size = CHUNK
    try:
        while chunk := stream.read(CHUNK):
            p.Parse(chunk, False)
        p.Parse(b"", True)
    except xml.parsers.expat.ExpatError as e:
        raise SheetnetError(f"{member or 'XML'} is not well-formed XML ({e})") from None


def escape(text: str) -> str:
    """Text or attribute value, escaped for XML."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
