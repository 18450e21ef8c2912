"""The tally: a year's rows and sums gathered as jobs settle, nothing else kept."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pyarrow as pa
import pytest

from offduty_core import default_registry
from offduty_core.payroll import weekly_payroll
from offduty_core.terms import Payment, payment_transaction
from offduty_simulations import demand
from offduty_simulations.columns import Columns
from offduty_simulations.model import YearModel, scenario_rules
from offduty_simulations.outputs import build
from offduty_simulations.scenario import from_dict
from offduty_simulations.tally import payment_entry, write_off_entry
from sim_helpers import small


def _model(data: dict, seed: int) -> tuple[YearModel, list]:
    scenario = from_dict(data)
    published = default_registry().rules(scenario.agency.name)
    rules = scenario_rules(scenario, published)
    rng = demand.streams(seed)
    jobs = demand.generate(scenario, rules, rng, price=1.0)
    return YearModel(scenario, rules, rng, jobs), [j.id for j in jobs]


def test_a_vendor_payment_is_the_core_s():
    for amount in ("0.01", "123.45", "98765.00"):
        core = payment_transaction(Payment(ref="security-000042", vendor="security-vendor-007", day=date(2027, 3, 1),
                                           amount=Decimal(amount), method="card"))
        cents = int(Decimal(amount) * 100)
        assert payment_entry("security-000042", "security-vendor-007", date(2027, 3, 1), cents,
                             "card").transaction() == core


def test_a_write_off_balances_ninety_days_after_the_invoice():
    e = write_off_entry("R-1", "a:vendor", date(2027, 1, 1), 1234)
    assert e.date == date(2027, 4, 1) and sum(cents for _, cents in e.legs) == 0
    assert e.legs == (("expenses:bad-debt", 1234), ("assets:receivable:vendor:a%3Avendor", -1234))


@pytest.fixture(scope="module")
def year():
    """A small year whose bills are caught on their way to the tally (the model keeps none)."""
    data = small(days=28, officers=25, payment={"default_rate": 0.2})
    model, ids = _model(data, 4)
    bills = []
    add = model.tally.add

    def catching(records):
        bills.extend(r.bill for r in records if type(r).__name__ == "Billed")
        add(records)

    model.tally.add = catching
    result = model.run()
    return model, result, ids, bills


def test_nothing_is_kept_once_the_year_has_run(year):
    model, result, _, _ = year
    assert model.fill.board.records == [] and model.fill.board.jobs == {}
    assert model.tally._jobs == {}
    assert next(model.jobs, None) is None and not model.slots  # every job taken, none kept
    assert not hasattr(result, "board_records") and not hasattr(result, "jobs")


def test_rows_come_in_the_order_the_requests_arrived(year):
    _, result, ids, _ = year
    out = build(result)
    seen = list(dict.fromkeys(out.tables["shifts"].column("request_id").to_pylist()))
    assert seen == ids
    refs = [r for r in out.tables["ledger"].column("ref").to_pylist() if r and not r.startswith("payroll:")]
    rank = {rid: i for i, rid in enumerate(ids)}
    jobs_order = [rank[r.split("#")[0].removeprefix("payment:")] for r in refs]
    assert jobs_order == sorted(jobs_order)


def test_payroll_from_the_tallied_earnings_is_payroll_over_the_bills(year):
    _, result, _, bills = year
    terms = result.rules.terms
    assert bills
    every = [tx for bill in bills for tx in bill.transactions]
    assert weekly_payroll(result.tally.earnings(), terms) == weekly_payroll(every, terms)


def test_the_ledger_holds_every_bill_s_entries_and_balances(year):
    _, result, _, bills = year
    ledger = build(result).tables["ledger"]
    tallied = sum(len(e.legs) for bill in bills for e in bill.entries)
    kinds = [r.split(":")[0] if r else "" for r in ledger.column("ref").to_pylist()]
    assert sum(k not in ("payment", "payroll") for k in kinds) == tallied
    assert sum(ledger.column("amount").to_pylist()) == 0
    assert "payment" in kinds  # and with a fifth of vendors defaulting, write-offs among them
    assert any("written off" in m for m in ledger.column("memo").to_pylist())


def test_building_twice_gives_the_same_tables(year):
    _, result, _, _ = year
    one, two = build(result), build(result)
    for name in one.tables:
        assert one.tables[name].equals(two.tables[name])
    assert one.summary == two.summary


def test_columns_keep_rows_as_record_batches_in_order():
    schema = pa.schema([("n", pa.int64()), ("s", pa.string())])
    cols = Columns(schema, batch_rows=3)
    cols.extend([(1, "a"), (2, None)])
    cols.append((3, "c"))
    cols.tick()
    cols.extend([(4, "d")])
    assert len(cols) == 4 and len(cols._batches) == 1
    cols.append_many([(5, "e"), (6, "f")])  # unchecked until the next tick
    assert len(cols._batches) == 1
    cols.tick()
    assert len(cols) == 6 and len(cols._batches) == 2
    assert cols.column("n").to_pylist() == [1, 2, 3, 4, 5, 6]
    assert cols.column("s").to_pylist() == ["a", None, "c", "d", "e", "f"]
    with pytest.raises(ValueError, match="2 values, not 3|has 3 values, not 2"):
        cols.extend([(5, "e", "extra")] * 3)
    assert Columns(schema).column("s").to_pylist() == []
    mixed = Columns(schema, batch_rows=8)
    mixed.extend([(1, "a"), (2,), (3, "c")])  # one short row among whole ones: named at the flush
    with pytest.raises(ValueError, match="a row has 1 values, not 2"):
        mixed.flush()


def test_tables_are_assembled_only_when_read_and_then_kept():
    from offduty_simulations import runner

    out = runner.replicate(from_dict(small(days=7, officers=10)), 3)
    assert out.summary["shifts"]["total"] > 0
    assert out.tables._made == {}  # a sweep reads the summary only
    shifts = out.tables["shifts"]
    assert list(out.tables._made) == ["shifts"] and out.tables["shifts"] is shifts
    assert shifts.num_rows == out.summary["shifts"]["total"] and list(out.tables) == ["shifts", "officers", "ledger"]


def test_arrow_buffers_of_a_run_come_from_the_system_pool_which_is_then_given_back():
    from offduty_simulations.memory import system_arrow_pool

    before = pa.default_memory_pool().backend_name
    with system_arrow_pool():
        inside = pa.default_memory_pool().backend_name
        kept = pa.array(list(range(1000)))
    assert inside == "system" and pa.default_memory_pool().backend_name == before
    assert kept.to_pylist()[-1] == 999  # a buffer outlives the block, freed to its own pool


def test_columns_reordered_in_place_keep_every_row_once():
    schema = pa.schema([("n", pa.int64()), ("s", pa.string())])
    cols = Columns(schema, batch_rows=2)
    cols.extend([(1, "a"), (2, None), (3, "c"), (4, "d"), (5, "e")])
    cols.reorder([4, 0, 2, 1, 3])
    assert len(cols) == 5 and len(cols._batches) == 1
    assert cols.column("n").to_pylist() == [5, 1, 3, 2, 4] and cols.column("s").to_pylist() == ["e", "a", "c", None, "d"]
    with pytest.raises(ValueError, match="3 positions for 5 rows"):
        cols.reorder([0, 1, 2])

