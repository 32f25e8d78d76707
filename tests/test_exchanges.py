"""simulation/exchanges.py: the book keeps every exchange ever started, oldest first."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from simulation.exchanges import END_REASONS, ExchangeBook

INT_COLUMNS = (
    "supplier",
    "receiver",
    "stream",
    "start_step",
    "end_step",
    "end_reason",
    "bad_months",
    "idle_months",
    "contract_until",
    "ready_step",
    "first_flow_step",
)
FLOAT_COLUMNS = (
    "distance_km",
    "quantity_per_month",
    "trust_delta",
    "value_eur_per_month",
    "delivered_total",
    "supplier_share",
    "diversion_eur_per_unit",
    "price_eur_per_unit",
)


def start(book: ExchangeBook, suppliers, step: int, **more) -> np.ndarray:
    """Start one exchange per supplier (receiver = supplier + 100) at ``step``."""
    suppliers = np.asarray(suppliers, dtype=np.int64)
    return book.add(
        supplier=suppliers,
        receiver=suppliers + 100,
        stream=np.zeros(len(suppliers), dtype=np.int64),
        start_step=np.full(len(suppliers), step),
        **more,
    )


def test_an_empty_book_has_every_column_empty_and_nothing_active():
    book = ExchangeBook(capacity=4)
    assert book.size == 0 and book.version == 0
    assert book.active().tolist() == []
    assert set(book.columns) == set(INT_COLUMNS) | set(FLOAT_COLUMNS)
    for name in INT_COLUMNS:
        assert getattr(book, name).dtype == np.int64 and len(getattr(book, name)) == 0
    for name in FLOAT_COLUMNS:
        assert getattr(book, name).dtype == np.float64 and len(getattr(book, name)) == 0


def test_added_exchanges_are_active_and_columns_not_given_are_blank():
    book = ExchangeBook()
    rows = start(book, [3, 4], step=5, quantity_per_month=np.array([10.0, 2.5]))
    assert rows.tolist() == [0, 1] and book.size == 2
    assert book.active().tolist() == [0, 1]
    assert book.supplier.tolist() == [3, 4] and book.receiver.tolist() == [103, 104]
    assert book.quantity_per_month.tolist() == [10.0, 2.5]
    # Blank: -1 for integers (no end step, no end reason, no contract), 0 for floats.
    assert book.end_step.tolist() == [-1, -1]
    assert book.end_reason.tolist() == [-1, -1]
    assert book.contract_until.tolist() == [-1, -1]
    assert book.distance_km.tolist() == [0.0, 0.0] and book.delivered_total.tolist() == [0.0, 0.0]


def test_ending_records_step_and_reason_and_keeps_the_rest_active_oldest_first():
    book = ExchangeBook()
    start(book, [0, 1, 2, 3], step=1)
    book.end(np.array([2, 0]), 7, "lost_trust")
    assert book.active().tolist() == [1, 3]
    assert book.end_step.tolist() == [7, -1, 7, -1]
    assert [END_REASONS[r] if r >= 0 else "" for r in book.end_reason] == [
        "lost_trust",
        "",
        "lost_trust",
        "",
    ]
    start(book, [9], step=8)
    assert book.active().tolist() == [1, 3, 4]  # newcomers join at the end
    assert book.size == 5  # ended exchanges stay in the book


def test_growing_past_the_capacity_keeps_what_was_recorded():
    book = ExchangeBook(capacity=2)
    first = start(book, [0, 1], step=0, trust_delta=np.array([0.1, 0.2]))
    book.end(first[:1], 3, "unprofitable")
    more = start(book, list(range(2, 9)), step=4)  # more than twice the capacity at once
    assert more.tolist() == list(range(2, 9)) and book.size == 9
    assert book.supplier.tolist() == list(range(9))
    assert book.trust_delta.tolist() == [0.1, 0.2] + [0.0] * 7
    assert book.end_step.tolist() == [3] + [-1] * 8  # new room is blank, not zero
    assert book.active().tolist() == list(range(1, 9))


def test_columns_are_views_so_the_model_updates_them_in_place():
    book = ExchangeBook()
    start(book, [0, 1, 2], step=0, bad_months=np.zeros(3, dtype=np.int64))  # as the model does
    book.bad_months[book.active()] += 1
    book.value_eur_per_month[1] = 250.0
    assert book.bad_months.tolist() == [1, 1, 1]
    assert book.value_eur_per_month.tolist() == [0.0, 250.0, 0.0]
    assert ExchangeBook.bad_months.name == "bad_months"  # the class holds the declaration


def test_version_counts_changes_to_the_active_set_only():
    book = ExchangeBook()
    start(book, [0, 1], step=0)
    assert book.version == 1
    book.end(np.zeros(0, dtype=np.int64), 1, "unprofitable")  # ending nothing changes nothing
    book.bad_months[:] = 2  # neither does editing a column
    assert book.version == 1
    book.end(np.array([1]), 2, "partner_exit")
    start(book, [5], step=2)
    assert book.version == 3


def test_an_unknown_end_reason_is_refused_and_changes_nothing():
    book = ExchangeBook()
    start(book, [0], step=0)
    with pytest.raises(ValueError):
        book.end(np.array([0]), 1, "boredom")
    assert book.active().tolist() == [0]
    assert book.end_reason.tolist() == [-1] and book.version == 1


# One step of a random history: start some exchanges, or end some of the active ones.
operations = st.lists(
    st.one_of(
        st.tuples(st.just("start"), st.integers(0, 5)),
        st.tuples(
            st.just("end"),
            st.lists(st.integers(0, 40), max_size=4),
            st.sampled_from(END_REASONS[1:]),
        ),
    ),
    max_size=25,
)


@settings(max_examples=60, deadline=None)
@given(operations, st.integers(1, 4))
def test_the_book_equals_a_plain_list_of_exchanges(history, capacity):
    """Against the obviously correct reference: a list of dicts, one per exchange."""
    book, reference = ExchangeBook(capacity=capacity), []
    for step, operation in enumerate(history):
        if operation[0] == "start":
            count = operation[1]
            suppliers = list(range(len(reference), len(reference) + count))
            start(book, suppliers, step)
            reference += [{"supplier": s, "end_step": -1, "end_reason": -1} for s in suppliers]
        else:
            _, picks, reason = operation
            active = [k for k, row in enumerate(reference) if row["end_step"] < 0]
            rows = sorted({active[p % len(active)] for p in picks}) if active else []
            book.end(np.array(rows, dtype=np.int64), step, reason)
            for k in rows:
                reference[k].update(end_step=step, end_reason=END_REASONS.index(reason))
    assert book.size == len(reference)
    for name in ("supplier", "end_step", "end_reason"):
        assert getattr(book, name).tolist() == [row[name] for row in reference]
    assert book.active().tolist() == [k for k, row in enumerate(reference) if row["end_step"] < 0]
