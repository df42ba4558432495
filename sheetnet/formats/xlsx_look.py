"""The look of an Office Open XML workbook: cell styles, column widths, frozen panes, charts.

Cell styles are the cellXfs of xl/styles.xml, one per name of
:data:`~sheetnet.formats.styles.STYLES` (index 0 stays the default). A sheet's charts live in
one drawing part (``xl/drawings/drawingN.xml``) that anchors a chart part
(``xl/charts/chartK.xml``) per chart; the sheet points at its drawing through its own
relationships part.
"""

from __future__ import annotations

from ..expression import quoted
from ..grid import column_letters, parse_address
from ._xml import escape
from .styles import CHART_NAME, STYLES, Chart, Series, colour, width

EMU_PER_MM = 36_000

_FORMATS = {"scientific": (164, "0.0000E+00")}  # style number -> (numFmtId, format code)

REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
DRAWING_TYPE = "application/vnd.openxmlformats-officedocument.drawing+xml"
CHART_TYPE = "application/vnd.openxmlformats-officedocument.drawingml.chart+xml"


def _argb(colour: str) -> str:
    return "FF" + colour.lstrip("#").upper()


def _styles():
    """(styles.xml, {style name: cellXfs index})."""
    fonts, fills, borders, xfs, index = ["<font><sz val=\"11\"/><name val=\"Calibri\"/></font>"], [], [], [], {}
    for name, s in STYLES.items():
        font = 0
        if s.bold or s.italic or s.size:
            fonts.append("<font>" + ("<b/>" if s.bold else "") + ("<i/>" if s.italic else "")
                         + f'<sz val="{s.size or 11}"/><name val="Calibri"/></font>')
            font = len(fonts) - 1
        fill = 0
        if s.fill:
            fills.append(f'<fill><patternFill patternType="solid"><fgColor rgb="{_argb(s.fill)}"/>'
                         '<bgColor indexed="64"/></patternFill></fill>')
            fill = len(fills) + 1  # after the two fills every styles.xml starts with
        border = 0
        if s.border:
            side = f'style="thin"><color rgb="{_argb(s.border)}"/>'
            borders.append(f"<border><left {side}</left><right {side}</right><top {side}</top>"
                           f"<bottom {side}</bottom><diagonal/></border>")
            border = len(borders)
        number = _FORMATS[s.number][0] if s.number else 0
        align = '<alignment horizontal="center"/>' if s.center else ""
        xfs.append(f'<xf numFmtId="{number}" fontId="{font}" fillId="{fill}" borderId="{border}" xfId="0" '
                   f'applyNumberFormat="{int(bool(number))}" applyFont="{int(bool(font))}" '
                   f'applyFill="{int(bool(fill))}" applyBorder="{int(bool(border))}"'
                   + (f' applyAlignment="1">{align}</xf>' if align else "/>"))
        index[name] = len(xfs)
    formats = "".join(f'<numFmt numFmtId="{n}" formatCode="{escape(code)}"/>' for n, code in _FORMATS.values())
    xml = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
           '<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
           f'<numFmts count="{len(_FORMATS)}">{formats}</numFmts>'
           f'<fonts count="{len(fonts)}">{"".join(fonts)}</fonts>'
           f'<fills count="{len(fills) + 2}"><fill><patternFill patternType="none"/></fill>'
           f'<fill><patternFill patternType="gray125"/></fill>{"".join(fills)}</fills>'
           f'<borders count="{len(borders) + 1}"><border><left/><right/><top/><bottom/><diagonal/></border>'
           f'{"".join(borders)}</borders>'
           '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
           f'<cellXfs count="{len(xfs) + 1}"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
           f'{"".join(xfs)}</cellXfs>'
           '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles></styleSheet>')
    return xml, index


STYLES_XML, _INDEX = _styles()


def style_index(name: str) -> int:
    """The s attribute of a cell of style `name`."""
    if name not in _INDEX:
        raise ValueError(f"unknown cell style {name!r}; use one of {', '.join(_INDEX)}")
    return _INDEX[name]


def sheet_head(widths=None, freeze=None, fit_page=False) -> str:
    """What comes between <worksheet> and <sheetData>: page fitting, the frozen pane, the columns."""
    head = '<sheetPr><pageSetUpPr fitToPage="1"/></sheetPr>' if fit_page else ""
    if freeze:
        row, col = parse_address(freeze)
        split = (f' xSplit="{col - 1}"' if col > 1 else "") + (f' ySplit="{row - 1}"' if row > 1 else "")
        pane = "bottomRight" if row > 1 and col > 1 else ("bottomLeft" if row > 1 else "topRight")
        head += (f'<sheetViews><sheetView workbookViewId="0"><pane{split} topLeftCell="{freeze}" '
                 f'activePane="{pane}" state="frozen"/><selection pane="{pane}" activeCell="{freeze}" '
                 f'sqref="{freeze}"/></sheetView></sheetViews>')
    if widths:
        head += "<cols>" + "".join(f'<col min="{k}" max="{k}" width="{width(w)}" customWidth="1"/>'
                                   for k, w in enumerate(widths, 1)) + "</cols>"
    return head


def sheet_tail(fit_page=False, drawing: str | None = None) -> str:
    """What follows </sheetData>: the page set-up and the drawing's relationship id."""
    tail = ""
    if fit_page:
        tail += ('<pageMargins left="0.4" right="0.4" top="0.4" bottom="0.4" header="0.2" footer="0.2"/>'
                 '<pageSetup paperSize="9" orientation="landscape" fitToWidth="1" fitToHeight="1"/>')
    if drawing:
        tail += f'<drawing r:id="{drawing}"/>'
    return tail


def relationships(targets) -> str:
    """A relationships part: rId1, rId2, ... for (type, target) pairs."""
    rels = "".join(f'<Relationship Id="rId{k}" Type="{REL}/{kind}" Target="{escape(target)}"/>'
                   for k, (kind, target) in enumerate(targets, 1))
    return ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            f'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">{rels}'
            "</Relationships>")


def drawing(charts, first_number: int) -> str:
    """A drawing part holding these charts; chart k links through rId{k+1}."""
    anchors = []
    for k, chart in enumerate(charts):
        row, col = parse_address(chart.anchor)
        anchors.append(
            f"<xdr:oneCellAnchor><xdr:from><xdr:col>{col - 1}</xdr:col><xdr:colOff>0</xdr:colOff>"
            f"<xdr:row>{row - 1}</xdr:row><xdr:rowOff>0</xdr:rowOff></xdr:from>"
            f'<xdr:ext cx="{round(chart.width * EMU_PER_MM)}" cy="{round(chart.height * EMU_PER_MM)}"/>'
            f'<xdr:graphicFrame macro=""><xdr:nvGraphicFramePr><xdr:cNvPr id="{k + 2}" '
            f'name="{escape(CHART_NAME.format(n=first_number + k))}"/><xdr:cNvGraphicFramePr/></xdr:nvGraphicFramePr>'
            '<xdr:xfrm><a:off x="0" y="0"/><a:ext cx="0" cy="0"/></xdr:xfrm><a:graphic>'
            '<a:graphicData uri="http://schemas.openxmlformats.org/drawingml/2006/chart">'
            f'<c:chart xmlns:c="http://schemas.openxmlformats.org/drawingml/2006/chart" r:id="rId{k + 1}"/>'
            "</a:graphicData></a:graphic></xdr:graphicFrame><xdr:clientData/></xdr:oneCellAnchor>")
    return ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<xdr:wsDr xmlns:xdr="http://schemas.openxmlformats.org/drawingml/2006/spreadsheetDrawing" '
            f'xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main" xmlns:r="{REL}">'
            + "".join(anchors) + "</xdr:wsDr>")


def _rich(text: str, size: int, bold: bool) -> str:
    return (f'<c:tx><c:rich><a:bodyPr/><a:p><a:pPr><a:defRPr sz="{size * 100}" b="{int(bold)}"/></a:pPr>'
            f'<a:r><a:rPr lang="en-US" sz="{size * 100}" b="{int(bold)}"/><a:t>{escape(text)}</a:t></a:r></a:p>'
            "</c:rich></c:tx>")


def _axis(ax: int, cross: int, position: str, title: str, log: bool, grid: bool, bounds=None) -> str:
    scaling = ('<c:logBase val="10"/>' if log else "") + '<c:orientation val="minMax"/>'
    if bounds:
        scaling += f'<c:max val="{bounds[1]!r}"/><c:min val="{bounds[0]!r}"/>'
    return (f'<c:valAx><c:axId val="{ax}"/><c:scaling>{scaling}</c:scaling><c:delete val="0"/>'
            f'<c:axPos val="{position}"/>'
            + ('<c:majorGridlines><c:spPr><a:ln><a:solidFill><a:srgbClr val="DDDDDD"/></a:solidFill></a:ln>'
               "</c:spPr></c:majorGridlines>" if grid else "")
            + (f'<c:title>{_rich(title, 10, False)}<c:overlay val="0"/></c:title>' if title else "")
            + '<c:numFmt formatCode="General" sourceLinked="0"/><c:majorTickMark val="out"/>'
            '<c:minorTickMark val="none"/><c:tickLblPos val="nextTo"/>'
            f'<c:crossAx val="{cross}"/><c:crosses val="autoZero"/><c:crossBetween val="midCat"/></c:valAx>')


def _series(k: int, line: Series, spec: Chart) -> str:
    """The k-th series of a chart: its name (a cell's, for a legend) and its values, as a line."""
    if line.name_at:
        sheet, cell = line.name_at
        row, col = parse_address(cell)
        name = (f"<c:tx><c:strRef><c:f>{escape(quoted(sheet))}!${column_letters(col)}${row}</c:f><c:strCache>"
                f'<c:ptCount val="1"/><c:pt idx="0"><c:v>{escape(line.name)}</c:v></c:pt></c:strCache></c:strRef></c:tx>')
    else:
        name = f"<c:tx><c:v>{escape(line.name or spec.y_title or spec.title)}</c:v></c:tx>"
    return (f'<c:ser><c:idx val="{k}"/><c:order val="{k}"/>{name}'
            f'<c:spPr><a:ln w="19050"><a:solidFill><a:srgbClr val="{colour(k)[1:]}"/></a:solidFill></a:ln></c:spPr>'
            '<c:marker><c:symbol val="none"/></c:marker>'
            f"<c:yVal><c:numRef><c:f>{escape(quoted(line.sheet))}!{line.absolute()}</c:f></c:numRef></c:yVal>"
            '<c:smooth val="0"/></c:ser>')


def chart(spec: Chart) -> str:
    """A chart part: each series a line against its position 1, 2, 3, ..., with a legend when the
    series have names."""
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<c:chartSpace xmlns:c="http://schemas.openxmlformats.org/drawingml/2006/chart" '
        f'xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main" xmlns:r="{REL}">'
        '<c:roundedCorners val="0"/><c:chart>'
        + (f'<c:title>{_rich(spec.title, 13, True)}<c:overlay val="0"/></c:title>' if spec.title else "")
        + '<c:autoTitleDeleted val="0"/><c:plotArea><c:layout/>'
        '<c:scatterChart><c:scatterStyle val="lineMarker"/><c:varyColors val="0"/>'
        + "".join(_series(k, line, spec) for k, line in enumerate(spec.series))
        + '<c:axId val="1"/><c:axId val="2"/></c:scatterChart>'
        + _axis(1, 2, "b", spec.x_title, False, False)
        + _axis(2, 1, "l", spec.y_title, spec.log, True, spec.bounds)
        + "</c:plotArea>"
        + ('<c:legend><c:legendPos val="r"/><c:overlay val="0"/></c:legend>' if spec.legend else "")
        + '<c:plotVisOnly val="1"/><c:dispBlanksAs val="gap"/></c:chart></c:chartSpace>')
