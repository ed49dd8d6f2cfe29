"""The heat responses as one encoded FeatureCollection, written by columns and kept.

Every micro-grid's Feature text up to its ``name`` (the geometry text PostGIS wrote,
:class:`geo.heat.Outlines`) is kept as UTF-8 bytes per generation and scope; a response writes
each feature's remaining properties from columns (:func:`numbers`: ``repr`` mapped over the
column, as ``json.dumps`` writes numbers; :func:`tails`: one ``str.format`` mapped over the
columns) and joins heads and tails with a single ``bytes.join``. Only C loops (``map``,
numpy) run per feature, no Python code, and the text is the same, byte for byte, as the
former ``json``-per-feature building. (numpy's own string operations were slower: each
``np.strings.add`` copies a fixed-width UCS-4 array; 1 s for 63,000 features.)

A response is kept (:class:`Bodies`) under what determines it: the outlines it was built on
(by identity: a generation's outlines are read again only when its micro-grids change), the
kind of response, its options and the digest of the counts. The counts statement runs on
every request, so an incident is on the map as soon as it is committed; what a repeat request
with the same counts saves is the classification (Fisher-Jenks, esda's Gi*) and the text.

Examples
--------
>>> numbers(np.array([0, 3, 12]), np.array([False, True, False]))
['0', 'null', '12']
>>> numbers(np.array([2.0, 0.1, np.nan]), np.array([False, False, True]))
['2.0', '0.1', 'null']
>>> tails('"n":{},"m":{}', ["1", "2"], ["null", "3"])
[b',"n":1,"m":null}},', b',"n":2,"m":3}}']
>>> collection_bytes({"total": 3}, [b'{"a":1', b'{"a":2'], [b',"n":1}},', b',"n":2}}'])
b'{"type":"FeatureCollection","total":3,"features":[{"a":1,"n":1}},{"a":2,"n":2}}]}'
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Sequence
from typing import Any

import numpy as np

from geo.geojson import dumps


def numbers(values: np.ndarray, null: np.ndarray) -> list[str]:
    """``values`` as JSON numbers (``repr`` of each Python int or float, as ``json.dumps``
    writes them), ``null`` where ``null``."""
    written = np.array(list(map(repr, values.tolist())), dtype=object)
    found: list[str] = np.where(null, "null", written).tolist()
    return found


def tails(template: str, *columns: Sequence[str]) -> list[bytes]:
    """Each feature's text after its head: a comma, ``template`` with its ``{}`` filled from
    the ``columns`` (JSON text), the closing braces and the comma between features (none
    after the last); UTF-8 encoded."""
    written = list(map(("," + template + "}}}},").format, *columns))  # "}}" writes "}"
    if written:
        written[-1] = written[-1][:-1]
    return list(map(str.encode, written))


def collection_bytes(members: dict[str, Any], heads: Sequence[bytes], ends: list[bytes]) -> bytes:
    """A FeatureCollection with the top-level ``members`` and the features ``heads[i] +
    ends[i]``, as :func:`geo.geojson.collection` writes it, UTF-8 encoded."""
    start = dumps({"type": "FeatureCollection", **members})[:-1] + ',"features":['
    parts: list[bytes] = [b""] * (2 * len(heads) + 2)
    parts[0], parts[-1] = start.encode(), b"]}"
    parts[1:-1:2], parts[2:-1:2] = heads, ends
    return b"".join(parts)


def digest(counts: np.ndarray) -> bytes:
    """A digest of ``counts`` for a cache key (16 bytes of BLAKE2b)."""
    return hashlib.blake2b(np.ascontiguousarray(counts).tobytes(), digest_size=16).digest()


class Bodies:
    """Responses kept by key, least recently used first out, within ``budget`` bytes.

    Each entry holds the object it was built on (``basis``) and is used only while the caller
    still builds on that very object, so a key never outlives what it names.
    """

    def __init__(self, budget: int) -> None:
        self.budget = budget
        self._kept: OrderedDict[Hashable, tuple[object, bytes]] = OrderedDict()
        self._size = 0
        self._lock = threading.Lock()

    def get(self, basis: object, key: Hashable, build: Callable[[], bytes]) -> bytes:
        """The body kept under ``(id(basis), key)``, or ``build()`` kept there."""
        full = (id(basis), key)
        with self._lock:
            known = self._kept.get(full)
            if known is not None and known[0] is basis:
                self._kept.move_to_end(full)
                return known[1]
        body = build()
        if len(body) <= self.budget // 4:
            with self._lock:
                old = self._kept.pop(full, None)
                self._size += len(body) - (len(old[1]) if old else 0)
                self._kept[full] = (basis, body)
                while self._size > self.budget:
                    _, (_, dropped) = self._kept.popitem(last=False)
                    self._size -= len(dropped)
        return body

    def clear(self) -> None:
        with self._lock:
            self._kept.clear()
            self._size = 0
