"""The written plan: vision, personas, goals, campaigns, budget and calendar, as Markdown or as a PDF.

Both are rendered from one `WrittenPlan`, so the two files always say the same. The PDF is the HTML printed by
headless Chromium with the same function the review report uses.
"""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from accord.errors import Invalid
from accord.kernel.money import Money
from accord.planning.metrics import TITLE_OF, value_text
from accord.planning.progress import GoalProgress
from accord.planning.queries import PlanView

FORMATS = (".md", ".pdf")
RUNS = "■"


@dataclass(frozen=True)
class Table:
    """A table of text cells; `numeric` columns are right-aligned."""

    columns: list[str]
    rows: list[list[str]]
    numeric: frozenset[int] = frozenset()


@dataclass(frozen=True)
class CampaignText:
    """One campaign as the written plan describes it."""

    name: str
    facts: list[tuple[str, str]]
    ideas: str


@dataclass(frozen=True)
class WrittenPlan:
    """The plan's sections as text, ready for Markdown or HTML."""

    title: str
    subtitle: str
    made: str
    vision: str
    vision_source: str
    personas: list[tuple[str, str, str]]
    goals: Table
    goal_notes: list[str]
    campaigns: Table
    campaign_texts: list[CampaignText]
    budget: list[tuple[str, str]]
    budget_notes: list[str]
    calendar: Table


def _money(minor: int | None, currency: str) -> str:
    return "–" if minor is None else Money(minor, currency).format()


def _day(day: date) -> str:
    return day.strftime("%-d %b %Y")


def written_plan(view: PlanView, progress: Sequence[GoalProgress]) -> WrittenPlan:
    """The plan's text from what the store holds and the goals' progress."""
    plan = view.plan
    if plan is None:
        raise Invalid("plan", "there is no plan to export yet; write one on the plan page first")
    base = view.base_currency
    goals = Table(
        ["Goal", "Metric", "Target", "Period", "So far", "Status"],
        [[p.goal.name, TITLE_OF[p.goal.metric] + (" (at most)" if p.goal.direction == "at_most" else ""),
          value_text(p.goal.unit, p.goal.target, p.goal.currency),
          f"{_day(p.goal.period_start)} – {_day(p.goal.period_end)}",
          value_text(p.goal.unit, p.actual, p.goal.currency), p.status] for p in progress],
        frozenset({2, 4}),
    )
    goal_notes = [f"Progress as of {_day(progress[0].as_of)}, measured by the reviews:"] if progress else []
    goal_notes += sorted({f"{TITLE_OF[p.goal.metric]}: {p.source}." for p in progress if p.status != "unavailable"})
    goal_notes += sorted({f"{p.goal.name}: {p.note}." for p in progress if p.status == "unavailable" and p.note})
    campaigns = Table(
        ["Campaign", "Channel", "Dates", "Budget", f"Spent to date ({base})"],
        [[c.name, c.channel, f"{_day(c.starts_on)} – {_day(c.ends_on)}", _money(c.budget_minor, c.currency),
          _money(c.spent_base_minor, base)] for c in view.campaigns],
        frozenset({3, 4}),
    )
    texts = [CampaignText(c.name, [
        ("Channel", c.channel), ("Status", c.status), ("Dates", f"{_day(c.starts_on)} – {_day(c.ends_on)}"),
        ("Persona", c.persona_name or "–"), ("Goal", c.goal_name or "–"),
        ("Budget", _money(c.budget_minor, c.currency)), ("Spent to date", _money(c.spent_base_minor, base)),
    ], c.ideas) for c in view.campaigns]
    budget = view.budget
    lines = [(f"Total budget ({base})", _money(budget.budget_base_minor, base)),
             (f"Spent to date ({base})", _money(budget.spent_base_minor, base)),
             (f"Left to spend ({base})", _money(budget.budget_base_minor - budget.spent_base_minor, base))]
    if len(budget.by_currency) > 1 or (budget.by_currency and base not in budget.by_currency):
        lines += [(f"Budgets set in {code}", _money(minor, code)) for code, minor in budget.by_currency.items()]
    notes = [f"Money is in {base}, the workspace's base currency: spend converted with the rate in force on each "
             "day it was spent, budgets with the rate on each campaign's first day."]
    if budget.without_rate:
        notes.append(f"No rate to convert the budget of {', '.join(budget.without_rate)}; it is left out of the total.")
    calendar = Table(
        ["Campaign", *[m.strftime("%b %Y") for m in view.calendar.months]],
        [[row.campaign.name, *[RUNS if runs else "" for runs in row.runs]] for row in view.calendar.rows],
    )
    return WrittenPlan(
        title=plan.title, subtitle=f"{view.business} · {_day(plan.period_start)} to {_day(plan.period_end)}",
        made=f"Written plan exported on {_day(view.today)} by Accord.", vision=view.vision,
        vision_source=view.vision_source, personas=[(p.name, p.kind, p.description) for p in view.personas],
        goals=goals, goal_notes=goal_notes, campaigns=campaigns, campaign_texts=texts, budget=lines,
        budget_notes=notes, calendar=calendar,
    )


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|") or " "


def _markdown_table(table: Table) -> list[str]:
    align = ["---:" if i in table.numeric else "---" for i in range(len(table.columns))]
    lines = ["| " + " | ".join(_cell(c) for c in table.columns) + " |", "| " + " | ".join(align) + " |"]
    lines += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in table.rows]
    return lines


def plan_markdown(written: WrittenPlan) -> str:
    """The written plan as Markdown."""
    out = [f"# {written.title}", "", written.subtitle, "", f"_{written.made}_", "", "## Vision", ""]
    if written.vision:
        out += [written.vision.strip(), ""]
        if written.vision_source != "the plan":
            out += [f"_From the {written.vision_source}._", ""]
    else:
        out += ["No vision written yet.", ""]
    out += ["## Personas", ""]
    out += [f"- **{name}** ({kind}){': ' + ' '.join(text.split()) if text.strip() else ''}"
            for name, kind, text in written.personas] or ["No personas yet."]
    out += ["", "## Goals", ""]
    out += [*_markdown_table(written.goals), ""] if written.goals.rows else ["No goals yet.", ""]
    out += [f"- {note}" for note in written.goal_notes]
    out += ["", "## Campaigns", ""]
    if written.campaigns.rows:
        out += [*_markdown_table(written.campaigns), ""]
        for campaign in written.campaign_texts:
            out += [f"### {campaign.name}", ""]
            out += [f"- {label}: {value}" for label, value in campaign.facts]
            out += ["", campaign.ideas.strip() or "_No ideas written down yet._", ""]
    else:
        out += ["No campaigns yet.", ""]
    out += ["## Budget", ""]
    out += [f"- {label}: {value}" for label, value in written.budget]
    out += ["", *[f"_{note}_" for note in written.budget_notes], "", "## Calendar", ""]
    out += _markdown_table(written.calendar) if written.calendar.rows else ["No campaigns in the plan's period."]
    return "\n".join(out).rstrip() + "\n"


def plan_html(written: WrittenPlan) -> str:
    """The written plan as one self-contained HTML page (no scripts, no URLs), for printing."""
    from accord.web.templating import make_templates

    return make_templates().env.get_template("plan/document.html").render(plan=written, runs=RUNS)


def write_plan(written: WrittenPlan, out: Path) -> None:
    """Write the plan as .md, or as .pdf printed by headless Chromium."""
    from accord.reviews.report import write_report

    suffix = out.suffix.lower()
    if suffix not in FORMATS:
        raise Invalid("out", f"{out.name} must end in .md or .pdf")
    if suffix == ".md":
        out.write_text(plan_markdown(written), encoding="utf-8")
    else:
        write_report(plan_html(written), out)


def plan_pdf(written: WrittenPlan) -> bytes:
    """The written plan as PDF bytes."""
    with tempfile.TemporaryDirectory(prefix="accord-plan-") as folder:
        out = Path(folder) / "plan.pdf"
        write_plan(written, out)
        return out.read_bytes()
