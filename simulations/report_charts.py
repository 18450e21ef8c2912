"""The charts of ``offduty report``: matplotlib figures (Agg, no display) as PNG bytes.

Each function takes the report's tables and returns one PNG.  PNGs are written without the
software stamp, so the same tables give the same bytes.
"""

from __future__ import annotations

import io

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.ticker import FuncFormatter, MaxNLocator  # noqa: E402

#: Dollars with thousands separators on a money axis.
DOLLARS = FuncFormatter(lambda v, _pos: f"{v:,.0f}")

BLUE, RED, GREY, GREEN = "#2b6cb0", "#c53030", "#a0aec0", "#2f855a"


def _png(fig) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100, bbox_inches="tight", metadata={"Software": None})
    plt.close(fig)
    return buf.getvalue()


def _style(ax) -> None:
    ax.spines[["top", "right"]].set_visible(False)
    ax.grid(axis="y", color="#e2e8f0", linewidth=0.8)
    ax.set_axisbelow(True)


def fill_bars(table: pd.DataFrame, key: str, title: str, xlabel: str, rotate: bool = False) -> bytes:
    """Fill rate per group (bars, 0-100 %) with the shifts due per group on a second axis."""
    fig, ax = plt.subplots(figsize=(8, 3.4))
    labels = [str(k) for k in table[key]]
    x = np.arange(len(labels))
    ax.bar(x, table["fill_rate"].astype(float) * 100, color=BLUE, label="fill rate")
    ax.set_ylim(0, 105)
    ax.set_ylabel("shifts filled (%)")
    ax.set_xticks(x, labels, rotation=45 if rotate else 0, ha="right" if rotate else "center")
    ax.set_xlabel(xlabel)
    ax.set_title(title, loc="left")
    _style(ax)
    due = ax.twinx()
    due.plot(x, table["due"].astype(int), color="#4a5568", marker="o", linestyle="none", label="shifts due")
    due.set_ylabel("shifts due", color="#4a5568")
    due.set_ylim(0, max(1, int(table["due"].max() if len(table) else 1)) * 1.15)
    due.spines[["top"]].set_visible(False)
    handles = ax.get_legend_handles_labels()[0] + due.get_legend_handles_labels()[0]
    ax.legend(handles, ["fill rate (left axis)", "shifts due (right axis)"], loc="lower right",
              bbox_to_anchor=(1.0, 1.0), ncol=2, frameon=False, fontsize=8)
    return _png(fig)


def hot_spot_grid(grid: pd.DataFrame) -> bytes:
    """Unfilled shifts by weekday and start hour, as a heat map."""
    fig, ax = plt.subplots(figsize=(8, 3.0))
    image = ax.imshow(grid.to_numpy(), aspect="auto", cmap="Reds", vmin=0)
    ax.set_yticks(range(len(grid.index)), [d[:3] for d in grid.index])
    ax.set_xticks(range(0, 24, 2), [f"{h:02d}:00" for h in range(0, 24, 2)], fontsize=8)
    ax.set_xlabel("start hour (local)")
    ax.set_title("Unfilled shifts by weekday and start hour", loc="left")
    bar = fig.colorbar(image, ax=ax, label="unfilled shifts")
    bar.locator = MaxNLocator(integer=True)
    bar.update_ticks()
    return _png(fig)


def officer_distribution(officers: pd.DataFrame) -> bytes:
    """How hours and pay spread over the roster (officers who never worked included)."""
    fig, (left, right) = plt.subplots(1, 2, figsize=(9, 3.2))
    hours = officers["hours"].astype(float).to_numpy()
    pay = np.array([float(v) for v in officers["pay"]])
    for ax, values, label, colour in ((left, hours, "off-duty hours in the run", BLUE),
                                      (right, pay, "gross pay in the run ($)", GREEN)):
        ax.hist(values, bins=min(30, max(5, len(values) // 4)), color=colour, edgecolor="white")
        ax.set_xlabel(label)
        ax.set_ylabel("officers")
        ax.xaxis.set_major_formatter(DOLLARS)
        _style(ax)
    left.set_title("Officer hours", loc="left")
    right.set_title("Officer pay", loc="left")
    fig.tight_layout()
    return _png(fig)


def cash_position(cash: pd.DataFrame) -> bytes:
    """The running balance of vendor payments in less payroll out; its lowest point is the
    cash payroll needs ahead of vendor payments."""
    fig, ax = plt.subplots(figsize=(8, 3.4))
    days = pd.to_datetime(cash["date"]) if len(cash) else pd.to_datetime(pd.Series([], dtype=str))
    balance = np.array([float(v) for v in cash["balance"]])
    ax.step(days, balance, where="post", color=BLUE, linewidth=1.4)
    ax.axhline(0, color="#4a5568", linewidth=0.8)
    if len(balance):
        ax.fill_between(days, balance, 0, where=balance < 0, step="post", color=RED, alpha=0.25,
                        label="payroll paid before vendors paid")
        low = int(np.argmin(balance))
        if balance[low] < 0:
            ax.annotate(f"lowest: {-balance[low]:,.2f} needed on {cash['date'].iloc[low]}",
                        (days.iloc[low], balance[low]), xytext=(10, -4), textcoords="offset points", fontsize=8,
                        color=RED)
            ax.legend(loc="upper left", frameon=False, fontsize=8)
    ax.set_ylabel("cumulative cash ($)")
    ax.yaxis.set_major_formatter(DOLLARS)
    ax.set_title("Vendor payments in less weekly payroll out", loc="left")
    fig.autofmt_xdate()
    _style(ax)
    return _png(fig)


def cancellation_income(table: pd.DataFrame) -> bytes:
    fig, ax = plt.subplots(figsize=(8, 2.8))
    labels = list(table.iloc[:, 0])
    values = [float(v) for v in table["amount"]]
    colours = [BLUE, GREY, GREEN, GREEN if values[-1] >= 0 else RED]
    ax.barh(range(len(values)), values, color=colours)
    ax.set_yticks(range(len(values)), labels)
    ax.invert_yaxis()
    for i, v in enumerate(values):
        ax.annotate(f"{v:,.2f}", (v, i), xytext=(4, 0), textcoords="offset points", va="center", fontsize=8)
    ax.set_xlabel("$ over the run")
    ax.xaxis.set_major_formatter(DOLLARS)
    ax.set_title("Cancellation, start-change and reduction charges", loc="left")
    ax.spines[["top", "right"]].set_visible(False)
    return _png(fig)
