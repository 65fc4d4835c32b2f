"""Previous/next links between entries: resolved by URL, oriented by dates."""

from __future__ import annotations

from aggregator.store.connection import Connection


class LinkStore(Connection):
    """previous_id / next_id and their conflicts."""

    def _own_neighbours(self, entry_id: int, feed_id: int, values: dict[str, object]) -> None:
        """Fill previous_id/next_id of an article about to be written from its named neighbours already
        archived, swapping previous and next when their dates say the page labelled them backwards."""
        own = values["published_at"]
        dates: dict[str, str | None] = {}
        known = self.db.conn.execute(
            "SELECT previous_url, previous_title, previous_id, next_url, next_title, next_id "
            "FROM entries WHERE id = ?",
            [entry_id],
        ).fetchone()
        for direction in ("previous", "next"):
            target = values[f"{direction}_url"]
            row = None
            if target:
                row = self.db.conn.execute(_NEIGHBOUR, {"u": target, "id": entry_id, "feed": feed_id}).fetchone()
            values[f"{direction}_id"] = row[0] if row else None
            dates[direction] = row[1] if row else None
        if own and _inverted(str(own), dates["previous"], dates["next"]):
            for column in ("url", "title", "id"):
                values[f"previous_{column}"], values[f"next_{column}"] = (
                    values[f"next_{column}"], values[f"previous_{column}"]
                )
        if known is None:
            return
        for index, (direction, other) in enumerate((("previous", "next"), ("next", "previous"))):
            url, title, neighbour = known[3 * index : 3 * index + 3]
            if not values[f"{direction}_url"] and url and url != values[f"{other}_url"]:
                # The page names no neighbour on this side (the newest post's page, say): keep the known link.
                values[f"{direction}_url"], values[f"{direction}_title"] = url, title
                values[f"{direction}_id"] = neighbour

    def _link_named_neighbour(self, entry_id: int, names: list[str]) -> None:
        """Point the entries archived earlier that named this one (by URL or canonical URL) at it."""
        if not names:
            return
        marks = ", ".join("?" * len(names))
        touched = []
        for direction in ("previous", "next"):
            touched += [
                row[0]
                for row in self.db.conn.execute(
                    f"UPDATE entries SET {direction}_id = ? WHERE {direction}_id IS NULL AND id != ? "
                    f"AND {direction}_url IN ({marks}) RETURNING id",
                    [entry_id, entry_id, *names],
                ).fetchall()
            ]
        for touched_id in touched:
            self._orient_adjacent(touched_id)
            self._reciprocate(touched_id)

    def _reciprocate(self, entry_id: int) -> None:
        """Make the other side agree: e.previous_id = p sets p.next_id = e (and the same for next), in the
        caller's transaction. Two posts claiming one neighbour, or a link against the dates, are resolved by
        publication dates and recorded in link_conflicts."""
        conn = self.db.conn
        row = conn.execute(
            "SELECT previous_id, next_id, published_at FROM entries WHERE id = ?", [entry_id]
        ).fetchone()
        if row is None:
            return
        for direction, other, target in (("previous", "next", row[0]), ("next", "previous", row[1])):
            if target is None or target == entry_id:
                continue
            claimed, target_at = conn.execute(
                f"SELECT {other}_id, published_at FROM entries WHERE id = ?", [target]
            ).fetchone()
            own_at = row[2]
            if own_at and target_at and (target_at > own_at if direction == "previous" else target_at < own_at):
                self._record_conflict(entry_id, direction, None, target, f"the {direction} post is dated on the "
                                      "wrong side of this one")
                continue
            if claimed == entry_id:
                continue
            if claimed is not None:
                rival_at = conn.execute("SELECT published_at FROM entries WHERE id = ?", [claimed]).fetchone()
                # The target's neighbour is the claimant closest to it in time.
                candidates = [(own_at, entry_id), (rival_at[0] if rival_at else None, claimed)]
                dated = [c for c in candidates if c[0]]
                if len(dated) == 2:
                    winner = min(dated)[1] if other == "next" else max(dated)[1]
                else:
                    winner = dated[0][1] if dated else claimed
                loser = claimed if winner == entry_id else entry_id
                self._record_conflict(target, other, winner, loser,
                                      f"two posts name this one as their {direction} post")
                if winner != entry_id:
                    continue
            conn.execute(
                f"UPDATE entries SET {other}_id = :e, "
                f"{other}_url = CASE WHEN {other}_url IN (src.u, src.c) THEN {other}_url "
                "ELSE COALESCE(src.c, src.u) END, "
                f"{other}_title = COALESCE(src.t, {other}_title) "
                "FROM (SELECT url AS u, canonical_url AS c, title AS t FROM entries WHERE id = :e) AS src "
                "WHERE entries.id = :t",
                {"e": entry_id, "t": target},
            )

    def _record_conflict(self, entry_id: int, direction: str, kept: int | None, rejected: int, reason: str) -> None:
        conn = self.db.conn
        if conn.execute(
            "SELECT 1 FROM link_conflicts WHERE entry_id = ? AND direction = ? AND rejected_id = ?",
            [entry_id, direction, rejected],
        ).fetchone():
            return
        conn.execute(
            "INSERT INTO link_conflicts (entry_id, direction, kept_id, rejected_id, reason, detected_at) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            [entry_id, direction, kept, rejected, reason, self.now()],
        )

    def link_violations(self) -> list[tuple[int, str, int]]:
        """(entry, direction, neighbour) where the neighbour does not point back and no conflict explains it:
        the archive's invariant is that this list is empty."""
        rows = self.db.execute(LINK_VIOLATIONS).fetchall()
        return [(row[0], row[1], row[2]) for row in rows]

    def _orient_adjacent(self, entry_id: int) -> None:
        """Swap previous/next when the archived neighbours' dates say the page labelled them backwards.

        Some themes (Hugo PaperMod among them) call the newer post "Prev". Only swaps when the known
        dates all agree that the labels are inverted.
        """
        own, previous_at, next_at = self.db.execute(
            "SELECT e.published_at, p.published_at, n.published_at FROM entries e "
            "LEFT JOIN entries p ON p.id = e.previous_id LEFT JOIN entries n ON n.id = e.next_id WHERE e.id = ?",
            [entry_id],
        ).fetchone()
        if own and _inverted(own, previous_at, next_at):
            self.db.conn.execute(
                "UPDATE entries SET previous_url = next_url, next_url = previous_url, "
                "previous_title = next_title, next_title = previous_title, "
                "previous_id = next_id, next_id = previous_id WHERE id = ?",
                [entry_id],
            )


_NEIGHBOUR = (
    "SELECT id, published_at FROM entries WHERE (url = :u OR canonical_url = :u) AND id != :id "
    "ORDER BY feed_id = :feed DESC, id LIMIT 1"
)


def _inverted(own: str, previous_at: str | None, next_at: str | None) -> bool:
    """Whether the known dates of both neighbours all say that previous and next are labelled backwards.

    Some themes (Hugo PaperMod among them) call the newer post "Prev"."""
    inverted = (previous_at is not None and previous_at > own) or (next_at is not None and next_at < own)
    consistent = (previous_at is not None and previous_at < own) or (next_at is not None and next_at > own)
    return inverted and not consistent


# The archive's link invariant, as a query whose rows break it (LinkStore.link_violations; the test suite runs it
# read-only over every archive it builds).
LINK_VIOLATIONS = """
SELECT e.id, 'previous', e.previous_id FROM entries e JOIN entries p ON p.id = e.previous_id
WHERE p.next_id IS NOT e.id AND NOT EXISTS (SELECT 1 FROM link_conflicts c
    WHERE (c.entry_id = p.id AND c.rejected_id = e.id) OR (c.entry_id = e.id AND c.rejected_id = p.id))
UNION ALL
SELECT e.id, 'next', e.next_id FROM entries e JOIN entries n ON n.id = e.next_id
WHERE n.previous_id IS NOT e.id AND NOT EXISTS (SELECT 1 FROM link_conflicts c
    WHERE (c.entry_id = n.id AND c.rejected_id = e.id) OR (c.entry_id = e.id AND c.rejected_id = n.id))
"""
