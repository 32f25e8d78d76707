"""One publication style for every evidence figure: palette, fonts, sizes and labelled units.

Figures are drawn at their printed size (a policy brief's column is about 3.5 in wide, a full
page width about 7.2 in) so that 8-9 pt text stays legible without rescaling. Colours come from
the Okabe-Ito palette (Okabe & Ito 2008), which stays distinguishable with the common forms of
colour blindness; where more categories than colours are needed, markers and line styles differ.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from analysis.network_plot import OKABE_ITO
from scenarios import outputs

COLUMN_WIDTH_IN = 3.5  # one column of a two-column brief
FULL_WIDTH_IN = 7.2  # a full A4/letter text width
PNG_DPI = 300

RC_PARAMS: dict[Any, Any] = {  # matplotlib rc keys (typed there as literals)
    "font.family": "DejaVu Sans",  # ships with matplotlib: same glyphs on every machine
    "font.size": 8.5,
    "axes.titlesize": 9,
    "axes.titleweight": "bold",
    "axes.labelsize": 8.5,
    "legend.fontsize": 7.5,
    "legend.title_fontsize": 8,
    "xtick.labelsize": 7.5,
    "ytick.labelsize": 7.5,
    "figure.titlesize": 10,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.color": "#DDDDDD",
    "grid.linewidth": 0.5,
    "axes.axisbelow": True,
    "lines.linewidth": 1.4,
    "figure.dpi": 100,
    "savefig.dpi": PNG_DPI,
    "savefig.bbox": "tight",
    "savefig.pad_inches": 0.04,
    "svg.fonttype": "none",  # text stays text in SVG: editable and searchable
    "svg.hashsalt": "symbiosis",  # stable element ids: same data, same SVG bytes
    "pdf.fonttype": 42,  # TrueType in PDF: editable in Illustrator/Inkscape
}

# Scenario colours: the reference scenario in black, then the Okabe-Ito colours that read well
# as lines on white (yellow last: it is faint on white).
SCENARIO_COLOURS = (
    "#000000",
    OKABE_ITO[0],
    OKABE_ITO[1],
    OKABE_ITO[2],
    OKABE_ITO[4],
    OKABE_ITO[5],
    OKABE_ITO[6],
    OKABE_ITO[8],
    OKABE_ITO[3],
)
LINE_STYLES = ("-", "--", ":", "-.")
MARKERS = ("o", "s", "^", "D", "v", "P", "X", "<", ">")


def describe(name: str) -> tuple[str, str]:
    """Display name and unit of a timeseries column, a scalar output or a park indicator.

    Read from the declaration (``scenarios.outputs.describe``): ``final_<column>``,
    ``mean_<column>``, ``total_<name>`` and ``chertow_first_step`` derive theirs from the column
    or total they summarise. Unknown names are returned tidied, unit-less.
    """
    return outputs.describe(name)


def lower_first(text: str) -> str:
    """``text`` with its first letter in lower case, unless it starts an acronym (CO₂, IS)."""
    if len(text) > 1 and text[1].isupper():
        return text
    return text[:1].lower() + text[1:]


def axis_label(name: str, prefix: str = "") -> str:
    """Axis label "Name (unit)" of a column or output, optionally led by ``prefix``."""
    text, unit = describe(name)
    text = f"{prefix}{lower_first(text)}" if prefix else text
    return f"{text} ({unit})" if unit else text


def unit_of(name: str) -> str:
    """The unit of a column or scalar output ('' if unknown)."""
    return describe(name)[1]


def scenario_styles(scenarios: list[str]) -> dict[str, dict[str, Any]]:
    """Colour, line style and marker of each scenario, in order (the first is the reference).

    Colours repeat only after nine scenarios, and then with another line style and marker.
    """
    styles = {}
    for k, scenario in enumerate(scenarios):
        cycle = k // len(SCENARIO_COLOURS)
        styles[scenario] = {
            "color": SCENARIO_COLOURS[k % len(SCENARIO_COLOURS)],
            "linestyle": LINE_STYLES[cycle % len(LINE_STYLES)],
            "marker": MARKERS[k % len(MARKERS)],
        }
    return styles


def pyplot() -> Any:
    """``matplotlib.pyplot`` on the non-interactive Agg backend (safe on servers and in tests)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def styled(function: Callable[..., Any]) -> Callable[..., Any]:
    """Decorator: draw inside ``RC_PARAMS`` without changing the caller's global settings."""

    @functools.wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        import matplotlib

        pyplot()
        with matplotlib.rc_context(RC_PARAMS):
            return function(*args, **kwargs)

    return wrapper


def compact_number(value: float) -> str:
    """Tick text for large numbers: 2.5 k, 1.2 M, 3 bn (up to three significant digits)."""
    for size, suffix in ((1e9, " bn"), (1e6, " M"), (1e3, " k")):
        if abs(value) >= size:
            return f"{value / size:.3g}{suffix}"
    return f"{value:.3g}" if value else "0"


def compact_axis(*axes: Any) -> None:
    """Tick labels of numeric axes (``ax.xaxis``, ``ax.yaxis``) in compact form: no '1e6'.

    Linear axes also get at most six ticks, so that compact labels never collide.
    """
    from matplotlib.ticker import FuncFormatter, MaxNLocator

    for axis in axes:
        if axis.get_scale() == "linear":
            axis.set_major_locator(MaxNLocator(nbins=5))
        axis.set_major_formatter(FuncFormatter(lambda value, _: compact_number(value)))


def format_amount(value: float) -> str:
    """A number for prose: like ``format_number`` but 98.8 million rather than 98,800,000."""
    import math

    if value is None or not math.isfinite(float(value)) or abs(value) < 1e6:
        return format_number(value)
    for size, word in ((1e12, "trillion"), (1e9, "billion"), (1e6, "million")):
        if abs(value) >= size:
            return f"{format_number(value / size)} {word}"
    return format_number(value)


def prose_unit(unit: str) -> str:
    """The unit as written after a number in a sentence ('' for counts and 0-1 shares)."""
    if unit in ("count", "") or unit.startswith("share") or unit.startswith("0-1"):
        return ""
    return unit


def format_number(value: float, digits: int = 3) -> str:
    """A number for prose and tables: 3 significant digits, thousands separated, no 1e+06."""
    import math

    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    value = float(value)
    if math.isinf(value):
        return "∞" if value > 0 else "-∞"
    if value == 0:
        return "0"
    magnitude = math.floor(math.log10(abs(value)))
    if magnitude >= digits - 1:
        rounded = round(value, -(magnitude - digits + 1))
        return f"{rounded:,.0f}"
    decimals = digits - 1 - magnitude
    return f"{value:,.{decimals}f}"
