"""The look of an OpenDocument spreadsheet: cell and column styles, frozen panes, charts.

content.xml is streamed, so every automatic style a sheet may use is declared before the
first table: the cell styles of :data:`~sheetnet.formats.styles.STYLES`, one column style
per width, and the table style that prints a sheet on one landscape page. A chart is an
embedded object (``sheetnet Chart N/content.xml``, listed in the manifest) placed by a
frame in the ``table:shapes`` of the sheet that shows it; LibreOffice draws it from the
cells its ranges name.
"""

from __future__ import annotations

from ..expression import quoted
from ..grid import parse_address
from ._xml import escape
from .styles import CHART_NAME, MAX_WIDTH, MIN_WIDTH, PREFIX, STYLES, Chart, colour, width

MM_PER_CHAR = 2.25  # a character of the default font and its share of padding, as LibreOffice reads .xlsx
DEFAULT_COLUMN_MM = 22.58  # LibreOffice's default column and row sizes
DEFAULT_ROW_MM = 4.52
FIT_TABLE = PREFIX + "fit"  # the table style of a sheet printed on one landscape page
FIT_PAGE = PREFIX + "fit-page"
CHART_FRAME = PREFIX + "chart"  # the graphic style of a chart's frame: no line around it

_NUMBER_STYLES = {
    "scientific": ('<number:scientific-number number:decimal-places="4" number:min-decimal-places="4" '
                   'number:min-integer-digits="1" number:min-exponent-digits="2"/>'),
}

NAMESPACES = (
    'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
    'xmlns:style="urn:oasis:names:tc:opendocument:xmlns:style:1.0" '
    'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" '
    'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
    'xmlns:draw="urn:oasis:names:tc:opendocument:xmlns:drawing:1.0" '
    'xmlns:fo="urn:oasis:names:tc:opendocument:xmlns:xsl-fo-compatible:1.0" '
    'xmlns:xlink="http://www.w3.org/1999/xlink" '
    'xmlns:number="urn:oasis:names:tc:opendocument:xmlns:datastyle:1.0" '
    'xmlns:svg="urn:oasis:names:tc:opendocument:xmlns:svg-compatible:1.0" '
    'xmlns:chart="urn:oasis:names:tc:opendocument:xmlns:chart:1.0" '
    'xmlns:of="urn:oasis:names:tc:opendocument:xmlns:of:1.2" '
    'xmlns:calcext="urn:org:documentfoundation:names:experimental:calc:xmlns:calcext:1.0" '
    'office:version="1.3"'
)


def cell_style(name: str) -> str:
    """The style name a cell of style `name` carries in content.xml."""
    if name not in STYLES:
        raise ValueError(f"unknown cell style {name!r}; use one of {', '.join(STYLES)}")
    return PREFIX + name


def automatic_styles() -> str:
    """Every automatic style a sheet may use, for content.xml's head."""
    parts = [f'<number:number-style style:name="{PREFIX}number-{kind}">{xml}</number:number-style>'
             for kind, xml in _NUMBER_STYLES.items()]
    for name, s in STYLES.items():
        data = f' style:data-style-name="{PREFIX}number-{s.number}"' if s.number else ""
        cell = ""
        if s.fill:
            cell += f' fo:background-color="{s.fill}"'
        if s.border:
            cell += f' fo:border="0.06pt solid {s.border}"'
        text = ""
        if s.bold:
            text += ' fo:font-weight="bold" style:font-weight-asian="bold" style:font-weight-complex="bold"'
        if s.italic:
            text += ' fo:font-style="italic" style:font-style-asian="italic" style:font-style-complex="italic"'
        if s.size:
            text += (f' fo:font-size="{s.size}pt" style:font-size-asian="{s.size}pt" '
                     f'style:font-size-complex="{s.size}pt"')
        parts.append(
            f'<style:style style:name="{PREFIX}{name}" style:family="table-cell" style:parent-style-name="Default"'
            f"{data}>"
            + (f"<style:table-cell-properties{cell}/>" if cell else "")
            + ('<style:paragraph-properties fo:text-align="center"/>' if s.center else "")
            + (f"<style:text-properties{text}/>" if text else "")
            + "</style:style>")
    for chars in range(MIN_WIDTH, MAX_WIDTH + 1):
        parts.append(f'<style:style style:name="{PREFIX}co{chars}" style:family="table-column">'
                     f'<style:table-column-properties style:column-width="{chars * MM_PER_CHAR:g}mm"/></style:style>')
    parts.append(f'<style:style style:name="{CHART_FRAME}" style:family="graphic">'
                 '<style:graphic-properties draw:stroke="none" draw:fill="none"/></style:style>')
    parts.append(f'<style:style style:name="{FIT_TABLE}" style:family="table" style:master-page-name="{FIT_PAGE}">'
                 '<style:table-properties table:display="true"/></style:style>')
    return "<office:automatic-styles>" + "".join(parts) + "</office:automatic-styles>"


def styles_xml() -> str:
    """styles.xml: the page that FIT_TABLE prints on (A4 landscape, everything scaled onto one page)."""
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n<office:document-styles {NAMESPACES}><office:styles/>'
            f'<office:automatic-styles><style:page-layout style:name="{FIT_PAGE}-layout">'
            '<style:page-layout-properties fo:page-width="297mm" fo:page-height="210mm" '
            'style:print-orientation="landscape" fo:margin="10mm" style:scale-to-X="1" style:scale-to-Y="1"/>'
            "</style:page-layout></office:automatic-styles><office:master-styles>"
            f'<style:master-page style:name="{FIT_PAGE}" style:page-layout-name="{FIT_PAGE}-layout"/>'
            "</office:master-styles></office:document-styles>")


def columns(widths) -> str:
    """The table-column elements for widths in characters from column 1 (runs of equal widths merged)."""
    runs = []
    for chars in map(width, widths or ()):
        if runs and runs[-1][0] == chars:
            runs[-1][1] += 1
        else:
            runs.append([chars, 1])
    return "".join(f'<table:table-column table:style-name="{PREFIX}co{chars}"'
                   + (f' table:number-columns-repeated="{n}"' if n > 1 else "") + "/>" for chars, n in runs)


def range_address(sheet: str, cells: str) -> str:
    """A range or a cell on a sheet as an ODF address: 'Sheet 1'.AA8:'Sheet 1'.AA1002."""
    return ":".join(f"{quoted(sheet)}.{part}" for part in cells.split(":"))


def chart_ranges(chart: Chart) -> str:
    """Every range a chart draws, separated by spaces."""
    return " ".join(range_address(s.sheet, s.values) for s in chart.series)


def shapes(charts, widths, first_number: int) -> tuple[str, list]:
    """The table:shapes of a sheet showing these charts, and [(object name, its content.xml)]."""
    if not charts:
        return "", []
    sizes = [width(w) * MM_PER_CHAR for w in (widths or ())]
    frames, objects = [], []
    for k, chart in enumerate(charts):
        name = CHART_NAME.format(n=first_number + k)
        row, col = parse_address(chart.anchor)
        x = sum(sizes[c] if c < len(sizes) else DEFAULT_COLUMN_MM for c in range(col - 1))
        y = (row - 1) * DEFAULT_ROW_MM
        ranges = chart_ranges(chart)
        frames.append(
            f'<draw:frame draw:z-index="{k}" draw:name="{escape(name)}" draw:style-name="{CHART_FRAME}" '
            f'svg:width="{chart.width:g}mm" svg:height="{chart.height:g}mm" svg:x="{x:.2f}mm" svg:y="{y:.2f}mm">'
            f'<draw:object draw:notify-on-update-of-ranges="{escape(ranges)}" xlink:href="./{escape(name)}" '
            'xlink:type="simple" xlink:show="embed" xlink:actuate="onLoad"/></draw:frame>')
        objects.append((name, chart_content(chart)))
    return "<table:shapes>" + "".join(frames) + "</table:shapes>", objects


def chart_content(chart: Chart) -> str:
    """The content.xml of a chart object: each series drawn as a line, in the palette's colours,
    with a legend when the series have names."""
    ranges = escape(chart_ranges(chart))
    title = lambda text, style: (f'<chart:title chart:style-name="{style}"><text:p>{escape(text)}</text:p>'
                                 "</chart:title>" if text else "")
    y_scale = f'chart:logarithmic="{"true" if chart.log else "false"}"'
    if chart.bounds:  # LibreOffice cannot scale a logarithmic axis by itself when a value is 0
        y_scale += f' chart:minimum="{chart.bounds[0]!r}" chart:maximum="{chart.bounds[1]!r}"'
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<office:document-content {NAMESPACES}>'
        "<office:automatic-styles>"
        '<style:style style:name="area" style:family="chart"><style:graphic-properties draw:stroke="none"/>'
        "</style:style>"
        '<style:style style:name="title" style:family="chart"><style:text-properties fo:font-size="13pt" '
        'fo:font-weight="bold"/></style:style>'
        '<style:style style:name="axis-title" style:family="chart"><style:text-properties fo:font-size="10pt"/>'
        "</style:style>"
        '<style:style style:name="x" style:family="chart"><style:chart-properties chart:display-label="true" '
        'chart:logarithmic="false"/><style:graphic-properties svg:stroke-color="#b3b3b3"/></style:style>'
        f'<style:style style:name="y" style:family="chart"><style:chart-properties chart:display-label="true" '
        f'{y_scale}/><style:graphic-properties svg:stroke-color="#b3b3b3"/></style:style>'
        '<style:style style:name="grid" style:family="chart"><style:graphic-properties svg:stroke-color="#dddddd"/>'
        "</style:style>"
        '<style:style style:name="wall" style:family="chart"><style:graphic-properties draw:stroke="solid" '
        'svg:stroke-color="#b3b3b3" draw:fill="none"/></style:style>'
        + "".join(f'<style:style style:name="series{k}" style:family="chart"><style:chart-properties '
                  'chart:symbol-type="none"/><style:graphic-properties draw:stroke="solid" svg:stroke-width="0.05cm" '
                  f'svg:stroke-color="{colour(k)}"/></style:style>' for k in range(len(chart.series)))
        + "</office:automatic-styles><office:body><office:chart>"
        f'<chart:chart svg:width="{chart.width / 10:g}cm" svg:height="{chart.height / 10:g}cm" '
        'chart:class="chart:scatter" chart:style-name="area">'
        + title(chart.title, "title")
        + ('<chart:legend chart:legend-position="end" style:legend-expansion="high"/>' if chart.legend else "")
        + f'<chart:plot-area table:cell-range-address="{ranges}" chart:data-source-has-labels="none">'
        '<chart:axis chart:dimension="x" chart:name="primary-x" chart:style-name="x">'
        + title(chart.x_title, "axis-title")
        + '</chart:axis><chart:axis chart:dimension="y" chart:name="primary-y" chart:style-name="y">'
        + title(chart.y_title, "axis-title")
        + '<chart:grid chart:class="major" chart:style-name="grid"/></chart:axis>'
        + "".join(f'<chart:series chart:style-name="series{k}" chart:values-cell-range-address='
                  f'"{escape(range_address(line.sheet, line.values))}"'
                  + (f' chart:label-cell-address="{escape(range_address(*line.name_at))}"' if line.name_at else "")
                  + ' chart:class="chart:scatter"/>' for k, line in enumerate(chart.series))
        + '<chart:wall chart:style-name="wall"/>'
        "</chart:plot-area></chart:chart></office:chart></office:body></office:document-content>")


def settings_xml(freezes: dict) -> str:
    """settings.xml freezing panes: {sheet name: first scrolling cell, e.g. 'C8'}."""
    item = lambda name, kind, value: (f'<config:config-item config:name="{name}" config:type="{kind}">{value}'
                                      "</config:config-item>")
    tables = []
    for sheet, cell in freezes.items():
        row, col = parse_address(cell)
        rows, cols = row - 1, col - 1
        tables.append(
            f'<config:config-item-map-entry config:name="{escape(sheet)}">'
            + item("HorizontalSplitMode", "short", 2 if cols else 0)
            + item("VerticalSplitMode", "short", 2 if rows else 0)
            + item("HorizontalSplitPosition", "int", cols) + item("VerticalSplitPosition", "int", rows)
            + item("ActiveSplitRange", "short", 3 if rows and cols else 2)
            + item("PositionLeft", "int", 0) + item("PositionRight", "int", cols)
            + item("PositionTop", "int", 0) + item("PositionBottom", "int", rows)
            + "</config:config-item-map-entry>")
    return ('<?xml version="1.0" encoding="UTF-8"?>\n<office:document-settings '
            'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
            'xmlns:config="urn:oasis:names:tc:opendocument:xmlns:config:1.0" office:version="1.3"><office:settings>'
            '<config:config-item-set config:name="ooo:view-settings">'
            '<config:config-item-map-indexed config:name="Views"><config:config-item-map-entry>'
            + item("ViewId", "string", "view1")
            + '<config:config-item-map-named config:name="Tables">' + "".join(tables)
            + "</config:config-item-map-named></config:config-item-map-entry></config:config-item-map-indexed>"
            "</config:config-item-set></office:settings></office:document-settings>")


def manifest(objects) -> str:
    """META-INF/manifest.xml listing content, styles, settings and the chart objects."""
    entries = "".join(
        f' <manifest:file-entry manifest:full-path="{escape(name)}/" '
        'manifest:media-type="application/vnd.oasis.opendocument.chart"/>\n'
        f' <manifest:file-entry manifest:full-path="{escape(name)}/content.xml" manifest:media-type="text/xml"/>\n'
        for name in objects)
    return ('<?xml version="1.0" encoding="UTF-8"?>\n'
            '<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" '
            'manifest:version="1.3">\n'
            ' <manifest:file-entry manifest:full-path="/" manifest:version="1.3" '
            'manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>\n'
            ' <manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>\n'
            ' <manifest:file-entry manifest:full-path="styles.xml" manifest:media-type="text/xml"/>\n'
            ' <manifest:file-entry manifest:full-path="settings.xml" manifest:media-type="text/xml"/>\n'
            + entries + "</manifest:manifest>\n")
