"""Orders: one row per order line; lines sharing an order id become one order, refunds are negative lines."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation

from sqlalchemy.orm import Session

from accord.errors import Invalid
from accord.kernel.audit import Actor
from accord.pipeline.service import OrderLineIn, record_order_lines

from .common import Context, IdentityReader, Written
from .values import country_parser, currency_checker, money_parser, text_within, whole_number


def refund_test(ctx: Context) -> tuple[Callable[[list[str]], bool], str]:
    """Row → is it marked as a refund, and the marker described for reasons ('InvoiceNo does not start with C')."""
    refund = ctx.mapping.refund
    if refund is None:
        return (lambda _values: False), "the mapping has no [refund] marker"
    position = ctx.header.index(refund["column"])
    if "prefix" in refund:
        prefix = str(refund["prefix"])
        return ((lambda values: values[position].strip().startswith(prefix)),
                f"{refund['column']} does not start with '{prefix}'")
    marks = {str(v) for v in refund["values"]}
    return ((lambda values: values[position].strip() in marks),
            f"{refund['column']} is not one of {', '.join(sorted(marks))}")


def currency_of(ctx: Context, kind: str) -> Callable[[list[str]], str]:
    """Row → its ISO 4217 currency, from the currency field or the mapping's currency."""
    check = currency_checker()
    get = ctx.get("currency")
    if get is not None:
        fallback = ctx.currency

        def from_column(values: list[str]) -> str:
            code = get(values) or fallback
            if not code:
                raise Invalid("currency", "empty, and the mapping sets no currency")
            return check(code)
        return from_column
    if not ctx.currency:
        raise Invalid("mapping", f"{kind} need a currency: set currency = \"GBP\" (say) or map the currency field")
    constant = check(ctx.currency)
    return lambda _values: constant


class Orders:
    """Rows → OrderLineIn → record_order_lines."""

    name = "orders"
    required = ("order_id", "ordered_at", "quantity", "unit_price")
    optional = ("sku", "description", "unit_cost", "currency", "channel", "country", "location", "display_name",
                "category")
    needs_identity = False
    batch_size = 10_000

    def compile(self, ctx: Context) -> Callable[[list[str]], OrderLineIn]:
        source = ctx.mapping.source
        order_id = ctx.require("order_id")
        parse_time = ctx.timestamp("ordered_at")
        ordered_at = ctx.require("ordered_at")
        get_quantity, get_price = ctx.require("quantity"), ctx.require("unit_price")
        get_cost, get_sku, get_description = ctx.get("unit_cost"), ctx.get("sku"), ctx.get("description")
        get_location, get_name = ctx.get("location"), ctx.get("display_name")
        get_category = ctx.get("category")
        channel_of = ctx.channel_of() or (lambda _values: "other")
        country_get = ctx.get("country")
        country = country_parser(ctx.mapping.countries)
        currency = currency_of(ctx, "orders")
        price = money_parser("unit_price")
        cost = money_parser("unit_cost")
        ratio = _cost_ratio(ctx.mapping.cost_ratio)
        is_refund, marker = refund_test(ctx)
        identities = IdentityReader(ctx)
        line_numbers: dict[str, int] = {}

        def record(values: list[str]) -> OrderLineIn:
            external = order_id(values)
            if not external:
                raise Invalid("order_id", "empty; each line needs the id of its order")
            if len(external) > 200:
                raise Invalid("order_id", f"{len(external)} characters; the limit is 200")
            # Numbered before anything else is checked, so fixing a rejected line and importing again
            # gives every line the number it would have had.
            line_no = line_numbers[external] = line_numbers.get(external, 0) + 1
            at = parse_time(ordered_at(values))
            quantity = whole_number("quantity", get_quantity(values))
            if quantity == 0:
                raise Invalid("quantity", "zero; a line needs a quantity")
            if is_refund(values):
                quantity = -abs(quantity)
            elif quantity < 0:
                raise Invalid("quantity", f"{quantity} is negative but the row is not marked as a refund ({marker})")
            code = currency(values)
            price_text = get_price(values)
            unit_price = price(price_text, code)
            if unit_price < 0:
                raise Invalid("unit_price", f"{price_text} is negative; a refund is a negative quantity at a "
                                            "positive price")
            unit_cost = None
            if get_cost is not None and (cost_text := get_cost(values)):
                unit_cost = cost(cost_text, code)
                if unit_cost < 0:
                    raise Invalid("unit_cost", f"{cost_text} is negative")
            elif ratio is not None:
                unit_cost = int((Decimal(unit_price) * ratio).quantize(Decimal(1), rounding=ROUND_HALF_EVEN))
            sku = get_sku(values) if get_sku else ""
            if len(sku) > 60:
                raise Invalid("sku", f"{len(sku)} characters; the limit is 60")
            description = text_within("description", get_description(values) if get_description else "", 300)
            location = text_within("location", get_location(values) if get_location else "", 120)
            channel = channel_of(values)
            keys, first_raw = identities.keys(values, channel) if identities else ((), "")
            category = (get_category(values) if get_category else "") or "imported"
            return OrderLineIn(
                source, external, line_no, at, channel, code, quantity, unit_price, description or sku or "(no description)",
                sku or None, unit_cost, keys, (get_name(values) if get_name else "") or first_raw,
                country(country_get(values)) if country_get else None, location or None, category,
            )
        return record

    def write(self, session: Session, records: Sequence[OrderLineIn], *, actor: Actor) -> Written:
        outcome = record_order_lines(session, records, actor=actor)
        return Written(outcome.lines_written, outcome.lines_duplicate)


def _cost_ratio(text: str | None) -> Decimal | None:
    if text is None:
        return None
    try:
        ratio = Decimal(text)
    except InvalidOperation:
        raise Invalid("mapping", f"cost_ratio '{text}' is not a number") from None
    if not 0 <= ratio <= 10:
        raise Invalid("mapping", f"cost_ratio {text} is not between 0 and 10")
    return ratio

