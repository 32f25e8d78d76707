"""The classroom app: pick a scenario, move the policy sliders, step or play, watch the park.

Start it with ``symbiosis app`` (or ``solara run interfaces.app``). The sidebar holds, from the
top, the run controls (Reset, Step, Play, the play speed, CSV downloads of the run), the
scenario, park and side-by-side pickers, and the sliders and switches generated from the
parameter declaration; moved sliders take effect on Reset. The main area shows the month, the
exchange network on the firms' locations, live plots and the key indicators of scenario A and,
in side-by-side mode, of scenario B run on the same seed and park.

The server never draws: the browser draws the network and plots (``interfaces.app_charts``) from
the changes sent after each frame. The run controls are the app's own rather than Mesa
SolaraViz's: SolaraViz's play loop runs in a thread that outlives a closed page (and the
server's Ctrl+C), and its "Use Threads" and "Render Interval" settings mean nothing to a class.
Here a session's play loop runs only while its page is connected, advances several months per
frame when the server falls behind instead of queueing frames, and stops on shutdown.
"""

from __future__ import annotations

import threading
import time
from html import escape
from typing import Any, cast

import solara

from analysis.style import lower_first
from interfaces.app_charts import LiveRunWidget, chart_delta, chart_setup
from interfaces.app_model import (
    CONTROLS,
    DEFAULT_SCENARIO,
    NO_COMPARISON,
    SCENARIO_PARK,
    AppModel,
    app_parks,
    control_meaning,
    control_specs,
    exchanges_csv,
    series_csv,
)
from scenarios.errors import InputError
from scenarios.loader import load_scenario, scenario_names
from scenarios.outputs import describe
from scenarios.outputs import find as find_output

# Play speeds offered, months per second; the default suits a projector (a year in about 2 s).
SPEEDS_MONTHS_PER_S: tuple[int, ...] = (1, 2, 5, 10, 20)
DEFAULT_SPEED_MONTHS_PER_S = 5
FRAME_S = 0.2  # at most five frames a second; faster speeds advance several months per frame
MAX_MONTHS_PER_FRAME = 24  # a server that fell further behind drops the backlog, not queues it
# Set when the server stops (``symbiosis app`` on Ctrl+C): every play loop ends within a frame.
SHUTDOWN = threading.Event()
# After a session ends, memory is handed back to the system this long later (after Solara's
# own collection of the closed session), once for all the sessions that ended meanwhile.
RETURN_MEMORY_AFTER_S = 5.0
_memory_return_due = threading.Lock()


def return_memory_soon() -> None:
    """Collect garbage and hand freed heap memory back to the system, ``RETURN_MEMORY_AFTER_S`` on.

    A closed session's objects are freed, but the C allocator keeps the freed memory in the
    heaps of the threads that used it (each play loop and websocket worker has its own), so the
    server's resident memory would stay at its peak. ``malloc_trim`` (glibc) returns it; on
    other C libraries only the collection runs.
    """
    if not _memory_return_due.acquire(blocking=False):
        return  # one is already due and will cover this session too

    def collect_and_trim() -> None:
        import ctypes
        import ctypes.util
        import gc

        try:
            gc.collect()
            name = ctypes.util.find_library("c")
            trim = getattr(ctypes.CDLL(name), "malloc_trim", None) if name else None
            if trim is not None:
                trim(0)
        finally:
            _memory_return_due.release()

    timer = threading.Timer(RETURN_MEMORY_AFTER_S, collect_and_trim)
    timer.daemon = True
    timer.start()


def _row(model: Any, name: str) -> float:
    return float(model.indicators.row[name])


def _panel_text(name: str, value: Any) -> str:
    """A declared output's value as the panel shows it: counts whole, shares in percent."""
    output = find_output(name)
    if output.integer:
        return f"{int(value)}"
    if output.kind == "share":
        return f"{100 * float(value):.1f} %"
    if output.unit.startswith("0-1"):
        return f"{float(value):.2f}"
    number = float(value)
    return f"{number:,.0f} {output.unit}" if abs(number) >= 100 else f"{number:g} {output.unit}"


def _this_month(name: str) -> tuple[str, Any]:
    """A panel row: the declared label of a timeseries output and its value this month."""
    return describe(name)[0], lambda m: _panel_text(name, m.indicators.row[name])


def _so_far(name: str) -> tuple[str, Any]:
    """A panel row: the declared label of a flow and its total over the months so far."""
    return f"{describe(name)[0]} so far", lambda m: _panel_text(name, _column_sum(m, name))


# The indicator panel: (label, function of a model giving the text); labels and units come
# from the output declaration (scenarios.outputs).
INDICATORS: tuple[tuple[str, Any], ...] = (
    ("Month", lambda m: f"{m.steps}"),
    ("Seed", lambda m: f"{m.seed}"),
    _this_month("active_exchanges"),
    (
        f"{describe('new_exchanges')[0]} / {lower_first(describe('ended_exchanges')[0])}",
        lambda m: f"{int(_row(m, 'new_exchanges'))} / {int(_row(m, 'ended_exchanges'))}",
    ),
    (
        describe("firms_involved")[0],
        lambda m: f"{int(_row(m, 'firms_involved'))} of {len(m.companies)}",
    ),
    _this_month("recovery_rate"),
    _so_far("co2_avoided_t"),
    _so_far("value_created_eur"),
    _this_month("public_net_cum_eur"),
    _this_month("landfill_tax_eur_per_t"),
    _this_month("platform_members"),
    _this_month("mean_trust"),
    (
        describe("chertow_first_step")[0],
        lambda m: (
            "not yet"
            if m.indicators.chertow_first_step is None
            else f"month {m.indicators.chertow_first_step}"
        ),
    ),
)


def _column_sum(model: Any, column: str) -> float:
    """Sum of a monthly series so far (read from the collector's lists, no table built)."""
    return float(sum(model.datacollector.model_vars[column]))


def indicator_rows(model: AppModel) -> list[list[str]]:
    """The indicator panel as rows of text: ``[label, value of A, (value of B)]``."""
    runs = [run for _label, run in model.runs()]
    return [[label, *(str(value(run)) for run in runs)] for label, value in INDICATORS]


def indicator_html(model: AppModel) -> str:
    """The indicator panel as an HTML table.

    Plain HTML, not ``solara.Markdown``: that fetches KaTeX from a CDN, which an offline
    classroom does not reach.
    """
    header = ["Indicator", *(label for label, _run in model.runs())]
    head = "".join(
        f"<th style='text-align:left;padding:2px 10px 2px 0'>{escape(cell)}</th>" for cell in header
    )
    body = "".join(
        "<tr>"
        + "".join(f"<td style='padding:2px 10px 2px 0'>{escape(cell)}</td>" for cell in row)
        + "</tr>"
        for row in indicator_rows(model)
    )
    return (
        f"<h4>Key indicators</h4><table class='symbiosis-indicator-table'>"
        f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
    )


def _paragraph(text: str) -> None:
    solara.HTML(tag="p", unsafe_innerHTML=escape(text), style={"margin": "4px 0"})


def _page_connected(context: Any) -> bool:
    """Whether the page of a session is still open (always true outside a Solara server)."""
    if context is None:
        return True
    from solara.server.kernel_context import PageStatus

    if context.closed_event.is_set():
        return False
    return PageStatus.CONNECTED in list(context.page_status.values())


def _current_context() -> Any:
    """The Solara session (virtual kernel) being rendered, or ``None`` outside a server."""
    from solara.server import kernel_context

    return kernel_context.get_current_context() if kernel_context.has_current_context() else None


class Session:
    """One page's run: the model, its lock, and the views that show it.

    A step does not render the page again (Solara would walk the whole page each time): it
    tells the views, which send the browser what changed (the month, the indicator panel, the
    charts' changes) as one message on their widget.

    A session ends (``close``) when its page's Solara session is culled or a new choice of
    scenario replaces it: it then lets go of its run, so a closed tab's memory is returned even
    if a reference to the session itself outlives it somewhere in the web server.

    Attributes:
        model: The current run (replaced on Reset; the dashboard is built anew for each run).
        playing: Whether Play is on (the page's controls keep it).
        speed: Play speed, months per second (the page's controls keep it).
        lock: Held while the run steps, is replaced or is read for the page.
        views: Functions called after every step to show it.
    """

    def __init__(self, model_class: type[AppModel]) -> None:
        """Start a run of ``model_class``."""
        self.model_class: type[AppModel] | None = model_class
        self._model: AppModel | None = model_class()
        self.playing = False
        self.speed = DEFAULT_SPEED_MONTHS_PER_S
        self.lock = threading.Lock()
        self.views: list[Any] = []

    @property
    def model(self) -> AppModel:
        """The current run.

        Raises:
            RuntimeError: If the session has ended.
        """
        if self._model is None:
            raise RuntimeError("the session has ended")
        return self._model

    @property
    def closed(self) -> bool:
        """Whether the session has ended (its run let go)."""
        return self._model is None

    def step(self, months: int = 1) -> None:
        """Advance the run by ``months`` and show it (nothing once the session has ended)."""
        with self.lock:
            model = self._model
            if model is None:
                return
            for _ in range(months):
                model.step()
        for view in list(self.views):
            view()

    def close(self) -> None:
        """End the session: stop playing and let go of the run, its class and its views."""
        self.playing = False
        with self.lock:
            self._model = None
            self.model_class = None
            self.views.clear()
        return_memory_soon()

    def reset(self) -> str | None:
        """Stop playing and start a new run with the current inputs.

        Returns:
            None, or the one-line problem with the inputs (e.g. a platform switched on without
            the operator's funding); the current run is then kept as it was.
        """
        self.playing = False
        if self.model_class is None:
            return None
        try:
            fresh = self.model_class()
        except InputError as error:
            return str(error)
        with self.lock:
            if self._model is not None:
                self._model = fresh
        return None

    def play(self, context: Any) -> None:
        """The play loop: step at ``speed`` while Play is on and the page is connected.

        Months owed accumulate between frames; each frame steps all of them (at most
        ``MAX_MONTHS_PER_FRAME``) and shows the result once, so a busy server shows bigger
        jumps instead of falling further behind. The loop ends within a frame when Play is
        turned off, the page goes away (a closed tab) or the server stops.
        """
        owed_months = 0.0
        last = time.monotonic()
        while (
            self.playing and not self.closed and not SHUTDOWN.is_set() and _page_connected(context)
        ):
            now = time.monotonic()
            owed_months = min(owed_months + (now - last) * self.speed, MAX_MONTHS_PER_FRAME)
            last = now
            months = int(owed_months)
            if months:
                owed_months -= months
                self.step(months)
            SHUTDOWN.wait(max(0.0, FRAME_S - (time.monotonic() - now)))


@solara.component
def Dashboard(session: Session, run_number: int, on_seed: Any = None) -> None:
    """The dashboard of the current run, built anew (fresh widgets) for each run.

    ``run_number`` counts the runs of the session: a new number (Reset) redraws.
    """
    current = session.model
    RunDashboard(session, current, on_seed=on_seed).key(f"run-{id(current)}")


@solara.component
def RunDashboard(session: Session, current: AppModel, on_seed: Any = None) -> None:
    """The month, network, live plots and key indicators of one run.

    Built once per run, as one widget (``LiveView``); after each step ``LiveView.show_step``
    sends it the month, the panel and what changed in the charts, in one message.
    ``on_seed`` is told the seed of each new run, so that a new scenario starts on it.
    """
    live = solara.use_memo(lambda: LiveView(session, current), [current])

    def report_seed() -> None:
        if on_seed is not None and not current.seed_problem:
            on_seed(str(current.seed))

    solara.use_effect(report_seed, [current])
    solara.use_effect(live.attach, [current])
    if current.seed_problem:
        solara.Warning(current.seed_problem, classes=["symbiosis-seed-problem"])
    solara.Column(children=[live.widget], style={"width": "100%"})


class LiveView:
    """The widget of one run that changes at every step, owned here rather than by Solara.

    Solara re-applies the properties of the elements it rendered whenever any part of the page
    renders again; a widget made here and placed in the page as it is keeps the values
    ``show_step`` gives it.

    Attributes:
        widget: The month (``data-testid="month"``), the network and plots and the indicator
            panel (``LiveRunWidget``).
    """

    def __init__(self, session: Session, run: AppModel) -> None:
        """Make the widget showing ``run`` as it is now."""
        self.session, self.run = session, run
        self.note = "A and B step together on the same seed." if run.twin is not None else ""
        self.setup = self.picture()
        self.widget = LiveRunWidget(setup=self.setup, frame={}, on_resync=self.resync)

    def picture(self) -> dict[str, Any]:
        """The whole picture of the run now: charts, month, panel (the caller holds no lock)."""
        with self.session.lock:
            setup = chart_setup(self.run.runs())
            setup.update(month=str(self.run.steps), panel=indicator_html(self.run), note=self.note)
        self.shown_months = [picture["month"] for picture in setup["runs"]]
        return setup

    def attach(self) -> Any:
        """Show every step of the run from now on; the returned function stops and frees."""
        self.session.views.append(self.show_step)

        def detach() -> None:
            if self.show_step in self.session.views:
                self.session.views.remove(self.show_step)
            self.widget.set_trait("on_resync", None)  # the widget may outlive the view
            self.widget.close()

        return detach

    def show_step(self) -> None:
        """Send what changed since the last frame, as one message: month, panel, charts."""
        with self.session.lock:
            frame = chart_delta(self.setup["key"], self.run.runs(), self.shown_months)
            frame.update(month=str(self.run.steps), panel=indicator_html(self.run))
        self.shown_months = [change["to"] for change in frame["runs"]]
        self.widget.frame = frame

    def resync(self) -> None:
        """The browser missed a frame: send it the whole picture again."""
        self.setup = self.picture()
        self.widget.setup = self.setup


def _testid(name: str) -> dict[str, Any]:
    return {"attributes": {"data-testid": name}}


@solara.component
def RunControls(session: Session, on_new_run: Any) -> None:
    """Reset, Step, Play/Pause, the play speed and the downloads, at the top of the sidebar.

    ``on_new_run`` is called after Reset has replaced the session's run.
    """
    playing, set_playing = solara.use_state(False)
    speed, set_speed = solara.use_state(DEFAULT_SPEED_MONTHS_PER_S)
    session.playing, session.speed = playing, speed
    context = solara.use_memo(_current_context, [])

    def play_loop() -> None:
        if playing:
            session.play(context)

    solara.lab.use_task(play_loop, dependencies=[playing], prefer_threaded=True)

    def toggle() -> None:
        session.playing = not playing
        set_playing(not playing)

    problem, set_problem = solara.use_state(cast(str | None, None))

    def reset() -> None:
        set_playing(False)
        trouble = session.reset()
        set_problem(trouble)
        if trouble is None:
            on_new_run()

    with solara.Card("Run", classes=["symbiosis-run-controls"]):
        with solara.Row(gap="6px"):
            solara.Button("Reset", on_click=reset, outlined=True, **_testid("reset"))
            solara.Button(
                "Step", on_click=session.step, disabled=playing, outlined=True, **_testid("step")
            )
            solara.Button(
                "Pause" if playing else "Play",
                icon_name="mdi-pause" if playing else "mdi-play",
                on_click=toggle,
                color="primary",
                **_testid("play"),
            )
        if problem:
            solara.Error(f"Not started: {problem}", classes=["symbiosis-problem"])
        solara.ToggleButtonsSingle(
            value=str(speed),
            values=[str(s) for s in SPEEDS_MONTHS_PER_S],
            on_value=lambda text: set_speed(int(text)),
        )
        _paragraph("Play speed, months per second (a slow computer shows bigger jumps).")
        with solara.Row(gap="6px"):
            solara.FileDownload(
                lambda: series_csv(session.model),
                filename="symbiosis_series.csv",
                mime_type="text/csv",
                children=[solara.Button("Series CSV", text=True, **_testid("download-series"))],
            )
            solara.FileDownload(
                lambda: exchanges_csv(session.model),
                filename="symbiosis_exchanges.csv",
                mime_type="text/csv",
                children=[
                    solara.Button("Exchanges CSV", text=True, **_testid("download-exchanges"))
                ],
            )


@solara.component
def InputsCard(specs: dict[str, Any], on_change: Any) -> None:
    """The card of seed, policy and behaviour inputs, built from ``specs``.

    The specifications are those of Mesa's ``UserInputs`` (``interfaces.app_model.control_spec``);
    each slider shows its current value in its label.
    """
    values, set_values = solara.use_state({name: spec["value"] for name, spec in specs.items()})

    def changer(name: str) -> Any:
        def change(value: Any) -> None:
            set_values(lambda old: {**old, name: value})
            on_change(name, value)

        return change

    with solara.Card("Policy and behaviour", classes=["symbiosis-inputs"]):
        _paragraph("Move the sliders, then press Reset to start a new run with them.")
        for name, spec in specs.items():
            value, label, kind = values[name], spec["label"], spec["type"]
            if kind == "InputText":
                solara.InputText(label, value=value, on_value=changer(name))
            elif kind == "Checkbox":
                solara.Checkbox(label=label, value=value, on_value=changer(name))
            elif kind == "Select":
                solara.Select(label, values=spec["values"], value=value, on_value=changer(name))
            else:
                slider = solara.SliderInt if kind == "SliderInt" else solara.SliderFloat
                slider(
                    f"{label}: {_shown(value)}",
                    value=value,
                    min=spec["min"],
                    max=spec["max"],
                    step=spec["step"],
                    on_value=changer(name),
                )


def _shown(value: Any) -> str:
    """A control's value as shown beside its label: 80, 0.45, 5,000,000."""
    return f"{value:,.10g}" if isinstance(value, int | float) else str(value)


@solara.component
def ScenarioPicker(
    scenario: solara.Reactive[str],
    park: solara.Reactive[str],
    compare: solara.Reactive[str],
) -> None:
    """Card choosing scenario A, the park and scenario B of side-by-side mode."""
    chosen = load_scenario(scenario.value)
    with solara.Card("Scenario", classes=["symbiosis-scenario"]):
        solara.Select("Scenario A", values=scenario_names(), value=scenario)
        solara.Select("Park", values=[SCENARIO_PARK, *app_parks()], value=park)
        solara.Select(
            "Side by side with scenario B", values=[NO_COMPARISON, *scenario_names()], value=compare
        )
        _paragraph(f"{chosen.name}: {chosen.description}. Source: {chosen.source}")
        if compare.value != NO_COMPARISON:
            _paragraph(
                "Scenario B runs on the same seed and park with the same behaviour "
                "settings; the policy sliders steer scenario A only."
            )
        with solara.Details("What the controls mean"):
            for name in CONTROLS:
                _paragraph(f"{name}: {control_meaning(name)}")


@solara.component
def Workbench(
    scenario: solara.Reactive[str],
    park: solara.Reactive[str],
    compare: solara.Reactive[str],
    choice: tuple[str, str, str],
    seed: str,
    on_seed: Any = None,
) -> None:
    """One choice of scenario, park and comparison: its run, controls, inputs and dashboard.

    A new choice of scenario, park or comparison starts a new session (run, controls) and fresh
    inputs at the chosen scenario's values (the inputs keyed by the choice, so Solara does not
    reuse the old ones, displayed values and all).

    ``choice`` (scenario, park, comparison) is given as plain values and never read from the
    reactive pickers here: a workbench reading them would be re-rendered by a new choice too,
    and, when Solara happened to render it before ``Choice`` replaced it, it would start a run
    of the new choice on its own, stale seed and report that seed as the latest one.
    """
    user_set: dict[str, Any] = solara.use_memo(
        dict, list(choice)
    )  # what the user set in the inputs since the choice
    session = solara.use_memo(
        lambda: Session(AppModel.choose(*choice, seed, controls=user_set)), list(choice)
    )
    specs = solara.use_memo(lambda: control_specs(choice[0], choice[1], seed), list(choice))

    def on_change(name: str, value: Any) -> None:
        user_set[name] = value

    run_number, set_run_number = solara.use_state(0)

    def stop_playing() -> Any:
        def stop() -> None:
            session.playing = False  # the choice changed: this run's loop ends

        return stop

    solara.use_effect(stop_playing, list(choice))

    def end_with_the_workbench() -> Any:
        return session.close  # the page was culled or a new choice replaced this workbench

    solara.use_effect(end_with_the_workbench, [session])
    with solara.Sidebar():
        RunControls(session, lambda: set_run_number(lambda n: n + 1)).key("run|" + "|".join(choice))
        ScenarioPicker(scenario, park, compare)
        InputsCard(specs, on_change).key("inputs|" + "|".join(choice))
    Dashboard(session, run_number, on_seed=on_seed).key("dashboard|" + "|".join(choice))


@solara.component
def Page() -> None:  # noqa: N802 (Solara components are named like classes)
    """The app's page (the entry point ``solara run`` looks for)."""
    scenario = solara.use_reactive(DEFAULT_SCENARIO)
    park = solara.use_reactive(SCENARIO_PARK)
    compare = solara.use_reactive(NO_COMPARISON)
    last_seed = solara.use_ref("0")  # not reactive: a new seed alone does not rebuild the page

    def remember_seed(seed: str) -> None:
        last_seed.current = seed

    solara.Title("symbiosis: classroom")
    Choice(scenario, park, compare, last_seed, on_seed=remember_seed)


@solara.component
def Choice(
    scenario: solara.Reactive[str],
    park: solara.Reactive[str],
    compare: solara.Reactive[str],
    last_seed: Any,
    on_seed: Any = None,
) -> None:
    """The workbench of the chosen scenario, park and comparison; a new choice remounts it.

    ``last_seed`` (a ref) holds the seed of the latest run, on which a new choice starts.

    A component of its own below the page: reading the choice here subscribes this component
    to it (the page itself is not re-rendered by the Solara server when a sidebar picker sets
    the choice).
    """
    choice = (scenario.value, park.value, compare.value)
    with solara.Column(style={"width": "100%"}):
        Workbench(scenario, park, compare, choice, last_seed.current, on_seed=on_seed).key(
            "|".join(choice)
        )
