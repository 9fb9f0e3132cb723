"""Energy spent against energy received: the ROI and income reviews run for one period, for the business review.

Nothing is computed here that the reviews do not compute: marketing spend, the revenue credited to it, ROI and
ROAS are the ROI review's headline (with its default attribution model), and net revenue, gross margin and
contribution after marketing spend are the income review's totals, so the business page shows exactly what
the Reviews pages show for the same period.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from accord.kernel.money import Money
from accord.reviews.forms import headline, period_text
from accord.reviews.income import IncomeQuery, IncomeResult
from accord.reviews.income import REVIEW as INCOME
from accord.reviews.report import run_review
from accord.reviews.roi import REVIEW as ROI
from accord.reviews.roi import RoiQuery, RoiResult

ROI_FIELDS = ("spend_minor", "revenue_minor", "roi", "roas")


@dataclass(frozen=True)
class Energy:
    """The ROI and income reviews' results for one period, and their figures as the review pages print them."""

    from_on: date
    to_on: date
    currency: str
    roi: RoiResult
    income: IncomeResult

    @property
    def period(self) -> str:
        """The period in words, last day included."""
        return period_text(RoiQuery(from_on=self.from_on, to_on=self.to_on))

    @property
    def spent_and_returned(self) -> list[tuple[str, str]]:
        """Spend, revenue credited to it, ROI and ROAS: the ROI review page's figures, label and text alike."""
        query = RoiQuery(from_on=self.from_on, to_on=self.to_on)
        titles = {RoiResult.model_fields[name].title for name in ROI_FIELDS}
        return [(label, text) for label, text in headline(self.roi, query, self.currency) if label in titles]

    @property
    def all_sales(self) -> list[tuple[str, str]]:
        """Net revenue of all sales, gross margin, and what is left after marketing spend (the income review)."""
        totals = self.income.totals
        left = totals.contribution_minor
        return [
            ("Net revenue, all sales", Money(totals.net_minor, self.currency).format()),
            ("Gross margin", Money(totals.margin_minor, self.currency).format()),
            ("Left after marketing spend", "" if left is None else Money(left, self.currency).format()),
        ]

    @property
    def notes(self) -> list[str]:
        """The two reviews' notes, ROI's first."""
        return [*self.roi.notes, *(note for note in self.income.notes if note not in self.roi.notes)]


def energy(warehouse: Any, from_on: date, to_on: date) -> Energy:
    """Run the ROI and income reviews for [from_on, to_on); Conflict when the warehouse has not been synced."""
    roi = run_review(warehouse, ROI, RoiQuery(from_on=from_on, to_on=to_on))
    income = run_review(warehouse, INCOME, IncomeQuery(from_on=from_on, to_on=to_on))
    return Energy(from_on, to_on, roi.currency, roi, income)
