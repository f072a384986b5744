"""Retrieval scores for gait recognition and person re-identification.

Pure functions of tensors (float32, CPU or GPU), no state. A probe's
gallery is ranked by decreasing cosine similarity; a gallery item is a
*true match* when it has the probe's identity.

Ties are broken against the probe: among gallery items of equal
similarity, those of a wrong identity are ranked ahead of the true
matches. With the true matches ``t_1 .. t_n`` of a probe ordered by
decreasing similarity and ``W(s)`` the number of wrong items with a
similarity ``>= s``, true match ``t_k`` is at position ``k + W(s_k)``
(1-based). So:

* rank-r hit: ``1 + W(s_1) <= r``;
* AP: ``(1 / n) * sum_k k / (k + W(s_k))``, the mean over the true matches
  of the precision at each one's position (the order among tied true
  matches does not change the sum).

Similarities are compared exactly as computed in float32; the counts
``W`` are found without sorting the gallery (see :func:`_count_at_least`).
"""
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import (Callable, Dict, Hashable, Iterable, Iterator, List,
                    Optional, Sequence, Tuple, Union)

import torch
import torch.nn.functional as F
from torch import Tensor

#: Views of CASIA-B in degrees, the columns of the gait table.
CASIA_B_VIEWS = tuple(range(0, 181, 18))
#: Probe conditions of CASIA-B, the rows of the gait table.
CASIA_B_CONDITIONS = ('nm', 'bg', 'cl')
#: The CASIA-B gait protocol: gallery and probe (condition, sequences).
CASIA_B_GALLERY = ('nm', (1, 2, 3, 4))
CASIA_B_PROBES = {'nm': (5, 6), 'bg': (1, 2), 'cl': (1, 2)}
#: Person re-id settings on CASIA-B: name -> (probe, gallery), each a
#: (condition, sequences) pair. All views, no view exclusion.
CASIA_B_REID = {
    'N-N': (('nm', (5, 6)), ('nm', (1, 2, 3, 4))),
    'B-B': (('bg', (2, )), ('bg', (1, ))),
    'C-C': (('cl', (2, )), ('cl', (1, ))),
    'C-N': (('cl', (1, 2)), ('nm', (1, 2, 3, 4))),
    'B-N': (('bg', (1, 2)), ('nm', (1, 2, 3, 4))),
}

# Similarity of an excluded gallery item: below every cosine similarity.
_EXCLUDED = -2.0
# Bytes of working memory of one similarity, for the automatic chunk size:
# the similarity and the group mask.
_BYTES_PER_SIMILARITY = 5
# A chunk's working memory (each thread's, see _on_threads). On a 2-core
# Xeon 10k x 10k took the same time with 6, 12, 24 and 48 MB (the matrix
# product is efficient from about 100 probes); the peak memory grows with
# it.
_CHUNK_BYTES = 12 * 2**20
# Similarities that _count_at_least bins at once on the CPU, per thread:
# with its buffers (about 24 bytes a similarity) about 6 MB, in pieces few
# enough that the cost of launching each operation (and, with a thread per
# core, of waiting for the GIL to launch it) stays small. On a 2-core AMD
# EPYC with two threads counting at once, 2^18 took 3-15 % less time than
# 2^17 and 20-30 % less than 2^16 and 2^19; 2^15 twice as long as 2^17.
_PIECE_SIMILARITIES = 2**18
# Threads that score chunks of probes at once on the CPU (see _on_threads).
_MAX_WORKERS = 8


def retrieval_scores(probe: Tensor,
                     probe_ids: Tensor,
                     gallery: Tensor,
                     gallery_ids: Tensor,
                     ranks: Sequence[int] = (1, 5),
                     chunk_size: Optional[int] = None,
                     probe_groups: Optional[Tensor] = None,
                     gallery_groups: Optional[Tensor] = None) -> Dict:
    """CMC rank-r accuracy and mean average precision of probes against a
    gallery, by cosine similarity.

    Ties count against the probe (see the module docstring). A probe with
    no true match in its gallery is *not valid*: it is left out of the
    means and counted in ``num_valid``.

    Args:
        probe (Tensor): (P, D) probe embeddings, L2-normalised here (an
            all-zero row has similarity 0 to everything).
        probe_ids (Tensor): (P,) integer identities of the probes.
        gallery (Tensor): (G, D) gallery embeddings, L2-normalised here.
        gallery_ids (Tensor): (G,) integer identities of the gallery.
        ranks (Sequence[int]): The ranks r of the CMC curve to report.
            Defaults to (1, 5).
        chunk_size (int, optional): Probes compared at once. Defaults to
            None: as many as keep the (chunk, G) similarity matrix (and
            the group mask) within about 12 MB; the counting works on
            cache-sized pieces of it. On the CPU with several torch
            threads, up to 8 threads score chunks at once, each with its
            own working memory.
        probe_groups (Tensor, optional): (P,) integer groups of the probes
            (e.g. view angles). Gallery items of the probe's group are left
            out of its ranking (CASIA-B's "excluding identical views").
            Give both groups or neither. Defaults to None.
        gallery_groups (Tensor, optional): (G,) integer groups of the
            gallery. Defaults to None.

    Returns:
        dict: Per probe, on the probes' device: ``cmc_hits`` (P, len(ranks))
        bool, a true match within the first r; ``ap`` (P,) float32 average
        precision, NaN where not valid; ``valid`` (P,) bool, the probe has a
        true match. The means over the valid probes, in percent (NaN when
        none is valid): ``rank{r}`` for each r and ``mAP``; and
        ``num_valid`` (int).
    """
    probe = _check_embeddings('probe', probe)
    gallery = _check_embeddings('gallery', gallery)
    if probe.shape[1] != gallery.shape[1]:
        raise ValueError(f'probe embeddings have dimension {probe.shape[1]}, '
                         f'gallery embeddings {gallery.shape[1]}')
    if probe.device != gallery.device:
        raise ValueError(f'probe is on {probe.device}, gallery on '
                         f'{gallery.device}')
    device = probe.device
    probe_ids = _check_labels('probe_ids', probe_ids, len(probe), device)
    gallery_ids = _check_labels('gallery_ids', gallery_ids, len(gallery),
                                device)
    if (probe_groups is None) != (gallery_groups is None):
        raise ValueError('give both probe_groups and gallery_groups, or '
                         'neither')
    if probe_groups is not None:
        probe_groups = _check_labels('probe_groups', probe_groups,
                                     len(probe), device)
        gallery_groups = _check_labels('gallery_groups', gallery_groups,
                                       len(gallery), device)
    ranks = _check_ranks(ranks)
    if chunk_size is not None and (isinstance(chunk_size, bool)
                                   or not isinstance(chunk_size, int)
                                   or chunk_size < 1):
        raise ValueError(f'chunk_size must be an integer >= 1 or None, got '
                         f'{chunk_size!r}')

    probe = F.normalize(probe, dim=1)
    gallery = F.normalize(gallery, dim=1)
    num_probes, num_gallery = len(probe), len(gallery)
    order, first, num_true = _true_matches(probe_ids, gallery_ids)
    max_true = int(num_true.max()) if num_probes else 0
    if chunk_size is None:
        per_probe = max(1, _BYTES_PER_SIMILARITY * num_gallery +
                        64 * max_true)
        chunk_size = max(1, _CHUNK_BYTES // per_probe)
    chunk_size = max(1, min(chunk_size, num_probes))

    cmc_hits = torch.zeros(num_probes, len(ranks), dtype=torch.bool,
                           device=device)
    ap = torch.full((num_probes, ), float('nan'), device=device)
    valid = torch.zeros(num_probes, dtype=torch.bool, device=device)
    rank_values = torch.tensor(ranks, device=device)
    slots = torch.arange(max_true, device=device)

    def score(starts: Iterable[int]) -> None:
        """Scores the chunks of probes that begin at ``starts``."""
        # working memory, reused by every chunk
        sims_buffer = torch.empty(chunk_size, num_gallery, device=device)
        count_buffers = _count_buffers(chunk_size, num_gallery, device)
        if probe_groups is not None:
            mask_buffer = torch.empty_like(sims_buffer, dtype=torch.bool)
        for start in starts:
            rows = slice(start, start + chunk_size)
            size = len(probe[rows])
            sims = torch.matmul(probe[rows], gallery.T,
                                out=sims_buffer[:size])  # (c, G)
            # The gallery columns of each probe's true matches, (c, max_true).
            is_true = slots < num_true[rows, None]
            columns = order[(first[rows, None] + slots).clamp(
                max=num_gallery - 1)]
            if probe_groups is not None:
                same_group = torch.eq(probe_groups[rows, None], gallery_groups,
                                      out=mask_buffer[:size])
                sims.masked_fill_(same_group, _EXCLUDED)
                is_true &= probe_groups[rows, None] != gallery_groups[columns]
            true_sims = sims.gather(1, columns).masked_fill_(~is_true,
                                                             -torch.inf)
            # True matches by decreasing similarity: slot k is t_(k+1).
            true_sims, sorted_slots = true_sims.sort(dim=1, descending=True)
            columns = columns.gather(1, sorted_slots)
            is_true = is_true.gather(1, sorted_slots)
            at_least = _count_at_least(sims, columns, is_true, count_buffers)
            # W(s_k): the items >= s_k less the true matches >= s_k; the true
            # matches after slot k that tie with it are among the latter.
            ascending = true_sims.flip(1).contiguous()
            true_below = torch.searchsorted(ascending, true_sims.contiguous())
            wrong_at_least = at_least - (max_true - true_below)
            # 1-based position of t_(k+1), ties against the probe
            position = torch.where(is_true, slots + 1 + wrong_at_least, 1)
            precision = torch.where(is_true, (slots + 1) / position, 0)
            count = is_true.sum(dim=1)
            chunk_valid = count > 0
            valid[rows] = chunk_valid
            ap[rows] = torch.where(chunk_valid,
                                   precision.sum(dim=1) / count.clamp(min=1),
                                   float('nan'))
            cmc_hits[rows] = chunk_valid[:, None] & (position[:, :1] <=
                                                     rank_values)

    if max_true:
        _on_threads(score, range(0, num_probes, chunk_size), device)

    num_valid = int(valid.sum())
    result = dict(cmc_hits=cmc_hits, ap=ap, valid=valid, num_valid=num_valid)
    for i, rank in enumerate(ranks):
        result[f'rank{rank}'] = _percent(cmc_hits[valid, i].float())
    result['mAP'] = _percent(ap[valid])
    return result


def _percent(values: Tensor) -> float:
    if values.numel() == 0:
        return float('nan')
    return float(values.double().mean()) * 100


def _on_threads(work: Callable[[Iterable[int]], None], items: Sequence[int],
               device: torch.device) -> None:
    """``work(items)``; on the CPU with several torch threads, ``work`` on
    each of up to :data:`_MAX_WORKERS` threads, which take the next of
    ``items`` as they go and split torch's threads between them (one each
    on up to 8 cores).

    The counting's operations (gather, scatter, cumsum on cache-sized
    pieces) gain little from torch splitting each of them: on a 2-core AMD
    EPYC, two threads counted no faster than one. Threads that each score
    their own probes (torch's operations release the GIL) keep the cores
    busy through all of it. Each has its own working memory.
    """
    threads = torch.get_num_threads()
    workers = 1
    if device.type == 'cpu':
        workers = min(threads, len(items), _MAX_WORKERS)
    if workers <= 1:
        work(items)
        return
    remaining, lock = iter(items), threading.Lock()

    def take() -> Iterator[int]:
        while True:
            with lock:
                item = next(remaining, None)
            if item is None:
                return
            yield item

    def worker() -> None:
        # this thread's operations (and the count new threads start with)
        torch.set_num_threads(threads // workers)
        work(take())

    try:
        with ThreadPoolExecutor(workers) as pool:
            for running in [pool.submit(worker) for _ in range(workers)]:
                running.result()
    finally:
        torch.set_num_threads(threads)  # and new threads' count again


def _true_matches(probe_ids: Tensor,
                  gallery_ids: Tensor) -> Tuple[Tensor, Tensor, Tensor]:
    """Where each probe's true matches are, with the gallery sorted by id.

    Returns:
        tuple: ``order`` (G,) the gallery indices sorted by identity;
        ``first`` (P,) and ``count`` (P,): the true matches of probe i are
        ``order[first[i]:first[i] + count[i]]``.
    """
    order = torch.argsort(gallery_ids, stable=True)
    if len(gallery_ids) == 0:
        zeros = torch.zeros_like(probe_ids)
        return order, zeros, zeros
    unique, counts = torch.unique_consecutive(gallery_ids[order],
                                              return_counts=True)
    starts = counts.cumsum(0) - counts
    index = torch.searchsorted(unique, probe_ids).clamp(max=len(unique) - 1)
    found = unique[index] == probe_ids
    return order, starts[index], torch.where(found, counts[index], 0)


def _histogram_width(num_columns: int) -> int:
    """Bins per row of _count_at_least, 2^k + 4: a quarter to a half as
    many as columns (at least 68, at most 2^16 + 4)."""
    return 4 + 2**min(max(num_columns.bit_length() - 2, 6), 16)


def _count_buffers(rows: int, num_columns: int, device) -> Tuple[Tensor, ...]:
    """Working memory of _count_at_least for pieces of up to ``rows`` rows
    (fewer on the CPU: :data:`_PIECE_SIMILARITIES` similarities a thread)."""
    if torch.device(device).type == 'cpu':
        piece = _PIECE_SIMILARITIES * torch.get_num_threads()
        rows = min(rows, max(1, piece // max(num_columns, 1)))
    width = _histogram_width(num_columns)
    keys = torch.empty(rows, num_columns, device=device)
    split = torch.empty_like(keys)
    bins = torch.empty_like(keys, dtype=torch.long)
    ones = torch.ones_like(keys, dtype=torch.int32)
    histogram = torch.empty(rows, 2 * width, dtype=torch.int32, device=device)
    # each bin's lowest threshold: inf, as every piece leaves it
    lowest = torch.full((rows, width), torch.inf, device=device)
    return keys, split, bins, ones, histogram, lowest


def _count_at_least(sims: Tensor,
                    columns: Tensor,
                    selected: Tensor,
                    buffers: Optional[Tuple[Tensor, ...]] = None) -> Tensor:
    """Entries of each row of ``sims`` that are ``>= sims[i, columns[i, k]]``.

    Exact, without sorting the rows. A monotone map puts each entry in a
    bin of its row's histogram, so an entry in a bin above a threshold's
    bin is greater than the threshold, one in a bin below is smaller. The
    bins holding a threshold are split exactly at their lowest threshold
    (entries below it, entries at or above it), so the count of that
    threshold is read from the cumulative histogram. A threshold above
    the lowest one of its bin (rare: two thresholds within a bin's width)
    is counted by comparing it with its whole row.

    The map is ``s * scale + offset``, clamped to the bins: it takes each
    row's lowest threshold to bin 2 and its highest to bin ``width - 6``
    or below, so that the thresholds are spread over the bins and few
    share one. Any increasing map gives exact counts, and this one is
    increasing as computed: the power of two scale is exact, so the one
    rounding (of the offset's addition) is the same on every code path.
    On the CPU the rows are binned a piece at a time
    (:data:`_PIECE_SIMILARITIES` entries a thread), whose working memory
    stays in the cores' caches.

    Args:
        sims (Tensor): (c, G) float32 similarities in [-2, 2].
        columns (Tensor): (c, n) int64 columns of the thresholds.
        selected (Tensor): (c, n) bool, the thresholds to count for.
        buffers (tuple, optional): Working memory from
            :func:`_count_buffers`; its rows are the piece size. Defaults
            to None (allocated).

    Returns:
        Tensor: (c, n) int64 counts, 0 where not selected.
    """
    rows, num_columns = sims.shape
    if buffers is None:
        buffers = _count_buffers(rows, num_columns, sims.device)
    step, width = len(buffers[0]), buffers[-1].shape[1]
    thresholds = torch.where(selected, sims.gather(1, columns), torch.inf)
    has_any = selected.any(dim=1, keepdim=True)
    low = torch.where(has_any, thresholds.amin(dim=1, keepdim=True), 0)
    high = torch.where(selected, thresholds, -torch.inf).amax(dim=1,
                                                              keepdim=True)
    # (0 for a row without one.) high - low < 2^e, so (high - low) * scale
    # < 2^(bits - 1) <= width - 8.
    _, exponent = torch.frexp(torch.where(has_any, high - low, 0))
    exponent = ((width - 8).bit_length() - 1 - exponent).clamp_(
        max=21)  # |s| * scale <= 2^22: offsets well within float32
    scale = ((exponent + 127) << 23).int().view(torch.float32)  # exact 2^.
    offset = 2 - low * scale  # the lowest threshold in bin 2
    below = torch.empty(columns.shape, dtype=torch.int32, device=sims.device)
    lowest_in_bin = torch.empty_like(thresholds)
    for start in range(0, rows, step):
        part = slice(start, start + step)
        _bin_piece(sims[part], columns[part], thresholds[part], scale[part],
                   offset[part], buffers, below[part], lowest_in_bin[part])
    counts = num_columns - below.long()
    above_lowest = selected & (thresholds > lowest_in_bin)
    if above_lowest.any():
        row, slot = above_lowest.nonzero(as_tuple=True)
        for first in range(0, len(row), step):  # a piece's memory at most
            part = slice(first, first + step)
            counts[row[part], slot[part]] = (sims[row[part]] >= thresholds[
                row[part], slot[part], None]).sum(dim=1)
    return counts.masked_fill_(~selected, 0)


def _bin_piece(sims: Tensor, columns: Tensor, thresholds: Tensor,
               scale: Tensor, offset: Tensor, buffers: Tuple[Tensor, ...],
               below: Tensor, lowest_in_bin: Tensor) -> None:
    """The histogram of :func:`_count_at_least` for rows that ``buffers``
    hold at once, binned by ``sims * scale + offset`` ((c, 1) each).

    Writes ``below`` (c, n), the entries of each row below the lowest
    threshold in a threshold's bin, and ``lowest_in_bin`` (c, n), that
    threshold.
    """
    keys, split, bins, ones, histogram, lowest = buffers
    if len(sims) < len(keys):  # the last piece
        keys, split, bins, ones, histogram, lowest = (
            b[:len(sims)] for b in buffers)
    # the conversions' int32 step, in split's memory (free at both)
    whole = split.view(torch.int32)
    width = lowest.shape[1]
    torch.mul(sims, scale, out=keys).add_(offset).clamp_(0, width - 1)
    # The bins, by truncation (the floor of these keys >= 0). Through int32:
    # torch 2.13's float to int64 conversion is not vectorised on the CPU,
    # and took longer than the two vectorised ones.
    bins.copy_(whole.copy_(keys))
    threshold_bins = bins.gather(1, columns)
    # Each bin's lowest threshold (inf in a bin without one). An entry at or
    # above the lowest threshold of its bin is counted in the bin's upper
    # half, column 2 * bin + 1 of the histogram, others in its lower half,
    # column 2 * bin.
    lowest.scatter_reduce_(1, threshold_bins, thresholds, 'amin')
    torch.gather(lowest, 1, bins, out=split)
    torch.ge(sims, split, out=split)
    # whole numbers (as bins), so that 2 * key + half is exact. floor_, not
    # trunc_ (the same on keys >= 0): torch 2.13's trunc_ is not vectorised
    # on the CPU.
    torch.add(split, keys.floor_(), alpha=2, out=keys)
    bins.copy_(whole.copy_(keys))
    histogram.zero_().scatter_add_(1, bins, ones)
    # column 2 * bin: the entries in the bins below and in the bin's lower
    # half, those below its lowest threshold
    torch.gather(histogram.cumsum_(1), 1, 2 * threshold_bins, out=below)
    torch.gather(lowest, 1, threshold_bins, out=lowest_in_bin)
    # inf again (a stale threshold would only send the thresholds of its bin
    # to the comparison with their whole row)
    lowest.scatter_(1, threshold_bins, torch.inf)


def mean_by_group(
    embeddings: Tensor, keys: Union[Tensor, Sequence[Hashable]]
) -> Tuple[Union[Tensor, List[Hashable]], Tensor]:
    """Mean embedding of the rows that share a key, e.g. a sequence's clips.

    Each row is L2-normalised first (every clip weighs the same, as in the
    cosine ranking), and each mean is L2-normalised again.

    Args:
        embeddings (Tensor): (N, D) embeddings.
        keys (Tensor | Sequence[Hashable]): N keys: an integer tensor, or
            any hashable values (e.g. ``frame_dir`` strings).

    Returns:
        tuple: ``(unique_keys, means)``: the K distinct keys (a sorted
        tensor for tensor keys, else a list in order of first appearance)
        and their (K, D) float32 mean embeddings.
    """
    embeddings = _check_embeddings('embeddings', embeddings)
    if isinstance(keys, Tensor):
        keys = _check_labels('keys', keys, len(embeddings),
                             embeddings.device)
        unique_keys, inverse = torch.unique(keys, return_inverse=True)
        num_keys = len(unique_keys)
    else:
        keys = list(keys)
        if len(keys) != len(embeddings):
            raise ValueError(f'{len(keys)} keys for {len(embeddings)} '
                             'embeddings')
        index_of = {}
        inverse = [index_of.setdefault(key, len(index_of)) for key in keys]
        unique_keys = list(index_of)
        num_keys = len(unique_keys)
        inverse = torch.tensor(inverse, dtype=torch.long,
                               device=embeddings.device)
    sums = embeddings.new_zeros(num_keys, embeddings.shape[1])
    sums.index_add_(0, inverse, F.normalize(embeddings, dim=1))
    return unique_keys, F.normalize(sums, dim=1)


def casia_b_gait_table(embeddings: Tensor, subjects: Tensor,
                       conditions: Sequence[str], sequences: Tensor,
                       views: Tensor) -> Dict:
    """The CASIA-B gait recognition protocol: rank-1 per condition and view.

    The gallery is NM 1-4, the probes NM 5-6, BG 1-2 and CL 1-2. For a probe
    condition, a probe view v and a gallery view g != v, the rank-1 accuracy
    of the probes of view v against the gallery items of view g; per probe
    view the mean over the gallery views g != v; per condition the mean
    over the probe views; ``mean`` the mean of NM, BG and CL.

    Only the data present counts. A (v, g) pair is skipped (NaN in
    ``pairs``, left out of the mean) when no probe of view v has a true
    match among the gallery items of view g (in particular when either has
    no item); a probe without a true match in view g is left out of that
    pair's rank-1. A probe view with no pair, a condition with no probe
    view and a missing condition are NaN, and ``mean`` is the mean of the
    conditions present.

    Args:
        embeddings (Tensor): (N, D) one embedding per sequence.
        subjects (Tensor): (N,) integer subject ids.
        conditions (Sequence[str]): N walking conditions, ``'nm'``, ``'bg'``
            or ``'cl'`` (any case).
        sequences (Tensor): (N,) sequence numbers within the condition
            (1-6 for NM, 1-2 for BG and CL).
        views (Tensor): (N,) view angles in degrees, among 0, 18, ..., 180.

    Returns:
        dict: ``table`` (3, 11) float64 rank-1 in percent per condition
        (rows NM, BG, CL) and probe view (columns 0, 18, ..., 180);
        ``pairs`` (3, 11, 11) the rank-1 of each (probe view, gallery view)
        pair, NaN on the diagonal; ``conditions`` and ``views``, the row and
        column labels; ``NM``, ``BG``, ``CL`` and ``mean``, floats.
    """
    embeddings, subjects, conditions, sequences, views = _check_casia_b(
        embeddings, subjects, conditions, sequences, views)
    view_index = torch.bucketize(views, torch.tensor(
        CASIA_B_VIEWS, device=views.device))
    num_views = len(CASIA_B_VIEWS)
    pairs = torch.full((len(CASIA_B_CONDITIONS), num_views, num_views),
                       float('nan'), dtype=torch.float64)
    gallery_mask = _subset(conditions, sequences, *CASIA_B_GALLERY)
    for c, condition in enumerate(CASIA_B_CONDITIONS):
        probe_mask = _subset(conditions, sequences, condition,
                             CASIA_B_PROBES[condition])
        for g in range(num_views):
            in_gallery = gallery_mask & (view_index == g)
            in_probe = probe_mask & (view_index != g)
            if not in_gallery.any() or not in_probe.any():
                continue
            scores = retrieval_scores(embeddings[in_probe], subjects[in_probe],
                                      embeddings[in_gallery],
                                      subjects[in_gallery], ranks=(1, ))
            # rank-1 per probe view: hits and valid probes counted by view
            probe_view = view_index[in_probe]
            hits = torch.zeros(num_views, dtype=torch.float64)
            count = torch.zeros(num_views, dtype=torch.float64)
            valid = scores['valid'].cpu()
            hits.index_add_(0, probe_view.cpu(),
                            (scores['cmc_hits'][:, 0].cpu() & valid).double())
            count.index_add_(0, probe_view.cpu(), valid.double())
            pairs[c, :, g] = torch.where(count > 0, 100 * hits / count.clamp(
                min=1), float('nan'))
    table = _nanmean(pairs, dim=2)
    result = dict(table=table, pairs=pairs,
                  conditions=CASIA_B_CONDITIONS, views=CASIA_B_VIEWS)
    per_condition = _nanmean(table, dim=1)
    for c, condition in enumerate(CASIA_B_CONDITIONS):
        result[condition.upper()] = float(per_condition[c])
    result['mean'] = float(_nanmean(per_condition, dim=0))
    return result


def reid_settings(embeddings: Tensor, subjects: Tensor,
                  conditions: Sequence[str], sequences: Tensor) -> Dict:
    """Person re-identification on CASIA-B in the settings N-N, B-B, C-C,
    C-N and B-N.

    Probe and gallery by condition and sequence number (:data:`CASIA_B_REID`):
    N-N probe NM 5-6, gallery NM 1-4; B-B probe BG 2, gallery BG 1; C-C probe
    CL 2, gallery CL 1; C-N probe CL 1-2, gallery NM 1-4; B-N probe BG 1-2,
    gallery NM 1-4. All views, no view excluded.

    Args:
        embeddings (Tensor): (N, D) embeddings (of sequences or clips).
        subjects (Tensor): (N,) integer subject ids.
        conditions (Sequence[str]): N conditions, ``'nm'``, ``'bg'`` or
            ``'cl'`` (any case).
        sequences (Tensor): (N,) sequence numbers within the condition.

    Returns:
        dict: For each setting name, a dict of ``rank1`` and ``mAP`` in
        percent and ``num_probes`` and ``num_valid``; NaN scores when the
        setting has no probe or no gallery item in the data.
    """
    embeddings, subjects, conditions, sequences, _ = _check_casia_b(
        embeddings, subjects, conditions, sequences, None)
    result = {}
    for name, (probe_set, gallery_set) in CASIA_B_REID.items():
        in_probe = _subset(conditions, sequences, *probe_set)
        in_gallery = _subset(conditions, sequences, *gallery_set)
        scores = retrieval_scores(embeddings[in_probe], subjects[in_probe],
                                  embeddings[in_gallery],
                                  subjects[in_gallery], ranks=(1, ))
        result[name] = dict(rank1=scores['rank1'], mAP=scores['mAP'],
                            num_probes=int(in_probe.sum()),
                            num_valid=scores['num_valid'])
    return result


def _subset(conditions: Tensor, sequences: Tensor, condition: str,
            numbers: Sequence[int]) -> Tensor:
    code = CASIA_B_CONDITIONS.index(condition)
    wanted = torch.tensor(numbers, device=sequences.device)
    return (conditions == code) & torch.isin(sequences, wanted)


def _nanmean(values: Tensor, dim: int) -> Tensor:
    present = ~values.isnan()
    total = torch.where(present, values, 0).sum(dim)
    count = present.sum(dim)
    return torch.where(count > 0, total / count.clamp(min=1), float('nan'))


def _check_casia_b(embeddings, subjects, conditions, sequences, views):
    embeddings = _check_embeddings('embeddings', embeddings)
    num, device = len(embeddings), embeddings.device
    subjects = _check_labels('subjects', subjects, num, device)
    sequences = _check_labels('sequences', sequences, num, device)
    conditions = list(conditions)
    if len(conditions) != num:
        raise ValueError(f'{len(conditions)} conditions for {num} '
                         'embeddings')
    codes = []
    for i, condition in enumerate(conditions):
        name = str(condition).lower()
        if name not in CASIA_B_CONDITIONS:
            raise ValueError(f'sample {i} has condition {condition!r}; '
                             f'expected one of {CASIA_B_CONDITIONS}')
        codes.append(CASIA_B_CONDITIONS.index(name))
    codes = torch.tensor(codes, dtype=torch.long, device=device)
    if views is not None:
        views = _check_labels('views', views, num, device)
        unknown = ~torch.isin(views, torch.tensor(CASIA_B_VIEWS,
                                                  device=device))
        if unknown.any():
            i = int(unknown.nonzero()[0])
            raise ValueError(f'sample {i} has view {int(views[i])}; CASIA-B '
                             f'views are {CASIA_B_VIEWS} (degrees)')
    return embeddings, subjects, codes, sequences, views


def _check_embeddings(name: str, embeddings: Tensor) -> Tensor:
    if not isinstance(embeddings, Tensor):
        raise TypeError(f'{name} must be a tensor, got '
                        f'{type(embeddings).__name__}')
    if embeddings.dim() != 2:
        raise ValueError(f'{name} must be (N, D), got shape '
                         f'{tuple(embeddings.shape)}')
    if not embeddings.is_floating_point():
        raise TypeError(f'{name} must be floating point, got '
                        f'{embeddings.dtype}')
    embeddings = embeddings.detach().float()
    # The sum is finite only if every entry is (a NaN or an inf makes it
    # NaN or inf), and it is far cheaper than checking every entry: that is
    # done only when the sum is not finite (or overflows).
    if not (bool(embeddings.sum().isfinite())
            or bool(torch.isfinite(embeddings).all())):
        bad = int((~torch.isfinite(embeddings)).any(dim=1).nonzero()[0])
        raise ValueError(f'{name} row {bad} is not finite (NaN or inf)')
    return embeddings


def _check_labels(name: str, labels, length: int,
                  device: torch.device) -> Tensor:
    labels = torch.as_tensor(labels, device=device)
    if labels.dim() != 1 or len(labels) != length:
        raise ValueError(f'{name} must be a ({length},) vector, got shape '
                         f'{tuple(labels.shape)}')
    if labels.is_floating_point() or labels.is_complex():
        raise TypeError(f'{name} must be integers, got {labels.dtype}')
    return labels.long()


def _check_ranks(ranks: Sequence[int]) -> Tuple[int, ...]:
    ranks = tuple(ranks)
    if not ranks or any(
            isinstance(r, bool) or not isinstance(r, int) or r < 1
            for r in ranks):
        raise ValueError(f'ranks must be integers >= 1, got {ranks!r}')
    if len(set(ranks)) != len(ranks):
        raise ValueError(f'ranks has duplicates: {ranks!r}')
    return ranks
