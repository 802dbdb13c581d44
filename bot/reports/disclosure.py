"""What an admin may see of an anonymous survey: the one place that decides, for every output.

Anonymous answers reach reports in *batches* released together and never changed afterwards:
a closed pulse wave, or (surveys without waves) one segment's answers of a month that is over.
Nothing is released while a wave is open or a month runs, so polling between single answers
shows nothing new.

The groups an admin can ask for form one tree, each group split by the next:
year > quarter > month > team in that month > batch (a wave is counted in the month it opened).
Any other group an admin sees (all time, a team over a quarter, a period still running) is
shown as the sum of the tree's shown groups inside it, so it says nothing those do not.

Why a tree: in a family of groups where any two are nested or apart, the sets of answers whose
totals can be worked out from the shown groups (by sums and differences, in one output or
across many) are exactly the unions of the shown groups' *exclusive parts*: a shown group less
the shown groups below it. So the one rule below is enough for "no group of fewer than the
threshold, directly or by difference":

    every shown group has at least `threshold` answers, and its exclusive part has none or at
    least `threshold`.

A group is decided once, when it is complete (its time is over and all its batches released),
from data that never changes afterwards, so the same group is shown or hidden on every later
request: answers cannot be isolated by comparing outputs over time either. Groups completing
together are decided from the top: a group whose hidden parts would add up to fewer than the
threshold hides its next smallest part being decided with it (complementary suppression) or,
when no such part helps, is hidden itself. A hidden group shows no count.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from bot.reports.figures import Histogram

LEVELS = ("year", "quarter", "month", "team", "batch")


@dataclass(frozen=True)
class Batch:
    """Anonymous answers released together."""

    key: str
    """'wave 12', or 'month 2026-10 sales' for a survey without waves."""
    month: str
    """'2026-10': the month the wave opened, or the month the answers were given."""
    team: str
    """The team of the wave, or the segment; '' for none."""
    released_at: str
    """When the batch was closed for good (the wave's close, or the month's end), UTC stamp."""
    n: int
    """Responses in the batch."""
    hist: Histogram = field(default_factory=dict, compare=False)


@dataclass(frozen=True)
class Node:
    level: str
    name: str
    """'2026', '2026-Q4', '2026-10', '2026-10 sales', or the batch's key."""
    team: str | None = field(default=None, compare=False)
    """Teams and batches: the team ('' for none)."""
    month: str | None = field(default=None, compare=False)
    """Teams and batches: the month."""


@dataclass(frozen=True)
class Scope:
    """A group an admin asks for: months (None: all time) and a team (None: every team)."""

    months: Callable[[str], bool] | None = None
    team: str | None = None

    def has_month(self, month: str) -> bool:
        return self.months is None or self.months(month)


def quarter_of(month: str) -> str:
    return f"{month[:4]}-Q{(int(month[5:7]) - 1) // 3 + 1}"


def months_of_quarter(quarter: str) -> list[str]:
    first = 3 * (int(quarter[-1]) - 1) + 1
    return [f"{quarter[:4]}-{m:02d}" for m in range(first, first + 3)]


def month_end(month: str) -> str:
    """The first instant after the month, as a stamp."""
    year, number = int(month[:4]), int(month[5:7])
    following = datetime(year + number // 12, number % 12 + 1, 1)
    return following.strftime("%Y-%m-%d %H:%M:%S.000")


class Disclosure:
    """The shown groups of one anonymous survey, decided from its released batches."""

    def __init__(
        self,
        batches: Iterable[Batch],
        *,
        threshold: int,
        open_months: Iterable[str] = (),
        now: str,
    ) -> None:
        self.threshold = threshold
        self.batches = sorted(batches, key=lambda b: (b.month, b.team, b.key))
        self._open = set(open_months)
        self._now = now
        self._under: dict[Node, list[Node]] = {}
        self._cells: dict[Node, list[Batch]] = {}
        self._parent: dict[Node, Node] = {}
        self._batch_node: dict[str, Node] = {}
        for batch in self.batches:
            path = self._path(batch)
            self._batch_node[batch.key] = path[-1]
            for depth, node in enumerate(path):
                self._cells.setdefault(node, []).append(batch)
                if depth:
                    self._parent[node] = path[depth - 1]
                    kids = self._under.setdefault(path[depth - 1], [])
                    if node not in kids:
                        kids.append(node)
        self.shown: set[Node] = set()
        self._decide()

    # the tree

    @staticmethod
    def _path(batch: Batch) -> list[Node]:
        return [
            Node("year", batch.month[:4]),
            Node("quarter", quarter_of(batch.month)),
            Node("month", batch.month),
            Node("team", f"{batch.month} {batch.team}", batch.team, batch.month),
            Node("batch", batch.key, batch.team, batch.month),
        ]

    def n(self, node: Node) -> int:
        return sum(b.n for b in self._cells.get(node, ()))

    def children(self, node: Node) -> list[Node]:
        return self._under.get(node, [])

    def _completed_at(self, node: Node) -> str | None:
        """When the group stopped changing; None while it still can."""
        if node.level == "batch":
            return self._cells[node][0].released_at
        if node.level in ("month", "team"):
            month = node.name[:7]
            if month in self._open or month_end(month) > self._now:
                return None
            released = [b.released_at for b in self._cells_of_month(month)]
            return max([month_end(month), *released])
        months = (
            months_of_quarter(node.name)
            if node.level == "quarter"
            else [m for q in range(1, 5) for m in months_of_quarter(f"{node.name}-Q{q}")]
        )
        ends = [self._completed_at(Node("month", month)) for month in months]
        return None if None in ends else max(e for e in ends if e is not None)

    def _cells_of_month(self, month: str) -> list[Batch]:
        return self._cells.get(Node("month", month), [])

    # the decisions

    def _exclusive(self, node: Node) -> int:
        """Answers in the group that no shown group below it covers."""
        return sum(b.n for b in self._cells[node] if not self._covered_below(b, node))

    def _covered_below(self, batch: Batch, node: Node) -> bool:
        below = self._batch_node[batch.key]
        while below != node:
            if below in self.shown:
                return True
            below = self._parent[below]
        return False

    def _decide(self) -> None:
        events: dict[str, list[Node]] = {}
        for node in self._cells:
            done = self._completed_at(node)
            if done is not None and done <= self._now:
                events.setdefault(done, []).append(node)
        for moment in sorted(events):
            self._decide_together(events[moment])

    def _decide_together(self, deciding: Sequence[Node]) -> None:
        """Groups completed at the same moment: the smallest parts give way to the totals."""
        order = sorted(deciding, key=lambda node: LEVELS.index(node.level))
        now_deciding = set(order)
        self.shown |= {node for node in order if self.n(node) >= self.threshold}
        while True:
            unsafe = next(
                (
                    node
                    for node in order
                    if node in self.shown and 0 < self._exclusive(node) < self.threshold
                ),
                None,
            )
            if unsafe is None:
                return
            before = self._exclusive(unsafe)
            for part in sorted(self.children(unsafe), key=lambda c: (self.n(c), c.name)):
                if part not in self.shown or part not in now_deciding:
                    continue
                hidden = self._subtree(part) & now_deciding
                if self._helps(unsafe, hidden, before):
                    self.shown -= hidden
                    break
            else:
                self.shown.discard(unsafe)

    def _helps(self, node: Node, hidden: set[Node], before: int) -> bool:
        kept = self.shown
        self.shown = kept - hidden
        try:
            return self._exclusive(node) > before
        finally:
            self.shown = kept

    def _subtree(self, node: Node) -> set[Node]:
        found = {node}
        for child in self.children(node):
            found |= self._subtree(child)
        return found

    # what a request shows

    def _inside(self, node: Node, scope: Scope) -> bool:
        if scope.team is not None and node.level in ("year", "quarter", "month"):
            return False
        cells = self._cells[node]
        return all(scope.has_month(b.month) for b in cells) and (
            scope.team is None or all(b.team == scope.team for b in cells)
        )

    def cover(self, scope: Scope) -> list[Node]:
        """The largest shown groups inside the scope: what its figures are the sum of."""
        found: list[Node] = []

        def walk(node: Node) -> None:
            if node in self.shown and self._inside(node, scope):
                found.append(node)
                return
            for child in self.children(node):
                walk(child)

        for root in sorted({n for n in self._cells if n.level == "year"}, key=lambda n: n.name):
            walk(root)
        return found

    def shown_inside(self, scope: Scope) -> list[Node]:
        """Every shown group inside the scope, largest first."""
        inside = [node for node in self.shown if self._inside(node, scope)]
        return sorted(inside, key=lambda n: (LEVELS.index(n.level), n.month or n.name, n.name))

    def node_histogram(self, node: Node) -> Histogram:
        return _summed(self._cells[node])

    def batches_in(self, scope: Scope) -> list[Batch]:
        return [b for node in self.cover(scope) for b in self._cells[node]]

    def histogram(self, scope: Scope) -> Histogram:
        """The scope's answer counts: the sum over the shown groups inside it."""
        return _summed(self.batches_in(scope))

    def finest_shown(self, batch: Batch) -> Node | None:
        """The smallest shown group holding the batch: what a comment from it may be told as."""
        node: Node | None = self._batch_node.get(batch.key)
        while node is not None:
            if node in self.shown:
                return node
            node = self._parent.get(node)
        return None


def _summed(batches: Iterable[Batch]) -> Histogram:
    total: Histogram = {}
    for batch in batches:
        for question, values in batch.hist.items():
            total.setdefault(question, Counter()).update(values)
    return total
