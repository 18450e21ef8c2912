"""invoices.csv, payroll.csv and city.csv: written by ``offduty simulate``, read off the ledger,
their totals tied to summary.json."""

from __future__ import annotations

import json
import subprocess
import sys
from collections import defaultdict
from datetime import date
from decimal import Decimal

import pandas as pd
import pytest

from offduty_core import ledger as L
from offduty_core.spec import PaymentTerms
from offduty_simulations import deliverables as D
from offduty_simulations.calibrate import dumps_toml
from sim_helpers import ROOT, small

MONEY = r"^-?\d+\.\d\d$"


def simulate(tmp_path, name: str, seed: int = 5):
    scenario = tmp_path / "small.toml"
    if not scenario.exists():
        scenario.write_text(dumps_toml(small(days=28, officers=25)))
    out = tmp_path / name
    result = subprocess.run([sys.executable, "-m", "offduty_core.cli", "simulate", "--scenario", str(scenario),
                             "--seed", str(seed), "--out", str(out)], capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0, result.stderr
    return out


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    return simulate(tmp_path_factory.mktemp("deliverables"), "out")


def read(out, name):
    return pd.read_csv(out / name, dtype=str, keep_default_na=False)


def total(column) -> Decimal:
    return sum(map(Decimal, column), Decimal("0"))


def test_the_csvs_totals_equal_the_summarys(run):
    summary = json.loads((run / "summary.json").read_text())
    money, cash = summary["money"], summary["cash"]
    invoices, payroll, city = read(run, "invoices.csv"), read(run, "payroll.csv"), read(run, "city.csv")
    assert len(invoices) > 20 and len(payroll) > 20 and len(city) >= 1
    assert total(invoices["total"]) == Decimal(money["vendor_billed"])
    assert total(invoices["card_fee"]) == Decimal(money["card_fee"]) > 0
    assert total(invoices["subtotal"]) + total(invoices["card_fee"]) == total(invoices["total"])
    paid = invoices[invoices["status"] == "paid"]
    assert total(paid["total"]) == Decimal(cash["vendor_payments_received"])
    assert total(invoices.loc[invoices["status"] == "written_off", "total"]) == Decimal(money["bad_debt"])
    assert total(payroll["gross_pay"]) == Decimal(money["officer_pay"]) == Decimal(cash["payroll_paid"])
    assert total(city["owed"]) == Decimal(money["city"]) > 0


def test_every_money_column_is_an_exact_two_place_string(run):
    for name, columns in [("invoices.csv", ("subtotal", "card_fee", "total", "late_charge")),
                          ("payroll.csv", ("gross_pay", "hours")), ("city.csv", ("owed",))]:
        frame = read(run, name)
        for column in columns:
            assert frame[column].str.match(MONEY).all(), (name, column)
    invoices = read(run, "invoices.csv")
    assert list(invoices.columns) == list(D.INVOICE_COLUMNS)
    assert invoices["invoice"].is_unique and invoices["invoice"].iloc[0] == "INV-000001"
    assert (invoices["due"] > invoices["issued"]).all()
    assert (invoices.loc[invoices["status"] == "paid", "paid"] != "").all()


def test_payroll_rows_are_the_ledgers_payroll_runs(run):
    ledger = pd.read_parquet(run / "ledger.parquet")
    runs = ledger[ledger["ref"].str.startswith("payroll:")]
    posted: dict[tuple[str, str], Decimal] = defaultdict(lambda: Decimal("0"))
    for ref, account, amount, day in zip(runs["ref"], runs["account"], runs["amount"], runs["date"]):
        if account.startswith(L.OFFICER_PAYABLE + ":"):
            posted[(account.rsplit(":", 1)[1], ref.split(":", 1)[1])] += Decimal(str(amount))
    payroll = read(run, "payroll.csv")
    written = {(b, w): Decimal(g) for b, w, g in zip(payroll["badge"], payroll["week_start"], payroll["gross_pay"])
               if Decimal(g)}
    assert written == dict(posted)
    pay_dates = dict(zip(runs["ref"].str.split(":").str[1], pd.to_datetime(runs["date"]).dt.date.astype(str)))
    assert all(pay_dates[w] == d for w, d in zip(payroll["week_start"], payroll["pay_date"]))
    shifts = pd.read_parquet(run / "shifts.parquet")
    assert abs(pd.to_numeric(payroll["hours"]).sum() - shifts["worked_hours"].sum()) <= 0.005 * len(payroll)


def test_city_rows_are_by_city_and_month(run):
    city = read(run, "city.csv")
    assert list(city.columns) == ["city", "month", "owed"]
    assert city["month"].str.match(r"^\d{4}-\d\d$").all() and not city.duplicated(["city", "month"]).any()


def test_the_same_seed_writes_byte_identical_csvs(run, tmp_path):
    again = simulate(tmp_path, "again")
    for name in D.FILES:
        assert (again / name).read_bytes() == (run / name).read_bytes(), name


def test_a_ledger_typed_as_decimals_and_dates_gives_the_same_rows(run):
    """The readers work from data: money as decimals and dates as zoned timestamps or dates (as
    a typed Parquet file would have them) give the same invoices, payroll and city rows."""
    ledger = pd.read_parquet(run / "ledger.parquet")
    shifts = pd.read_parquet(run / "shifts.parquet")
    decimals = [Decimal(a) for a in ledger["amount"]]
    terms = PaymentTerms()
    plain = D.transactions(ledger)
    for typed in (ledger.assign(amount=decimals, date=pd.to_datetime(ledger["date"]).dt.tz_localize("America/Phoenix")),
                  ledger.assign(amount=decimals, date=pd.to_datetime(ledger["date"]).dt.date)):
        other = D.transactions(typed)
        assert D.invoice_rows(plain, terms) == D.invoice_rows(other, terms)
        assert D.payroll_rows(plain, shifts, terms) == D.payroll_rows(other, shifts, terms)
        assert D.city_rows(plain) == D.city_rows(other)
    assert D.invoice_rows(plain, terms) == read(run, "invoices.csv").to_dict("records")


def test_pyarrow_tables_give_the_same_rows_as_pandas_frames(run):
    """offduty simulate hands the deliverables the pyarrow tables it writes (no pandas frames
    made): the rows are the same as from the files read back by pandas."""
    import pyarrow.parquet as pq

    terms = PaymentTerms()
    frames = D.transactions(pd.read_parquet(run / "ledger.parquet"))
    arrow = D.transactions(pq.read_table(run / "ledger.parquet"))
    assert arrow == frames and arrow
    shifts_pd, shifts_pa = pd.read_parquet(run / "shifts.parquet"), pq.read_table(run / "shifts.parquet")
    rows = D.payroll_rows(arrow, shifts_pa, terms)
    assert rows == D.payroll_rows(frames, shifts_pd, terms)
    assert any(float(r["hours"]) > 0 for r in rows)


def bill(ref: str, day: date, vendor_cents: int, card_cents: int = 0) -> L.Transaction:
    amounts = {L.account(L.RECEIVABLE, "acme"): Decimal(vendor_cents).scaleb(-2),
               L.account(L.OFFICER_PAYABLE, "7"): -Decimal(vendor_cents - card_cents - 1000).scaleb(-2),
               L.ADMIN_FEE: Decimal(-1000).scaleb(-2)}
    if card_cents:
        amounts[L.CARD_FEE] = -Decimal(card_cents).scaleb(-2)
    return L.transaction(day, f"{ref}: work", amounts, ref=f"{ref}#0")


def test_an_invoice_paid_two_months_late_carries_the_terms_late_charge():
    terms = PaymentTerms()
    paid = L.transaction(date(2027, 4, 20), "payment", {L.CASH: Decimal("103.00"),
                                                        L.account(L.RECEIVABLE, "acme"): Decimal("-103.00")},
                         ref="payment:r1")
    written_off = L.transaction(date(2027, 5, 1), "written off", {L.BAD_DEBT: Decimal("50.00"),
                                                                  L.account(L.RECEIVABLE, "acme"): Decimal("-50.00")},
                                ref="payment:r2")
    txs = [bill("r1", date(2027, 1, 10), 10300, card_cents=300), paid, bill("r2", date(2027, 1, 12), 5000),
           written_off]
    rows = D.invoice_rows(txs, terms)
    assert [(r["invoice"], r["request_id"], r["status"]) for r in rows] == [
        ("INV-000001", "r1", "paid"), ("INV-000002", "r2", "written_off")]
    first, second = rows
    assert (first["issued"], first["due"], first["paid"]) == ("2027-01-10", "2027-02-09", "2027-04-20")
    assert (first["subtotal"], first["card_fee"], first["total"]) == ("100.00", "3.00", "103.00")
    # unpaid on 2027-03-09 and 2027-04-09: 1.5 % of 103.00 = 1.545 -> 1.55, twice
    assert first["late_charge"] == "3.10"
    # due 2027-02-11, written off 2027-05-01: charged 2027-03-11 and 2027-04-11 at 0.75
    assert (second["written_off"], second["late_charge"]) == ("2027-05-01", "1.50")


def ledger_table(txs: list[L.Transaction]):
    """``txs`` as a ledger table of the schema ``offduty simulate`` writes."""
    import pyarrow as pa

    from offduty_simulations import schema as S

    rows = [(k, tx, p) for k, tx in enumerate(txs) for p in tx.postings]
    return S.table(S.LEDGER, {"tx": pa.array([k for k, _, _ in rows], pa.int64()),
                              "date": pa.array([tx.date for _, tx, _ in rows], pa.date32()),
                              "ref": pa.array([tx.ref or None for _, tx, _ in rows], pa.string()),
                              "memo": pa.array([tx.memo for _, tx, _ in rows], pa.string()),
                              "account": pa.array([p.account for _, _, p in rows], pa.string()),
                              "amount": pa.array([p.amount for _, _, p in rows], S.MONEY)})


def books() -> list[L.Transaction]:
    """Two bills (one paid, one left open), a city's payable and a payroll run dated after
    every bill: the open invoice's late charges run to the ledger's last day, the payroll's."""
    city = L.transaction(date(2027, 1, 15), "r3: work", {L.account(L.RECEIVABLE, "acme"): Decimal("80.00"),
                                                           L.account(L.OFFICER_PAYABLE, "7"): Decimal("-60.00"),
                                                           L.account(L.CITY_PAYABLE, "mesa"): Decimal("-20.00")},
                         ref="r3#0")
    paid = L.transaction(date(2027, 2, 1), "payment", {L.CASH: Decimal("103.00"),
                                                       L.account(L.RECEIVABLE, "acme"): Decimal("-103.00")},
                         ref="payment:r1")
    payroll = L.transaction(date(2027, 6, 30), "weekly payroll", {L.account(L.OFFICER_PAYABLE, "7"): Decimal("50"),
                                                                  L.CASH: Decimal("-50")}, ref="payroll:2027-06-21")
    return [bill("r1", date(2027, 1, 10), 10300, card_cents=300), bill("r2", date(2027, 1, 12), 5000), city, paid,
            payroll]


def test_read_keeps_only_what_the_csvs_read_and_gives_the_same_rows():
    """The rows from :func:`D.read` (the postings the CSVs read, the ledger's last day) equal
    the rows from every transaction rebuilt whole; admin fees and payroll runs are left out."""
    terms = PaymentTerms()
    whole = books()
    kept, last_day = D.read(ledger_table(whole))
    assert last_day == date(2027, 6, 30)
    assert [tx.ref for tx in kept] == ["r1#0", "r2#0", "r3#0", "payment:r1"]
    assert all(p.account != L.ADMIN_FEE for tx in kept for p in tx.postings)
    assert [p.account for p in kept[3].postings] == [L.CASH]
    rows = D.invoice_rows(kept, terms, last_day)
    assert rows == D.invoice_rows(whole, terms)
    assert rows[1]["status"] == "open" and rows[1]["late_charge"] != "0.00"
    assert D.payroll_rows(kept, [], terms) == D.payroll_rows(whole, [], terms)
    assert D.city_rows(kept) == D.city_rows(whole) == [{"city": "mesa", "month": "2027-01", "owed": "20.00"}]


def test_read_takes_a_table_out_of_transaction_order_and_a_pandas_frame_alike():
    table = ledger_table(books())
    tx = table.column("tx").to_pylist()
    shuffled = table.take(sorted(range(len(table)), key=lambda row: -tx[row]))  # last transaction first
    assert D.read(shuffled)[0] == D.read(table)[0] == D.read(table.to_pandas())[0]


def test_read_refuses_a_transaction_that_does_not_balance():
    import pyarrow as pa

    from offduty_simulations import schema as S

    table = ledger_table(books())
    amounts = table.column("amount").to_pylist()
    amounts[0] += Decimal("0.01")
    broken = table.set_column(table.schema.get_field_index("amount"), S.LEDGER.field("amount"),
                              pa.array(amounts, S.MONEY))
    with pytest.raises(L.UnbalancedError, match="r1: work"):
        D.read(broken)


def test_write_gives_the_same_files_from_pyarrow_tables_and_pandas_frames(run, tmp_path):
    import pyarrow.parquet as pq

    terms = PaymentTerms()
    D.write(tmp_path, pd.read_parquet(run / "ledger.parquet"), pd.read_parquet(run / "shifts.parquet"), terms)
    for name in D.FILES:
        assert (tmp_path / name).read_bytes() == (run / name).read_bytes(), name
    D.write(tmp_path, pq.read_table(run / "ledger.parquet"), pq.read_table(run / "shifts.parquet"), terms)
    for name in D.FILES:
        assert (tmp_path / name).read_bytes() == (run / name).read_bytes(), name
