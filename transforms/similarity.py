"""Near-duplicate detection: MinHash signatures over word shingles, LSH banding, estimated Jaccard.

A wire story syndicated by several outlets arrives with different headers, footers and small edits, so its copies
have different ``article_id`` values (the id hashes the exact body). Their 5-word shingle sets still overlap far
more than any two independently written articles, even about the same event, so a Jaccard threshold on shingle
sets separates "the same text, re-published" from "the same news, written again".

Signatures hold ``NUM_HASHES`` (128) min-hash values per article, computed by one-permutation hashing: each
shingle is hashed once, the hash's top 7 bits pick one of 128 bins and each bin keeps its minimum (empty bins
borrow from the next non-empty bin, "rotation densification"). The fraction of equal positions in two signatures
estimates the Jaccard similarity of the two shingle sets just as 128 independent permutations would, at the cost
of one hash per shingle instead of 128, which is what keeps 100,000 articles within seconds.

LSH banding (32 bands of 4 values) makes articles candidates only when a whole band matches, so only candidate
pairs are compared: the work grows with the number of articles, not its square.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Iterator, Sequence

import numpy as np
import pyarrow as pa

from transforms.schemas import ARTICLE_SIMILARITY

SHINGLE_WORDS = 5
NUM_HASHES = 128
BANDS = 32
ROWS_PER_BAND = NUM_HASHES // BANDS
THRESHOLD = 0.5
# A bucket larger than this would give a quadratic number of pairs; its members are then linked to its first member
# only, which keeps the duplicate group connected (``v_articles.duplicate_of``) while the pair count stays linear.
MAX_BUCKET_SIZE = 100
# Candidate pairs scored at once: each gathers two signatures (1 KB), so a chunk takes about 50 MB.
PAIRS_PER_CHUNK = 50_000

_BIN_BITS = 7  # 2**7 == NUM_HASHES bins
_VALUE_BITS = 64 - _BIN_BITS
_VALUE_MASK = np.uint64((1 << _VALUE_BITS) - 1)
_EMPTY = np.uint64(np.iinfo(np.uint64).max)
_WORD = re.compile(r"\w+")
_MULTIPLIER = np.uint64(0x9E3779B97F4A7C15)


def words(text: str) -> list[str]:
    """The text's words, case-folded and without punctuation (so quote and case edits do not break shingles)."""
    return _WORD.findall(text.casefold())


def shingle_hashes(text: str, size: int = SHINGLE_WORDS, _cache: dict[str, int] | None = None) -> np.ndarray:
    """Sorted unique 64-bit hashes of the text's ``size``-word shingles (one shingle when it is shorter)."""
    tokens = words(text)
    if not tokens:
        return np.empty(0, dtype=np.uint64)
    cache = {} if _cache is None else _cache
    hashes = np.fromiter((_word_hash(token, cache) for token in tokens), dtype=np.uint64, count=len(tokens))
    width = min(size, len(hashes))
    combined = np.zeros(len(hashes) - width + 1, dtype=np.uint64)
    for offset in range(width):
        combined = combined * _MULTIPLIER + hashes[offset : offset + len(combined)]
    return np.unique(_mix(combined))


def signatures(texts: Iterable[str]) -> np.ndarray:
    """MinHash signatures, one row of ``NUM_HASHES`` uint64 per text; a text without words gets an all-max row."""
    cache: dict[str, int] = {}
    per_text = [shingle_hashes(text, _cache=cache) for text in texts]
    count = len(per_text)
    signature = np.full(count * NUM_HASHES, _EMPTY, dtype=np.uint64)
    if count == 0:
        return signature.reshape(0, NUM_HASHES)
    lengths = np.fromiter((len(hashes) for hashes in per_text), dtype=np.int64, count=count)
    if lengths.sum():
        hashes = np.concatenate(per_text)
        rows = np.repeat(np.arange(count, dtype=np.uint64), lengths)
        bins = hashes >> np.uint64(_VALUE_BITS)
        np.minimum.at(signature, rows * np.uint64(NUM_HASHES) + bins, hashes & _VALUE_MASK)
    return _densify(signature.reshape(count, NUM_HASHES))


def has_words(signature: np.ndarray) -> np.ndarray:
    """Which signature rows come from a text with at least one word (the others must never match anything)."""
    return signature[:, 0] != _EMPTY


def estimated_jaccard(first: np.ndarray, second: np.ndarray) -> np.ndarray:
    """Estimated Jaccard similarity of row pairs: the fraction of signature positions that agree."""
    return (first == second).mean(axis=-1)


def similar_pairs(
    ids: Sequence[str], signature: np.ndarray, threshold: float = THRESHOLD
) -> list[tuple[str, str, float]]:
    """Pairs of ids whose estimated Jaccard similarity reaches ``threshold``, each pair once (smaller id first)."""
    # Scored band by band and in chunks, keeping only the similar pairs: on texts sharing many sentences, all the
    # candidates together run to millions of pairs, and gathering their signatures at once to gigabytes.
    kept_pairs, kept_scores = [], []
    for band in _band_pairs(signature):
        for chunk in np.array_split(band, -(-len(band) // PAIRS_PER_CHUNK)):
            scores = estimated_jaccard(signature[chunk[:, 0]], signature[chunk[:, 1]])
            similar = scores >= threshold
            kept_pairs.append(chunk[similar])
            kept_scores.append(scores[similar])
    if not kept_pairs:
        return []
    # A pair found in several bands is one pair; its score is the same in each.
    pairs, first_seen = np.unique(np.concatenate(kept_pairs), axis=0, return_index=True)
    scores = np.concatenate(kept_scores)[first_seen]
    result = []
    for (first, second), score in zip(pairs.tolist(), scores.tolist(), strict=True):
        low, high = sorted((ids[first], ids[second]))
        result.append((low, high, round(score, 4)))
    return sorted(result)


def similarity_table(pairs: Iterable[tuple[str, str, float]]) -> pa.Table:
    """``article_similarity`` rows: every pair in both directions, so one lookup by ``article_id`` finds all."""
    rows = []
    for first, second, score in pairs:
        rows.append({"article_id": first, "similar_id": second, "jaccard": score})
        rows.append({"article_id": second, "similar_id": first, "jaccard": score})
    return pa.Table.from_pylist(rows, schema=ARTICLE_SIMILARITY)


def _word_hash(token: str, cache: dict[str, int]) -> int:
    value = cache.get(token)
    if value is None:
        # blake2b, not hash(): Python salts str hashes per process, and signatures must not depend on the process.
        value = int.from_bytes(hashlib.blake2b(token.encode(), digest_size=8).digest(), "little")
        cache[token] = value
    return value


def _mix(values: np.ndarray) -> np.ndarray:
    """splitmix64's finalizer: spreads every input bit over the output, so the top bits pick bins uniformly."""
    values = values ^ (values >> np.uint64(30))
    values = values * np.uint64(0xBF58476D1CE4E5B9)
    values = values ^ (values >> np.uint64(27))
    values = values * np.uint64(0x94D049BB133111EB)
    return values ^ (values >> np.uint64(31))


def _densify(signature: np.ndarray) -> np.ndarray:
    """Fill empty bins from the next non-empty bin to the right (circularly), tagged with the distance.

    Two texts agree on a borrowed position only when they agree on the bin it came from and on the distance, which
    keeps the agreement rate an estimate of Jaccard similarity for short texts with empty bins.
    """
    empty = signature == _EMPTY
    fill = empty.any(axis=1) & ~empty.all(axis=1)
    if not fill.any():
        return signature
    part = signature[fill]
    doubled = np.concatenate([part, part], axis=1)
    positions = np.arange(2 * NUM_HASHES)
    marked = np.where(doubled != _EMPTY, positions, 2 * NUM_HASHES)
    following = np.minimum.accumulate(marked[:, ::-1], axis=1)[:, ::-1][:, :NUM_HASHES]
    distance = (following - positions[:NUM_HASHES]).astype(np.uint64)
    borrowed = np.take_along_axis(doubled, following, axis=1) | (distance << np.uint64(_VALUE_BITS))
    signature = signature.copy()
    signature[fill] = np.where(part == _EMPTY, borrowed, part)
    return signature


def _band_pairs(signature: np.ndarray) -> Iterator[np.ndarray]:
    """Per LSH band, the row index pairs ``(i, j)``, ``i < j``, whose values agree on the whole band."""
    rows = np.flatnonzero(has_words(signature))
    for band in range(BANDS):
        block = signature[rows, band * ROWS_PER_BAND : (band + 1) * ROWS_PER_BAND]
        keys = np.full(len(rows), np.uint64(band), dtype=np.uint64)
        for column in range(ROWS_PER_BAND):
            keys = _mix(keys * _MULTIPLIER + block[:, column])
        found = _bucket_pairs(rows, keys)
        if found:
            yield np.concatenate(found)


def _bucket_pairs(rows: np.ndarray, keys: np.ndarray) -> list[np.ndarray]:
    """Pairs of rows with equal keys: all pairs in small buckets, a star around the first member in large ones."""
    order = np.argsort(keys, kind="stable")
    sorted_keys = keys[order]
    starts = np.flatnonzero(np.r_[True, sorted_keys[1:] != sorted_keys[:-1]])
    sizes = np.diff(np.r_[starts, len(sorted_keys)])
    pairs = []
    for start, size in zip(starts[sizes > 1].tolist(), sizes[sizes > 1].tolist(), strict=True):
        members = np.sort(rows[order[start : start + size]])
        if size <= MAX_BUCKET_SIZE:
            first, second = np.triu_indices(size, k=1)
            pairs.append(np.column_stack([members[first], members[second]]))
        else:
            pairs.append(np.column_stack([np.full(size - 1, members[0]), members[1:]]))
    return pairs


def folded(signature: np.ndarray) -> np.ndarray:
    """Signatures folded to 32-bit values (high half XOR low half): half the storage, the same estimates.

    Two different 64-bit min-hashes fold to the same value with probability 2**-32, far below the estimate's own
    error, so agreement of folded positions estimates Jaccard similarity as well as the full values do.
    """
    return ((signature >> np.uint64(32)) ^ (signature & np.uint64(0xFFFFFFFF))).astype(np.uint32)
