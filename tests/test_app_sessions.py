"""Sessions of the classroom app end: a closed page lets go of its run, and an ended session
neither steps nor plays (no browser needed: the page is rendered in this process)."""

from __future__ import annotations

import gc
import weakref

import pytest

pytest.importorskip("solara", reason="needs the [app] extra")


def _session_of(context):
    """The page's run widget and, through its view, the session it shows."""
    from interfaces.app_charts import LiveRunWidget

    (widget,) = context.find(LiveRunWidget).widgets
    view = widget.on_resync.__self__
    return widget, view.session


def test_a_closed_page_returns_its_run():
    import ipyvuetify as v
    import solara

    from interfaces import app

    _box, context = solara.render(solara.AppLayout(children=[app.Page()]), handle_error=False)
    context.find(v.Btn, children=["Step"]).widget.click()
    widget, session = _session_of(context)
    assert widget.frame["month"] == "1"
    run = weakref.ref(session.model)
    context.close()
    assert session.closed and session.views == []
    del widget
    gc.collect()
    assert run() is None, "the run of a closed page is still held"


def test_an_ended_session_neither_steps_nor_plays():
    from interfaces import app
    from interfaces.app_model import AppModel

    session = app.Session(AppModel.choose())
    shown: list[int] = []
    session.views.append(lambda: shown.append(session.model.steps))
    session.step(2)
    assert shown == [2]
    session.close()
    session.step()
    session.reset()
    session.playing = True
    session.play(context=None)  # returns at once: the session has ended
    assert shown == [2] and session.closed
    with pytest.raises(RuntimeError, match="ended"):
        _ = session.model


def test_reset_with_inputs_the_scenario_cannot_run_keeps_the_run_and_says_why():
    import ipyvuetify as v
    import solara

    from interfaces import app
    from interfaces.app_model import AppModel

    controls: dict[str, object] = {}
    session = app.Session(AppModel.choose("baseline", controls=controls))
    session.step(3)
    run = session.model
    controls["platform_tier"] = 1  # a platform, but baseline funds no operator
    problem = session.reset()
    assert problem is not None and "operator_funding_eur_per_year" in problem
    assert "\n" not in problem
    assert session.model is run and run.steps == 3  # the run goes on as it was
    controls["operator_funding_eur_per_year"] = 200_000.0
    assert session.reset() is None and session.model is not run

    # On the page: the slider moved without funding, Reset shows the problem and no new run.
    _box, context = solara.render(solara.AppLayout(children=[app.Page()]), handle_error=False)
    context.find(v.Btn, children=["Step"]).widget.click()
    widget, page_session = _session_of(context)
    page_session.model_class = AppModel.choose("baseline", controls={"platform_tier": 1})
    context.find(v.Btn, children=["Reset"]).widget.click()
    assert widget.frame["month"] == "1"
    assert context.find(v.Alert).widgets, "the problem is not shown"
    context.close()
