"""Multiwindow multi-burn-rate alerting of every SLO."""

from __future__ import annotations

from pydantic import Field

from nusantara_fleet.model.spec.common import PROM_WINDOW, Spec


class BurnWindowSpec(Spec):
    """One window pair: fires when both windows burn faster than the factor this budget share gives."""

    budget_pct: float = Field(gt=0, le=100, description="Share of the period's error budget spent, %.")
    short_window: str = Field(pattern=PROM_WINDOW, description="The short window: stops the alert soon after recovery.")
    long_window: str = Field(pattern=PROM_WINDOW, description="The long window: how much budget the burn spent.")


class BurnAlertsSpec(Spec):
    """Multiwindow multi-burn-rate alerting of every SLO: Sloth's google-30d windows (SRE workbook)."""

    page_quick: BurnWindowSpec = Field(
        default=BurnWindowSpec(budget_pct=2, short_window="5m", long_window="1h"),
        description="Page when 2% of the budget goes in an hour (14.4x over 30 days): the workbook's fast page.",
    )
    page_slow: BurnWindowSpec = Field(
        default=BurnWindowSpec(budget_pct=5, short_window="30m", long_window="6h"),
        description="Page when 5% goes in six hours (6x over 30 days): a slower burn that still needs someone now.",
    )
    ticket_quick: BurnWindowSpec = Field(
        default=BurnWindowSpec(budget_pct=10, short_window="2h", long_window="1d"),
        description="Ticket when 10% goes in a day (3x over 30 days): handled within the working day.",
    )
    ticket_slow: BurnWindowSpec = Field(
        default=BurnWindowSpec(budget_pct=10, short_window="6h", long_window="3d"),
        description="Ticket when 10% goes in three days (1x over 30 days): the budget would run out by period end.",
    )
