"""Page numbers for any paginated list: what ``_macros/pagination.html`` reads."""

from __future__ import annotations

from math import ceil


class PageNumbers:
    """Mixin for a page of results with ``items``, ``page``, ``per_page`` and ``total``."""

    items: list
    page: int
    per_page: int
    total: int

    @property
    def first_index(self) -> int:
        """The position of the page's first row in the whole list (1-based; 0 when empty)."""
        return (self.page - 1) * self.per_page + 1 if self.items else 0

    @property
    def last_index(self) -> int:
        return self.first_index + len(self.items) - 1 if self.items else 0

    @property
    def pages(self) -> int:
        return max(1, ceil(self.total / self.per_page))

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def prev_num(self) -> int | None:
        return self.page - 1 if self.has_prev else None

    @property
    def next_num(self) -> int | None:
        return self.page + 1 if self.has_next else None
