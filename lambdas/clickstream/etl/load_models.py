"""In-memory results of loading raw objects: per object, per group, and what the rows
COPYed straight into fact_events touched (sessions, dates, products)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from clickstream.etl.raw_store import RawObject
from clickstream.etl.records import (
    MAX_REASON_CHARS,
    ParsedEvent,
    ProductFacts,
    clean_text,
    event_id_of,
)

MAX_REJECTED_LINE_CHARS = 8000


@dataclass
class ObjectOutcome:
    obj: RawObject
    records_total: int = 0
    rows_valid: int = 0
    rows_inserted: int = 0
    rejected: list[tuple[int, str | None, str, str]] = field(default_factory=list)
    quarantine_reason: str | None = None

    def reject(self, line_number: int, line: bytes, reason: str) -> None:
        event_id = event_id_of(line)
        self.rejected.append(
            (
                line_number,
                None if event_id is None else clean_text(event_id, 64),
                clean_text(reason, MAX_REASON_CHARS),
                clean_text(line.decode("utf-8", "replace"), MAX_REJECTED_LINE_CHARS),
            )
        )

    @property
    def rows_duplicate(self) -> int:
        return self.rows_valid - self.rows_inserted


@dataclass(slots=True)
class ProductSpan:
    first_seen_at: datetime
    last_seen_at: datetime
    # The row merge_staged_events.sql's product_latest would pick: priced rows first,
    # then the latest.
    rank: tuple[bool, datetime]
    facts: ProductFacts


@dataclass
class Touched:
    """What rows COPYed straight into fact_events touched: the sessions and dates to
    queue, the products to upsert and the newest server time. merge_staged_events.sql
    derives the same from its RETURNING rows for objects that went through etl_stage."""

    session_ids: set[str] = field(default_factory=set)
    dates: set[date] = field(default_factory=set)
    products: dict[str, ProductSpan] = field(default_factory=dict)
    newest_received_at: datetime | None = None

    def add(self, parsed: ParsedEvent) -> None:
        self.add_rows({parsed.session_id}, {parsed.event_date}, parsed.received_at)
        if parsed.product is not None and parsed.event_at is not None:
            self.add_product(parsed.product, parsed.event_at)

    def add_rows(self, sessions: set[str], dates: set[date], newest: datetime | None) -> None:
        """The sessions, dates and newest receive time of some rows at once."""
        self.session_ids |= sessions
        self.dates |= dates
        if newest is not None and (
            self.newest_received_at is None or newest > self.newest_received_at
        ):
            self.newest_received_at = newest

    def add_product(self, product: ProductFacts, at: datetime) -> None:
        """A row naming a product, at its event time."""
        rank = (product.price is not None, at)
        span = self.products.get(product.product_id)
        if span is None:
            self.products[product.product_id] = ProductSpan(at, at, rank, product)
            return
        span.first_seen_at = min(span.first_seen_at, at)
        span.last_seen_at = max(span.last_seen_at, at)
        if rank > span.rank:
            span.rank = rank
            span.facts = product

    def update(self, other: Touched) -> None:
        self.session_ids |= other.session_ids
        self.dates |= other.dates
        if other.newest_received_at is not None and (
            self.newest_received_at is None or other.newest_received_at > self.newest_received_at
        ):
            self.newest_received_at = other.newest_received_at
        for product_id, theirs in other.products.items():
            ours = self.products.get(product_id)
            if ours is None:
                self.products[product_id] = theirs
                continue
            ours.first_seen_at = min(ours.first_seen_at, theirs.first_seen_at)
            ours.last_seen_at = max(ours.last_seen_at, theirs.last_seen_at)
            if theirs.rank > ours.rank:
                ours.rank = theirs.rank
                ours.facts = theirs.facts


@dataclass(frozen=True)
class ObjectFailure:
    """An object whose load raised: rolled back alone; `attempts` counts its failures so
    far (it is quarantined once they reach the limit)."""

    obj: RawObject
    error: str
    attempts: int = 0


@dataclass
class GroupResult:
    outcomes: list[ObjectOutcome] = field(default_factory=list)
    failed: list[ObjectFailure] = field(default_factory=list)
    skipped_claimed: int = 0
    newest_received_at: datetime | None = None
    objects_staged: int = 0

    @property
    def loaded(self) -> list[ObjectOutcome]:
        return [o for o in self.outcomes if o.quarantine_reason is None]

    @property
    def quarantined(self) -> list[ObjectOutcome]:
        return [o for o in self.outcomes if o.quarantine_reason is not None]

    def saw_received_at(self, newest: datetime | None) -> None:
        if newest is not None and (
            self.newest_received_at is None or newest > self.newest_received_at
        ):
            self.newest_received_at = newest
