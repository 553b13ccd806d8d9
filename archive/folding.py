"""The folded text that both searches match: the chat search (``messaging.queries.search``) and
the DPO's archive search (``records.search.search``).

``fold(text)`` is what a search compares: case folded (``str.casefold``: "Дмитрий" and
"ДМИТРИЙ" become "дмитрий", "Straße" becomes "strasse"), decomposed by Unicode NFKD
(compatibility forms too: the ligature "ﬁ" becomes "fi", a full-width "Ｚ" a "z", "ĳ" "ij"),
with the combining marks removed ("Zoë" becomes "zoe", "café" "cafe", "ё" "е"), then
composed again (NFC). One exception: the breve over Cyrillic "и" and "у" is kept, because "й"
and "ў" are letters of their own ("мой" is not "мои"), while "ё" is commonly written "е" and so
is folded to it. Letters without a decomposition stay as they are ("ø", "ł", "æ").

The folded text is stored beside what it folds (``Message.body_folded``, ``Payload.folded``)
by whatever writes the text, and a search folds its words the same way and asks for each as a
substring (``LIKE '%word%'``), which a trigram index answers on PostgreSQL (docs/archive.md,
"Search").
"""

from __future__ import annotations

import unicodedata
from typing import Any

from django.db.models import Q

# Kept after these letters: "й" (и + breve) and "ў" (у + breve) are letters, not accents.
BREVE = "\u0306"
KEEPS_BREVE = frozenset("иу")


def fold(text: str) -> str:
    """``text`` as a search compares it: case and accents folded (see the module's doc)."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    kept: list[str] = []
    for char in decomposed:
        if unicodedata.combining(char) and not (
                char == BREVE and kept and kept[-1] in KEEPS_BREVE):
            continue
        kept.append(char)
    return unicodedata.normalize("NFC", "".join(kept))


def terms(query: str) -> list[str]:
    """The folded words of a search box, each of which must occur (quotes are not operators)."""
    return fold(query).replace('"', " ").split()


def matching(field: str, query: str) -> Q:
    """A filter: every word of ``query`` occurs in the folded text ``field``, in any order.

    An empty query matches everything; the caller decides whether to search at all.
    """
    match = Q()
    for term in terms(query):
        match &= Q(**{f"{field}__contains": term})
    return match


def fill(connection: Any, *, table: str, key: str, column: str,
         rows: list[tuple[int, str]]) -> None:
    """Store each (key, text)'s fold in ``table.column``: what the migrations that add a folded
    column run over the rows that exist, a batch at a time (one statement per batch)."""
    if not rows:
        return
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                f"UPDATE {table} AS t SET {column} = v.folded "  # noqa: S608 (names, not input)
                f"FROM unnest(%s::bigint[], %s::text[]) AS v(id, folded) WHERE t.{key} = v.id",
                [[pk for pk, _ in rows], [fold(text) for _, text in rows]])
        else:
            cursor.executemany(f"UPDATE {table} SET {column} = %s WHERE {key} = %s",  # noqa: S608
                               [(fold(text), pk) for pk, text in rows])
