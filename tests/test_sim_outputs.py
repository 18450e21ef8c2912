"""The files a simulated year writes: their typed schema, nulls, provenance and how they add up.

docs/outputs.md documents the same columns; a test here keeps it in step with the schemas.
"""

from __future__ import annotations

import json
import re
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from offduty_simulations import runner, schema
from offduty_simulations.outputs import _cents, scenario_hash
from offduty_simulations.scenario import from_dict
from sim_helpers import ROOT, small

FILES = ("shifts", "officers", "ledger")
DOC = ROOT / "docs" / "outputs.md"
ZONES = {"chandler-az": "America/Phoenix", "grantsville-ut": "America/Denver"}


def _scenario(agency: str):
    # Card payments (card fees), every kind of change, an SSO school; Grantsville refuses short
    # notice, so some rows are refused requests.
    return from_dict(small(agency=agency, days=21, officers=30,
                           payment={"methods": {"card": 0.5, "ach": 0.5}}))


@pytest.fixture(scope="module", params=["chandler-az", "grantsville-ut"])
def run(request, tmp_path_factory):
    scenario = _scenario(request.param)
    out = runner.replicate(scenario, 5)
    folder = tmp_path_factory.mktemp(request.param)
    out.write(folder / "run")
    return scenario, out, folder / "run"


def _tables(folder: Path) -> dict[str, pa.Table]:
    return {name: pq.read_table(folder / f"{name}.parquet") for name in FILES}


def test_each_file_has_its_explicit_schema(run):
    scenario, out, folder = run
    expected = schema.schemas(ZONES[scenario.agency.name])
    for name, table in _tables(folder).items():
        assert table.schema.equals(expected[name], check_metadata=False), name
        for field in expected[name]:  # what a column means travels with the file
            assert table.schema.field(field.name).metadata[b"description"] == field.metadata[b"description"]


def test_one_timestamp_unit_with_the_agency_zone(run):
    scenario, out, folder = run
    zone = ZONES[scenario.agency.name]
    stamps = [f for t in _tables(folder).values() for f in t.schema if pa.types.is_timestamp(f.type)]
    assert len(stamps) == 5
    assert {(f.type.unit, f.type.tz) for f in stamps} == {("us", zone)}
    shifts = out.shifts
    assert (shifts["start"].dt.tz.key == zone) and (shifts["end"] > shifts["start"]).all()
    # The instants are the run's: shifts start on its days, after their request arrived.
    first = scenario.agency.first_day
    days = shifts["start"].dt.date
    assert days.min() >= first and days.max() <= first + timedelta(days=scenario.agency.days + 1)
    assert (shifts["received"] <= shifts["start"]).all() and (shifts["posted"].dropna() >= shifts["received"].min()).all()
    hours = (shifts["end"] - shifts["start"]).dt.total_seconds() / 3600
    assert (abs(hours - shifts["hours"]) < 1e-3).all()


def test_missing_values_are_nulls_never_empty_strings(run):
    _, out, folder = run
    for name, table in _tables(folder).items():
        for field in table.schema:
            if pa.types.is_string(field.type):
                assert "" not in set(table.column(field.name).drop_null().to_pylist()), (name, field.name)
    shifts = out.shifts
    never_held = shifts["status"].isin(["unfilled", "refused"])
    assert shifts.loc[never_held, "officer"].isna().all()
    assert shifts.loc[shifts["status"] == "refused", ["posted", "filled", "method", "time_to_fill_hours"]].isna().all().all()
    assert shifts.loc[shifts["posted"].notna(), "method"].notna().all()


def test_every_shift_that_paid_an_officer_names_the_officer(run):
    _, out, _ = run
    shifts, officers = out.shifts, out.officers
    paid = shifts[shifts["officer_pay"] > 0]
    assert len(paid) and paid["officer"].notna().all()
    assert (paid["status"] == "cancelled").any() or out.summary["agency"] != "chandler-az"  # cancellations pay in AZ
    # Officers counted from the shifts are officers of the roster (no "" among them) ...
    assert set(shifts["officer"].dropna()) <= set(officers["badge"])
    assert shifts["officer"].nunique() <= len(officers)
    # ... and each one's pay in the shifts is their pay in officers.parquet.
    by_officer = paid.groupby("officer")["officer_pay"].apply(lambda s: sum(s, Decimal(0)))
    pay = officers.set_index("badge")["pay"]
    assert by_officer.to_dict() == pay[pay > 0].to_dict()


def test_shift_rows_add_up_to_the_summary(run):
    _, out, _ = run
    shifts, money = out.shifts, out.summary["money"]
    total = lambda column: sum(shifts[column], Decimal(0))
    assert total("card_fee") > 0  # the scenario pays half its invoices by card
    assert total("vendor_billed") + total("request_extras") + total("card_fee") == Decimal(money["vendor_billed"])
    assert total("card_fee") == Decimal(money["card_fee"])
    assert total("officer_pay") == Decimal(money["officer_pay"]) == sum(out.officers["pay"], Decimal(0))
    # A request's own charges are on its first row only.
    assert (shifts.loc[shifts["slot"] != 0, ["request_extras", "card_fee"]] == 0).all().all()
    counts = out.summary["shifts"]
    assert counts["total"] == len(shifts)
    assert counts["by_status"] == shifts["status"].value_counts().reindex(list(counts["by_status"])).to_dict()


def test_money_is_exact_and_the_ledger_balances_in_it(run):
    _, out, folder = run
    ledger = pq.read_table(folder / "ledger.parquet")
    assert ledger.schema.field("amount").type == pa.decimal128(18, 2)
    frame = out.ledger
    per_tx = frame.groupby("tx")["amount"].apply(lambda s: sum(s, Decimal(0)))
    assert (per_tx == 0).all()
    assert out.summary["ledger"]["residual"] == "0.00" and out.summary["ledger"]["transactions"] == len(per_tx)
    assert isinstance(frame["date"].iloc[0], type(out.officers["seniority_date"].iloc[0]))  # dates, not times


def test_lists_are_lists(run):
    _, out, folder = run
    officers = pq.read_table(folder / "officers.parquet")
    assert pa.types.is_list(officers.schema.field("qualifications").type)
    quals = officers.column("qualifications").to_pylist()
    assert any("sso" in q for q in quals) and any(q == [] for q in quals)
    assert all(q == sorted(q) for q in quals)


def test_money_columns_hold_cents_exactly():
    cents = [0, 1, -1, 5, -5, 99, 123456789, -123456789, 10 ** 17 - 1, -(10 ** 17 - 1)]
    for given in (cents, np.array(cents)):
        array = schema.money(given)
        assert array.type == pa.decimal128(18, 2)
        assert array.to_pylist() == [Decimal(c).scaleb(-2) for c in cents]
    assert schema.money([5, None, -7]).to_pylist() == [Decimal("0.05"), None, Decimal("-0.07")]
    with pytest.raises((TypeError, pa.ArrowInvalid, pa.ArrowTypeError)):
        schema.money([1.5])
    assert _cents([Decimal("5"), Decimal("-0.05"), Decimal("1E+2"), Decimal("12.30")]) == [500, -5, 10000, 1230]
    with pytest.raises(ValueError, match="12.345"):
        _cents([Decimal("12.345")])


def test_instants_round_to_the_second_as_the_clock_does_and_nan_is_null():
    from datetime import datetime, timezone

    from offduty_simulations.demand import Clock
    from zoneinfo import ZoneInfo

    clock = Clock(datetime(2027, 1, 1).date(), ZoneInfo("America/Phoenix"))
    hours = [0.0, 1.5, float("nan"), 0.4 / 3600, 0.5 / 3600, 1.5 / 3600, 8759.99]
    seconds = schema.utc_seconds(hours, clock.epoch)
    assert seconds.type == pa.int64() and seconds[2].as_py() is None
    array = schema.column(pa.field("t", pa.timestamp("us", tz="America/Phoenix")), seconds)
    assert array.type == pa.timestamp("us", tz="America/Phoenix") and array.null_count == 1
    assert [v for v in array.to_pylist() if v is not None] == [clock.at(h) for h in hours if h == h]
    assert array.to_pylist()[1].isoformat() == "2027-01-01T01:30:00-07:00"
    assert datetime(2027, 1, 1, 7, tzinfo=timezone.utc) == clock.epoch


# --- provenance and natural order ------------------------------------------------------------


def test_provenance_is_in_the_summary_and_every_file(run):
    scenario, out, folder = run
    summary = json.loads((folder / "summary.json").read_text())
    prov = summary["provenance"]
    assert list(summary)[0] == "provenance"
    assert prov["seed"] == 5 and prov["scenario"] == scenario.name and prov["command"] is None
    assert prov["scenario_sha256"] == scenario_hash(scenario) and re.fullmatch(r"[0-9a-f]{64}", prov["scenario_sha256"])
    from importlib.metadata import version

    assert prov["offduty_version"] == version("offduty")
    for name in FILES:
        meta = pq.read_schema(folder / f"{name}.parquet").metadata
        assert json.loads(meta[schema.PROVENANCE_KEY]) == prov


def test_the_scenario_hash_follows_the_parameters_not_the_layout():
    data = small(days=7, officers=10)
    reordered = dict(reversed(list(data.items())))
    assert scenario_hash(from_dict(data)) == scenario_hash(from_dict(reordered))
    assert scenario_hash(from_dict(data)) != scenario_hash(from_dict(data).with_overrides({"fees.admin_fee_pct": 9}))


def test_a_seed_sequence_is_recorded_as_its_entropy_and_spawn_key():
    from offduty_simulations.outputs import provenance_of

    child = np.random.SeedSequence(77).spawn(2)[1]
    prov = provenance_of(from_dict(small(days=3, officers=5)), child, ["offduty", "simulate", "--out", "a b"])
    assert prov["seed"] == {"entropy": 77, "spawn_key": [1]}
    assert prov["command"] == "offduty simulate --out 'a b'"
    json.dumps(prov)


def test_summary_keys_are_in_natural_order(run):
    _, _, folder = run
    summary = json.loads((folder / "summary.json").read_text())
    months = list(summary["fill_rate_by_month"])
    assert months == sorted(months, key=int)
    days = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
    assert list(summary["fill_rate_by_weekday"]) == [d for d in days if d in summary["fill_rate_by_weekday"]]
    leads = ["<1d", "1-3d", "3-7d", "7-14d", "14-30d", ">=30d"]
    assert list(summary["fill_rate_by_lead_time"]) == [b for b in leads if b in summary["fill_rate_by_lead_time"]]
    assert len(summary["fill_rate_by_lead_time"]) >= 3
    roles = list(summary["fill_rate_by_role"])
    assert roles == [r for r in ("officer", "supervisor", "scribe") if r in roles]


def test_a_whole_year_lists_months_one_to_twelve():
    from offduty_simulations.outputs import _rates

    months = [12, 1, 10, 2, 11, 3, 9, 4, 8, 5, 7, 6, 1]
    status = ["worked"] * 11 + ["unfilled", "cancelled"]
    rates = _rates(months, [s != "cancelled" for s in status], [s == "worked" for s in status], range(1, 13))
    assert list(rates) == [str(m) for m in range(1, 13)]
    assert rates["6"] == {"due": 1, "filled": 0, "fill_rate": 0.0} and rates["1"]["due"] == 1  # cancelled: not due


# --- other readers ------------------------------------------------------------------------------


def test_duckdb_reads_the_files_without_casting(run):
    duckdb = pytest.importorskip("duckdb")
    _, out, folder = run
    con = duckdb.connect()
    shifts = str(folder / "shifts.parquet")
    types = dict(con.execute(f"select column_name, column_type from (describe select * from '{shifts}')").fetchall())
    assert types["vendor_billed"] == "DECIMAL(18,2)" and types["start"] == "TIMESTAMP WITH TIME ZONE"
    billed, card, officers = con.execute(
        f"select sum(vendor_billed) + sum(request_extras) + sum(card_fee), sum(card_fee), count(distinct officer) "
        f"from '{shifts}'").fetchone()
    assert billed == Decimal(out.summary["money"]["vendor_billed"]) and card == Decimal(out.summary["money"]["card_fee"])
    assert officers == out.shifts["officer"].nunique()
    ledger = str(folder / "ledger.parquet")
    assert con.execute(f"select count(*) from (select tx, sum(amount) s from '{ledger}' group by tx) where s <> 0"
                       ).fetchone() == (0,)
    assert con.execute(f"select typeof(date) from '{ledger}' limit 1").fetchone() == ("DATE",)


def test_polars_reads_the_files_without_casting(run):
    pl = pytest.importorskip("polars")
    _, out, folder = run
    shifts = pl.read_parquet(folder / "shifts.parquet")
    assert shifts.schema["vendor_billed"] == pl.Decimal(18, 2)
    assert shifts.schema["start"] == pl.Datetime("us", shifts.schema["start"].time_zone)
    total = shifts.select(pl.col("vendor_billed").sum() + pl.col("request_extras").sum() + pl.col("card_fee").sum())
    assert Decimal(str(total.item())) == Decimal(out.summary["money"]["vendor_billed"])
    officers = pl.read_parquet(folder / "officers.parquet")
    assert officers.schema["qualifications"] == pl.List(pl.String)
    assert officers.schema["seniority_date"] == pl.Date


# --- the documentation ------------------------------------------------------------------------


def _documented(doc: str) -> dict[str, dict[str, str]]:
    """{file: {column: type}} from docs/outputs.md's tables (``## `name.parquet` `` sections)."""
    out: dict[str, dict[str, str]] = {}
    current = None
    for line in doc.splitlines():
        heading = re.match(r"^##+ `(\w+)\.parquet`", line)
        if heading:
            current = out.setdefault(heading.group(1), {})
            continue
        if line.startswith("## "):
            current = None
        row = re.match(r"^\| `(\w+)` \| `([^`]+)` \|", line)
        if current is not None and row:
            current[row.group(1)] = row.group(2)
    return out


def test_docs_describe_every_column_with_its_type():
    documented = _documented(DOC.read_text())
    for name, sch in schema.schemas("America/Phoenix").items():
        expected = {f.name: str(f.type).replace("America/Phoenix", "agency zone") for f in sch}
        expected = {k: re.sub(r"list<element: (\w+) not null>", r"list<\1>", v) for k, v in expected.items()}
        assert documented.get(name) == expected, name
    readme = (ROOT / "README.md").read_text()
    assert "docs/outputs.md" in readme


def test_the_ledger_holds_the_summarys_city_and_admin_fee(run):
    _, out, _ = run
    ledger, money = out.ledger, out.summary["money"]
    posted = lambda prefix: -sum(ledger.loc[ledger["account"].str.startswith(prefix), "amount"], Decimal(0))
    assert posted("liabilities:payable:city") == Decimal(money["city"])
    assert posted("income:admin-fee") == Decimal(money["admin_fee"])
    assert posted("income:card-fee") == Decimal(money["card_fee"])


# --- streaming: the sink ------------------------------------------------------------------------


def _raw_rows(table: pa.Table) -> list[tuple]:
    """A table's rows as the raw values a sink takes: cents, UTC seconds, dates, lists, None."""
    def raw(field, value):
        if value is None:
            return None
        if pa.types.is_decimal(field.type):
            return int(value.scaleb(2))
        if pa.types.is_timestamp(field.type):
            return int(value.timestamp())
        return value

    columns = [[raw(f, v) for v in table.column(f.name).to_pylist()] for f in table.schema]
    return list(zip(*columns))


@pytest.mark.parametrize("name", FILES)
def test_a_streamed_file_holds_what_the_whole_table_holds(run, tmp_path, name):
    from offduty_simulations.sink import ParquetSink

    _, out, _ = run
    table = out.tables[name]
    rows = _raw_rows(table)
    paths = []
    for i in range(2):
        path = tmp_path / f"{name}-{i}.parquet"
        with ParquetSink(path, table.schema, batch_rows=97, provenance=out.summary["provenance"]) as sink:
            for row in rows:
                sink.append(row)
                assert sink._pending < 97  # never more than a batch in memory
        assert sink.rows == len(rows)
        paths.append(path)
    back = pq.read_table(paths[0])
    assert back.equals(table) and back.schema.equals(table.schema, check_metadata=False)
    assert pq.ParquetFile(paths[0]).metadata.num_row_groups == -(-len(rows) // 97)
    assert json.loads(back.schema.metadata[schema.PROVENANCE_KEY]) == out.summary["provenance"]
    assert paths[0].read_bytes() == paths[1].read_bytes()  # the same rows, the same bytes


def test_a_sink_refuses_a_wrong_row_and_leaves_no_unfinished_file(tmp_path):
    from offduty_simulations.sink import ParquetSink

    path = tmp_path / "ledger.parquet"
    from datetime import date

    with pytest.raises(ValueError, match="has 6 values, not 2"):
        with ParquetSink(path, schema.LEDGER, batch_rows=1) as sink:
            sink.append((0, date(2027, 1, 1), None, "memo", "assets:cash", 500))  # flushed: one row group
            sink.append((1, date(2027, 1, 1)))
    assert not path.exists()
    with ParquetSink(path, schema.LEDGER) as sink:
        sink.extend([(0, date(2027, 1, 1), None, "m", "assets:cash", -5), (0, date(2027, 1, 1), "r", "m", "x", 5)])
    assert pq.read_table(path).column("amount").to_pylist() == [Decimal("-0.05"), Decimal("0.05")]
    assert pq.read_table(path).column("ref").to_pylist() == [None, "r"]


def test_raw_values_that_would_be_truncated_are_refused():
    # pyarrow itself turns 1.5 into 1 when asked for int64: money and instants refuse floats.
    for values in ([150, 1.5], np.array([1.5])):
        with pytest.raises(TypeError, match="money is integer cents, not double"):
            schema.money(values)
    with pytest.raises(TypeError, match="an instant is whole seconds"):
        schema.column(pa.field("t", pa.timestamp("us", tz="UTC")), [1.5])
