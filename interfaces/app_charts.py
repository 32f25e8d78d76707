"""The classroom app's live charts: data for the browser to draw, sent as changes only.

The server never draws. ``chart_setup`` is the whole picture of the runs so far (firms at their
fixed positions, the active exchanges, the monthly series), sent when a run starts or a page
opens; ``chart_delta`` is what changed between two months (the new months' rows, the exchanges
that started and ended), sent after each frame. ``LiveRunWidget`` (``live_charts.vue``)
keeps the picture in the browser and draws it with ECharts, which the Solara server serves from
its local asset folder, so the app works without internet.

A frame is one message: the month, the indicator panel and the charts' changes travel together
in the widget's ``frame``, since the server's cost of a step is mostly the cost of its messages
(each one a hop from the session's thread to the web server's event loop and a websocket write).
"""

from __future__ import annotations

import uuid
from typing import Any

import ipyvuetify
import numpy as np
import traitlets

from analysis.network_plot import CATEGORY_STYLE, sector_colours
from scenarios.outputs import describe
from simulation.model import SymbiosisModel

# The live plots: (timeseries column, title, unit on the axis, scale, cumulative?). Titles are
# the declared labels (scenarios.outputs); recovery rate is a share 0-1 shown in per cent.
LIVE_PLOTS: tuple[tuple[str, str, str, float, bool], ...] = (
    ("active_exchanges", describe("active_exchanges")[0], "exchanges (count)", 1.0, False),
    ("recovery_rate", describe("recovery_rate")[0], "by-products exchanged (%)", 100.0, False),
    ("co2_avoided_t", f"{describe('co2_avoided_t')[0]}, cumulative", "CO₂ (t)", 1.0, True),
    (
        "public_net_cum_eur",
        describe("public_net_cum_eur")[0],
        "EUR (negative: net cost)",
        1.0,
        False,
    ),
)
# Styles of runs A and B (Okabe & Ito 2008 palette; B dashed for colour-blind and greyscale
# readers).
RUN_STYLES = ({"color": "#0072B2", "dash": "solid"}, {"color": "#D55E00", "dash": "dashed"})
DASHES = {"-": "solid", "--": "dashed", ":": "dotted"}
CATEGORIES = tuple(CATEGORY_STYLE)  # stream categories, in the order the browser indexes them
NODE_PX = (5.0, 17.0)  # diameter of the smallest and (added) of the largest firm's marker, px


def _category_index(model: SymbiosisModel) -> np.ndarray:
    """Index into ``CATEGORIES`` of every stream of the model's catalogue."""
    return np.array([CATEGORIES.index(c) for c in model.streams.categories], dtype=np.int64)


def firms_picture(model: SymbiosisModel) -> dict[str, Any]:
    """Firm slots at their fixed positions, coloured by sector and sized by size.

    A slot keeps its site and sector for the whole run (a leaving firm's site is re-let to the
    same sector), so the nodes never move between months.
    """
    companies = model.companies
    names = list(model.sectors.names)
    present = sorted({names[int(s)] for s in companies.sector})
    colours = sector_colours(present)
    size = np.clip(np.asarray(companies.size, dtype=float), 0, None)
    scale = size.max() if len(size) and size.max() > 0 else 1.0
    diameter_px = NODE_PX[0] + NODE_PX[1] * np.sqrt(size / scale)
    x_km, y_km = np.asarray(companies.x_km, float), np.asarray(companies.y_km, float)
    margin_km = max(0.5, 0.05 * float(max(np.ptp(x_km), np.ptp(y_km)))) if len(x_km) else 1.0
    sector_index = {name: k for k, name in enumerate(present)}
    nodes = [
        [
            round(float(x), 3),
            round(float(y), 3),
            sector_index[names[int(s)]],
            round(float(d), 1),
            names[int(s)].replace("_", " "),
        ]
        for x, y, s, d in zip(x_km, y_km, companies.sector, diameter_px, strict=True)
    ]
    return {
        "sectors": [{"name": n.replace("_", " "), "color": colours[n]} for n in present],
        "nodes": nodes,
        "x_range": [
            round(float(x_km.min()) - margin_km, 2),
            round(float(x_km.max()) + margin_km, 2),
        ]
        if len(x_km)
        else [0, 1],
        "y_range": [
            round(float(y_km.min()) - margin_km, 2),
            round(float(y_km.max()) + margin_km, 2),
        ]
        if len(y_km)
        else [0, 1],
    }


def series_rows(model: SymbiosisModel, after_month: int, until_month: int) -> list[list[float]]:
    """Rows ``[month, value of each live plot]`` of the months after ``after_month``."""
    columns = model.datacollector.model_vars
    picked = [columns[column][after_month:until_month] for column, *_rest in LIVE_PLOTS]
    return [
        [month, *(float(values[i]) for values in picked)]
        for i, month in enumerate(range(after_month + 1, until_month + 1))
    ]


def exchange_changes(
    model: SymbiosisModel, after_month: int, until_month: int
) -> tuple[list[list[int]], list[int]]:
    """Exchanges started and ended between two months: ``[id, supplier, receiver, category]``.

    An exchange started (or ended) in the month simulated while ``model.steps`` was ``m + 1``
    has ``start_step`` (``end_step``) ``m``; after that month ``model.steps`` is ``m + 1``.
    """
    book = model.book
    size = book.size
    start, end = book.start_step[:size], book.end_step[:size]
    started = np.flatnonzero((start >= after_month) & (start < until_month))
    ended = np.flatnonzero((end >= after_month) & (end < until_month))
    category = _category_index(model)[book.stream[started]]
    rows = np.column_stack([started, book.supplier[started], book.receiver[started], category])
    return rows.astype(int).tolist(), ended.astype(int).tolist()


def active_exchanges(model: SymbiosisModel) -> list[list[int]]:
    """Exchanges active now: ``[id, supplier, receiver, category]``."""
    book = model.book
    active = np.flatnonzero(book.end_step[: book.size] < 0)
    category = _category_index(model)[book.stream[active]]
    rows = np.column_stack([active, book.supplier[active], book.receiver[active], category])
    return rows.astype(int).tolist()


def chart_setup(runs: list[tuple[str, SymbiosisModel]]) -> dict[str, Any]:
    """The whole picture of ``runs`` (labelled models) so far, under a fresh key."""
    return {
        "key": uuid.uuid4().hex,
        "plots": [
            {"title": title, "unit": unit, "scale": scale, "cumulative": cumulative}
            for _column, title, unit, scale, cumulative in LIVE_PLOTS
        ],
        "categories": [
            {"name": name, "color": style["color"], "dash": DASHES[style["linestyle"]]}
            for name, style in CATEGORY_STYLE.items()
        ],
        "run_styles": list(RUN_STYLES),
        "runs": [
            {
                "label": label,
                "month": run.steps,
                "firms": firms_picture(run),
                "edges": active_exchanges(run),
                "rows": series_rows(run, 0, run.steps),
            }
            for label, run in runs
        ],
    }


def chart_delta(
    key: str, runs: list[tuple[str, SymbiosisModel]], shown_months: list[int]
) -> dict[str, Any]:
    """What changed in ``runs`` since the months the browser shows (``shown_months``, per run)."""
    changes = []
    for (_label, run), shown in zip(runs, shown_months, strict=True):
        started, ended = exchange_changes(run, shown, run.steps)
        changes.append(
            {
                "from": shown,
                "to": run.steps,
                "rows": series_rows(run, shown, run.steps),
                "started": started,
                "ended": ended,
            }
        )
    return {"key": key, "runs": changes}


class LiveRunWidget(ipyvuetify.VuetifyTemplate):
    """The browser side of one run (``live_charts.vue``): the month, the charts and the panel.

    Attributes:
        setup: The whole picture (``chart_setup``) plus ``month`` (text), ``panel`` (HTML) and
            ``note`` (a line beside the month, may be empty); sent when the run starts or the
            browser asks for it again.
        frame: One frame: ``chart_delta`` plus the ``month`` and ``panel`` it shows; sent after
            each frame as a single message.
        on_resync: Called when the browser missed a frame and needs the whole picture again.
    """

    template_file = (__file__, "live_charts.vue")
    setup = traitlets.Any({}).tag(sync=True)
    frame = traitlets.Any({}).tag(sync=True)
    on_resync = traitlets.Callable(None, allow_none=True)

    def vue_resync(self, _data: Any = None) -> None:
        """The browser missed a frame: send it the whole picture again."""
        if self.on_resync is not None:
            self.on_resync()
