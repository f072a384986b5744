"""Retrieval metric for gait recognition and person re-identification."""
import logging
import math
from collections import Counter
from typing import Callable, Dict, List, Optional, Sequence, Tuple, Union

import torch
from mmengine import load
from mmengine.evaluator import BaseMetric
from mmengine.logging import print_log
from torch import Tensor

from mmaction.registry import METRICS
from ..retrieval import (CASIA_B_CONDITIONS, CASIA_B_GALLERY, CASIA_B_PROBES,
                         CASIA_B_VIEWS, _check_ranks, casia_b_gait_table,
                         mean_by_group, reid_settings, retrieval_scores)

LEVELS = ('clip', 'sequence')
MODES = ('splits', 'casia-b')
_META_HINT = ("put it in the test pipeline's PackActionInputs(meta_keys=("
              "'frame_dir', 'subject', 'condition', 'sequence', 'view'))")


@METRICS.register_module()
class EmbeddingRetrievalMetric(BaseMetric):
    """Rank-r accuracy and mAP of retrieval by embedding (gait recognition,
    person re-identification).

    Every data sample is one sequence: its embedding ``pred_embedding`` is
    (num_clips, D) for its test clips (or (D, ) for one) and its metainfo
    carries ``frame_dir`` and the identity ``subject``, and for CASIA-B
    ``condition`` (``'nm'``, ``'bg'``, ``'cl'``), ``sequence`` and ``view``
    (degrees). A probe is ranked against the gallery by cosine similarity;
    see :func:`~aclnet_plugin.evaluation.retrieval.retrieval_scores` for
    ties and for probes with no true match (left out, and warned about).

    At the ``clip`` level every clip of every probe sequence is ranked
    against every clip of the gallery; at the ``sequence`` level each
    sequence's clips are averaged first (by ``frame_dir``).

    Modes:

    * ``'splits'``: probes and gallery are splits of the annotation pickle
      (``ann_file``, its ``split`` dict of frame_dir lists, read once). A
      sample in neither is ignored (and counted); one in both is an error.
    * ``'casia-b'``: roles from condition and sequence. The ``clip`` and
      ``sequence`` scores rank the probes NM 5-6, BG 1-2 and CL 1-2 against
      the gallery NM 1-4 excluding the probe's view; ``gait/NM``, ``BG``,
      ``CL``, ``mean`` are CASIA-B's gait protocol on sequence embeddings
      (per-view table logged, see
      :func:`~aclnet_plugin.evaluation.retrieval.casia_b_gait_table`);
      ``reid/<setting>/rank1`` and ``mAP`` the re-id settings N-N, B-B,
      C-C, C-N, B-N at ``reid_level`` (see
      :func:`~aclnet_plugin.evaluation.retrieval.reid_settings`).

    Scores are percentages, keyed e.g. ``retrieval/clip/rank1``,
    ``retrieval/sequence/mAP``, ``retrieval/gait/NM``,
    ``retrieval/reid/C-N/mAP``.

    (mmaction's own ``RetrievalMetric`` is video-text retrieval; hence the
    name.) In a config::

        test_pipeline = [
            ...,
            dict(type='PackActionInputs',
                 meta_keys=('frame_dir', 'subject', 'condition', 'sequence',
                            'view'))
        ]
        test_evaluator = dict(type='EmbeddingRetrievalMetric',
                              mode='casia-b')

    Args:
        mode (str): ``'splits'`` or ``'casia-b'``. Defaults to ``'splits'``.
        ann_file (str, optional): The annotation pickle with the ``split``
            dict; required in ``'splits'`` mode. Defaults to None.
        probe_split (str | Sequence[str]): The probe split(s). Defaults to
            ``'probe'``.
        gallery_split (str | Sequence[str]): The gallery split(s). Defaults
            to ``'gallery'``.
        levels (Sequence[str]): Among ``'clip'`` and ``'sequence'``.
            Defaults to ``('clip', 'sequence')``.
        ranks (Sequence[int]): CMC ranks to report. Defaults to (1, 5).
        embedding_key (str): The data sample field of the embedding.
            Defaults to ``'pred_embedding'``.
        reid_level (str): The level of the CASIA-B re-id settings. Defaults
            to ``'clip'`` (the re-id literature ranks fixed-length
            subsequences).
        collect_device (str): ``'cpu'`` or ``'gpu'``, for collecting the
            results across ranks. Defaults to ``'cpu'``.
        prefix (str, optional): Prefix of the metric names. Defaults to
            None: ``'retrieval'``.
        collect_dir (str, optional): Directory for collecting results on
            the CPU. Defaults to None.
    """

    default_prefix = 'retrieval'

    def __init__(self,
                 mode: str = 'splits',
                 ann_file: Optional[str] = None,
                 probe_split: Union[str, Sequence[str]] = 'probe',
                 gallery_split: Union[str, Sequence[str]] = 'gallery',
                 levels: Sequence[str] = LEVELS,
                 ranks: Sequence[int] = (1, 5),
                 embedding_key: str = 'pred_embedding',
                 reid_level: str = 'clip',
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None,
                 collect_dir: Optional[str] = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix,
                         collect_dir=collect_dir)
        if mode not in MODES:
            raise ValueError(f'EmbeddingRetrievalMetric: mode must be one of '
                             f'{MODES}, got {mode!r}')
        if mode == 'splits' and not ann_file:
            raise ValueError("EmbeddingRetrievalMetric: mode 'splits' needs "
                             'the ann_file that holds the probe and gallery '
                             'splits')
        levels = (levels, ) if isinstance(levels, str) else tuple(levels)
        if not levels or any(level not in LEVELS for level in levels):
            raise ValueError(f'EmbeddingRetrievalMetric: levels must be '
                             f'among {LEVELS}, got {levels!r}')
        if reid_level not in LEVELS:
            raise ValueError(f'EmbeddingRetrievalMetric: reid_level must be '
                             f'one of {LEVELS}, got {reid_level!r}')
        self.mode = mode
        self.ann_file = ann_file
        self.probe_splits = _names(probe_split)
        self.gallery_splits = _names(gallery_split)
        self.levels = levels
        self.ranks = _check_ranks(ranks)
        self.embedding_key = embedding_key
        self.reid_level = reid_level
        self._roles = None  # frame_dir -> 'probe' | 'gallery', read lazily

    def process(self, data_batch, data_samples: Sequence[dict]) -> None:
        """Keep every sample's embedding (a CPU float32 copy) and metainfo.

        Args:
            data_batch: A batch of data from the dataloader (unused).
            data_samples (Sequence[dict]): The model's outputs, as dicts.
        """
        for sample in data_samples:
            frame_dir = sample.get('frame_dir')
            name = repr(frame_dir) if frame_dir is not None else 'a sample'
            if self.embedding_key not in sample:
                raise KeyError(
                    f'EmbeddingRetrievalMetric: {name} has no '
                    f'{self.embedding_key!r} (its fields: {sorted(sample)}); '
                    'use a head with a retrieval embedding')
            embedding = sample[self.embedding_key]
            if not isinstance(embedding, Tensor):
                embedding = torch.as_tensor(embedding)
            if embedding.dim() == 1:
                embedding = embedding[None]
            if embedding.dim() != 2 or embedding.shape[0] == 0:
                raise ValueError(
                    f'EmbeddingRetrievalMetric: {name} has '
                    f'{self.embedding_key} of shape '
                    f'{tuple(embedding.shape)}; expected (num_clips, D) or '
                    '(D, )')
            for key in ('frame_dir', 'subject'):
                if key not in sample:
                    raise KeyError(f'EmbeddingRetrievalMetric: {name} has no '
                                   f'{key!r}; {_META_HINT}')
            result = dict(
                # an own, compact copy: not a view into the batch's tensor
                embedding=embedding.detach().to(
                    'cpu', torch.float32, copy=True).contiguous(),
                frame_dir=str(frame_dir),
                subject=int(sample['subject']))
            for key in ('condition', 'sequence', 'view'):
                value = sample.get(key)
                if value is not None:
                    value = str(value).lower() if key == 'condition' else int(
                        value)
                result[key] = value
            self.results.append(result)

    def compute_metrics(self, results: List[dict]) -> Dict[str, float]:
        """Scores of all the samples (of every rank).

        Args:
            results (list[dict]): What :meth:`process` kept.

        Returns:
            dict[str, float]: The scores, in percent.
        """
        if not results:
            raise ValueError('EmbeddingRetrievalMetric: no samples to '
                             'evaluate')
        dims = Counter(r['embedding'].shape[1] for r in results)
        if len(dims) > 1:
            examples = {
                r['embedding'].shape[1]: r['frame_dir']
                for r in results
            }
            raise ValueError(
                'EmbeddingRetrievalMetric: embeddings of different '
                'dimensions: ' + ', '.join(
                    f'{dim} in {count} sample{"s" * (count > 1)} (e.g. '
                    f'{examples[dim]!r})' for dim, count in dims.items()))
        if self.mode == 'casia-b':
            for key in ('condition', 'sequence', 'view'):
                missing = [r['frame_dir'] for r in results if r[key] is None]
                if missing:
                    raise KeyError(f'EmbeddingRetrievalMetric: {len(missing)} '
                                   f'samples (e.g. {missing[0]!r}) have no '
                                   f'{key!r}, which casia-b mode needs; '
                                   f'{_META_HINT}')
        roles = self._sample_roles(results)
        levels = {}

        def at_level(level: str) -> _Samples:
            if level not in levels:
                levels[level] = _Samples(results, roles, level)
            return levels[level]

        metrics = {}
        for level in self.levels:
            data = at_level(level)
            probe, gallery = data.role == 1, data.role == 2
            groups = {}
            if self.mode == 'casia-b':
                groups = dict(probe_groups=data.view[probe],
                              gallery_groups=data.view[gallery])
            scores = retrieval_scores(data.embedding[probe],
                                      data.subject[probe],
                                      data.embedding[gallery],
                                      data.subject[gallery],
                                      ranks=self.ranks, **groups)
            _warn_invalid(f'{level} level', int(probe.sum()),
                          scores['num_valid'])
            for rank in self.ranks:
                metrics[f'{level}/rank{rank}'] = scores[f'rank{rank}']
            metrics[f'{level}/mAP'] = scores['mAP']
        if self.mode == 'casia-b':
            metrics.update(self._casia_b(at_level))
        return metrics

    def _sample_roles(self, results: List[dict]) -> List[int]:
        """The role of every result: 1 probe, 2 gallery, 0 neither."""
        if self.mode == 'casia-b':
            roles = []
            for r in results:
                if r['condition'] not in CASIA_B_CONDITIONS:
                    raise ValueError(f'EmbeddingRetrievalMetric: '
                                     f'{r["frame_dir"]!r} has condition '
                                     f'{r["condition"]!r}; expected one of '
                                     f'{CASIA_B_CONDITIONS}')
                condition, number = r['condition'], r['sequence']
                gallery_condition, gallery_numbers = CASIA_B_GALLERY
                if (condition == gallery_condition
                        and number in gallery_numbers):
                    roles.append(2)
                else:
                    roles.append(int(number in CASIA_B_PROBES[condition]))
            where = 'CASIA-B protocol (probes NM 5-6, BG 1-2, CL 1-2; ' \
                    'gallery NM 1-4)'
        else:
            split_roles = self._read_roles()
            roles = [split_roles.get(r['frame_dir'], 0) for r in results]
            where = (f'{self.ann_file} (probe splits {self.probe_splits}, '
                     f'gallery splits {self.gallery_splits})')
        counts = Counter(roles)
        if counts[0]:
            print_log(
                f'EmbeddingRetrievalMetric: {counts[0]} of {len(results)} '
                f'samples are neither probe nor gallery in the {where}; '
                'they are ignored', logger='current', level=logging.WARNING)
        for role, name in ((1, 'probe'), (2, 'gallery')):
            if not counts[role]:
                raise ValueError(f'EmbeddingRetrievalMetric: no {name} '
                                 f'sample found among the {len(results)} '
                                 f'samples by the {where}')
        return roles

    def _read_roles(self) -> Dict[str, int]:
        """frame_dir -> 1 (probe) or 2 (gallery), from the pickle, once."""
        if self._roles is not None:
            return self._roles
        content = load(self.ann_file)
        split = content.get('split') if isinstance(content, dict) else None
        if not isinstance(split, dict):
            raise ValueError(f'EmbeddingRetrievalMetric: {self.ann_file} has '
                             'no "split" dict of frame_dir lists')
        roles = {}
        for role, names in ((1, self.probe_splits), (2, self.gallery_splits)):
            for name in names:
                if name not in split:
                    raise KeyError(f'EmbeddingRetrievalMetric: {self.ann_file}'
                                   f' has no split {name!r}; its splits: '
                                   f'{sorted(split)}')
                for frame_dir in split[name]:
                    if roles.get(frame_dir, role) != role:
                        raise ValueError(
                            f'EmbeddingRetrievalMetric: {frame_dir!r} is in '
                            f'both a probe split {self.probe_splits} and a '
                            f'gallery split {self.gallery_splits} of '
                            f'{self.ann_file}')
                    roles[frame_dir] = role
        self._roles = roles
        return roles

    def _casia_b(self, at_level: Callable[[str], '_Samples']
                 ) -> Dict[str, float]:
        metrics = {}
        data = at_level('sequence')
        table = casia_b_gait_table(data.embedding, data.subject,
                                   data.condition_names(), data.sequence,
                                   data.view)
        print_log(format_gait_table(table), logger='current')
        for condition in CASIA_B_CONDITIONS:
            metrics[f'gait/{condition.upper()}'] = table[condition.upper()]
        metrics['gait/mean'] = table['mean']
        missing = [c.upper() for c in CASIA_B_CONDITIONS
                   if math.isnan(table[c.upper()])]
        if missing:
            print_log(
                f'EmbeddingRetrievalMetric: no CASIA-B gait score for '
                f'{missing}; gait/mean is the mean of the other conditions',
                logger='current', level=logging.WARNING)
        data = at_level(self.reid_level)
        for name, scores in reid_settings(data.embedding, data.subject,
                                          data.condition_names(),
                                          data.sequence).items():
            _warn_invalid(f're-id {name} ({self.reid_level} level)',
                          scores['num_probes'], scores['num_valid'])
            metrics[f'reid/{name}/rank1'] = scores['rank1']
            metrics[f'reid/{name}/mAP'] = scores['mAP']
        return metrics


class _Samples:
    """Clips or sequences as tensors: ``embedding`` (N, D) and, per row,
    ``subject``, ``role`` (0 neither, 1 probe, 2 gallery), ``condition``
    (index into CASIA_B_CONDITIONS), ``sequence`` and ``view`` (-1 where
    the data has none).

    Args:
        results (list[dict]): What :meth:`EmbeddingRetrievalMetric.process`
            kept, one per sample.
        roles (list[int]): The role of every sample.
        level (str): One row per clip (``'clip'``) or per frame_dir
            (``'sequence'``, its clips averaged). Defaults to ``'clip'``.
    """

    def __init__(self, results: List[dict], roles: List[int],
                 level: str = 'clip') -> None:
        sizes = torch.tensor([len(r['embedding']) for r in results])
        owner = torch.repeat_interleave(torch.arange(len(results)), sizes)
        embedding = torch.cat([r['embedding'] for r in results])
        if level == 'sequence':
            first = {}  # frame_dir -> its first sample
            for i, r in enumerate(results):
                j = first.setdefault(r['frame_dir'], i)
                if (results[j]['subject'], roles[j]) != (r['subject'],
                                                         roles[i]):
                    raise ValueError(
                        f'EmbeddingRetrievalMetric: the samples of '
                        f'{r["frame_dir"]!r} disagree on subject or role')
            frame_dirs, embedding = mean_by_group(
                embedding, [results[i]['frame_dir'] for i in owner.tolist()])
            owner = torch.tensor([first[d] for d in frame_dirs],
                                 dtype=torch.long)
        self.embedding = embedding

        def field(values):
            return torch.tensor(values, dtype=torch.long)[owner]

        def meta(key, code=int):
            return field([code(r[key]) if r.get(key) is not None else -1
                          for r in results])

        self.subject = meta('subject')
        self.role = field(roles)
        self.condition = meta('condition', CASIA_B_CONDITIONS.index)
        self.sequence = meta('sequence')
        self.view = meta('view')

    def condition_names(self) -> List[str]:
        return [CASIA_B_CONDITIONS[c] for c in self.condition.tolist()]


def format_gait_table(table: Dict) -> str:
    """The per-view CASIA-B gait table as readable text.

    Args:
        table (dict): The result of
            :func:`~aclnet_plugin.evaluation.retrieval.casia_b_gait_table`.

    Returns:
        str: Rows NM, BG, CL; columns the probe views and the mean.
    """
    def cell(value: float, width: int) -> str:
        return f'{"-":>{width}}' if math.isnan(value) else \
            f'{value:{width}.1f}'

    header = ['probe'] + [f'{v:>5d}' for v in CASIA_B_VIEWS] + ['  mean']
    lines = [
        'CASIA-B gait rank-1 (%): gallery NM 1-4, probe view per column, '
        'mean over the other gallery views (-: no data)', ' | '.join(header)
    ]
    for c, condition in enumerate(CASIA_B_CONDITIONS):
        name = condition.upper()
        cells = [cell(float(x), 5) for x in table['table'][c]]
        lines.append(' | '.join([f'{name:<5}'] + cells +
                                [cell(table[name], 6)]))
    lines.append(f'mean of NM, BG, CL: {cell(table["mean"], 0)}')
    return '\n'.join(lines)


def _names(splits: Union[str, Sequence[str]]) -> Tuple[str, ...]:
    names = (splits, ) if isinstance(splits, str) else tuple(splits)
    if not names or not all(isinstance(n, str) for n in names):
        raise ValueError(f'EmbeddingRetrievalMetric: a split must be a name '
                         f'or a sequence of names, got {splits!r}')
    return names


def _warn_invalid(what: str, num_probes: int, num_valid: int) -> None:
    if num_valid < num_probes:
        print_log(
            f'EmbeddingRetrievalMetric: {num_probes - num_valid} of '
            f'{num_probes} probes at the {what} have no true match (their '
            'identity is not in the gallery); they are excluded from the '
            'scores', logger='current', level=logging.WARNING)
