"""The ACLNet head: GCNHead plus affinity and marginal contrastive learning."""
from typing import Dict, List, Optional, Tuple, Union

import torch
import torch.nn.functional as F
from mmengine.dist import all_gather, get_rank, get_world_size
from mmengine.logging import print_log
from torch import Tensor, nn

from mmaction.models.heads import GCNHead
from mmaction.registry import MODELS
from mmaction.utils import SampleList
from ...utils import check_int
from ..affinity import affinity_similarity, motion_families


@MODELS.register_module()
class AffinityContrastHead(GCNHead):
    """Classification head of ACLNet (Liu et al., T-BIOM 2026).

    A drop-in for :class:`mmaction.models.GCNHead` (same arguments, the
    classifier is ``fc``, same predictions) that adds, in training, a 256-d
    embedding of the pooled feature and two losses on it:

    - ``loss_inter`` (:class:`AffinityContrastLoss`, eq. 8): each sample is
      pulled to its class prototype and pushed from the prototypes of its
      class's Motion Family, at a family-aware temperature (eq. 9).
    - ``loss_intra`` (:class:`MarginalContrastLoss`, eq. 15): positive pairs
      must beat every negative by a margin.

    The head owns all the method's state, as float buffers saved with the
    checkpoint and identical on every rank: ``confusion`` (C, C) counts,
    ``prototypes`` (C, D) with ``prototype_seen`` (C,), ``family_mask``
    (C, C), ``temperatures`` (C,), and the memory queue ``queue_embeddings``
    (Q, D), ``queue_labels`` (Q,) (-1 marks an empty slot), ``queue_ptr``.
    They are float buffers, integer counts included, because mmengine's
    ``SyncBuffersHook`` averages every floating buffer across ranks at the
    end of an epoch and would truncate integer ones: the average of equal
    floats is exact, so identical state stays identical.

    :class:`MotionFamilyHook` decides when: it switches confusion counting
    on with :meth:`set_confusion_collection` and calls
    :meth:`update_families`, whose summary it logs.

    Under distributed training one all-gather per step shares every rank's
    detached embeddings, labels and predictions: they join the intra
    contrast set and every rank applies the same prototype, confusion and
    queue updates, so the state never diverges.

    Args:
        num_classes (int): Number of classes.
        in_channels (int): Channels of the backbone feature.
        loss_cls (dict): Classification loss. Defaults to
            ``dict(type='CrossEntropyLoss')``.
        dropout (float): Dropout before ``fc``. Defaults to 0.
        average_clips (str): How test clips are averaged. Defaults to 'prob'.
        init_cfg (dict or list[dict]): Initialisation. Defaults to
            ``dict(type='Normal', layer='Linear', std=0.01)``.
        embed_dim (int): Dimension of the contrastive embedding.
            Defaults to 256.
        projection (str): 'linear', or 'mlp' (Linear-ReLU-Linear).
            Defaults to 'linear'.
        loss_inter (dict): Inter-class loss, lambda1 as its weight.
            Defaults to ``dict(type='AffinityContrastLoss', loss_weight=0.1)``.
        loss_intra (dict): Intra-class loss, lambda2 as its weight. Defaults
            to ``dict(type='MarginalContrastLoss', margin=0.1,
            temperature=0.1, loss_weight=0.1)``.
        family_temperature (dict): Family-aware temperature (eq. 9); its
            ``num_neighbors`` defaults to the head's. Defaults to
            ``dict(type='FamilyAwareTemperature', temperatures=(0.1, 0.5,
            1.0))``.
        num_neighbors (int): K, confused classes per class (eq. 3).
            Defaults to 10.
        overlap_threshold (int): n_a of eq. 6. Defaults to 4.
        prototype_momentum (float): gamma of eq. 7. Defaults to 0.9.
        prototype_samples (str): 'all' samples of a class update its
            prototype (paper), or only the 'correct'ly classified ones
            (the public code). Defaults to 'all'.
        memory_size (int): Size of the memory queue of detached embeddings
            for the intra loss; 0 turns it off. Defaults to 0.
        symmetric_confusion (bool): Compute the families from
            ``H + H^T`` instead of ``H``, so that two classes are neighbours
            however the confusions between them split. Defaults to False
            (the paper).
        test_embedding (str, optional): For retrieval (gait recognition,
            person re-id): at test time also put each sample's clip
            embeddings, (num_clips, D) L2-normalised, into its data sample
            as ``pred_embedding``: ``'projection'`` (the embedding the
            contrastive losses use) or ``'feature'`` (the pooled feature the
            classifier sees). The predicted scores are unchanged. Defaults to
            None (action recognition: no embedding).
    """

    def __init__(self,
                 num_classes: int,
                 in_channels: int,
                 loss_cls: Dict = dict(type='CrossEntropyLoss'),
                 dropout: float = 0.,
                 average_clips: str = 'prob',
                 init_cfg: Union[Dict, List[Dict]] = dict(
                     type='Normal', layer='Linear', std=0.01),
                 embed_dim: int = 256,
                 projection: str = 'linear',
                 loss_inter: Dict = dict(
                     type='AffinityContrastLoss', loss_weight=0.1),
                 loss_intra: Dict = dict(
                     type='MarginalContrastLoss',
                     margin=0.1,
                     temperature=0.1,
                     loss_weight=0.1),
                 family_temperature: Dict = dict(
                     type='FamilyAwareTemperature',
                     temperatures=(0.1, 0.5, 1.0)),
                 num_neighbors: int = 10,
                 overlap_threshold: int = 4,
                 prototype_momentum: float = 0.9,
                 prototype_samples: str = 'all',
                 memory_size: int = 0,
                 symmetric_confusion: bool = False,
                 test_embedding: Optional[str] = None,
                 **kwargs) -> None:
        super().__init__(
            num_classes,
            in_channels,
            loss_cls=loss_cls,
            dropout=dropout,
            average_clips=average_clips,
            init_cfg=init_cfg,
            **kwargs)
        if self.multi_class:
            raise ValueError('AffinityContrastHead needs single-label '
                             'classification (multi_class=False)')
        check_int('num_classes', num_classes, 1)
        check_int('embed_dim', embed_dim, 1)
        check_int('num_neighbors', num_neighbors, 1)
        check_int('overlap_threshold', overlap_threshold, 0)
        check_int('memory_size', memory_size, 0)
        if not 0 <= prototype_momentum < 1:
            raise ValueError('prototype_momentum must be in [0, 1), got '
                             f'{prototype_momentum!r}')
        if prototype_samples not in ('all', 'correct'):
            raise ValueError("prototype_samples must be 'all' or 'correct', "
                             f'got {prototype_samples!r}')
        if test_embedding not in (None, 'projection', 'feature'):
            raise ValueError("test_embedding must be None, 'projection' or "
                             f"'feature', got {test_embedding!r}")
        if projection == 'linear':
            self.projector = nn.Linear(in_channels, embed_dim)
        elif projection == 'mlp':
            self.projector = nn.Sequential(
                nn.Linear(in_channels, in_channels), nn.ReLU(inplace=True),
                nn.Linear(in_channels, embed_dim))
        else:
            raise ValueError("projection must be 'linear' or 'mlp', got "
                             f'{projection!r}')
        self.embed_dim = embed_dim
        self.loss_inter = MODELS.build(loss_inter)
        self.loss_intra = MODELS.build(loss_intra)
        family_temperature = dict(family_temperature)
        family_temperature.setdefault('num_neighbors', num_neighbors)
        self.family_temperature = MODELS.build(family_temperature)
        self.num_neighbors = num_neighbors
        self.overlap_threshold = overlap_threshold
        self.prototype_momentum = float(prototype_momentum)
        self.prototype_samples = prototype_samples
        self.memory_size = memory_size
        self.symmetric_confusion = bool(symmetric_confusion)
        self.test_embedding = test_embedding

        C, D = num_classes, embed_dim
        self.register_buffer('confusion', torch.zeros(C, C))
        self.register_buffer('prototypes', torch.zeros(C, D))
        self.register_buffer('prototype_seen', torch.zeros(C))
        self.register_buffer('family_mask', torch.zeros(C, C))
        self.register_buffer(
            'temperatures',
            self.family_temperature(torch.zeros(C)).float())
        self.register_buffer('queue_embeddings', torch.zeros(memory_size, D))
        self.register_buffer('queue_labels', torch.full((memory_size, ), -1.))
        self.register_buffer('queue_ptr', torch.zeros(1))

        # Set by the schedule (MotionFamilyHook); None until one is attached.
        # A plain attribute, not state.
        self._collect_confusion: Optional[bool] = None
        self._warned_no_schedule = False

    # ------------------------------------------------------------------
    # Schedule (what MotionFamilyHook calls)
    # ------------------------------------------------------------------
    def set_confusion_collection(self, enabled: bool) -> None:
        """Start (or stop) counting the training confusions.

        A head whose collection was never set has no schedule: its
        Motion Families are never computed, and training with an
        inter-class loss weight above 0 logs a warning once.
        """
        self._collect_confusion = bool(enabled)

    @property
    def collecting_confusion(self) -> bool:
        """bool: Whether training steps count confusions now."""
        return bool(self._collect_confusion)

    @property
    def has_family_schedule(self) -> bool:
        """bool: Whether a schedule (the hook) has set the collection."""
        return self._collect_confusion is not None

    # ------------------------------------------------------------------
    # Forward
    # ------------------------------------------------------------------
    def pre_logits(self, x: Tensor) -> Tensor:
        """Pool the backbone output exactly as GCNHead does.

        Args:
            x (Tensor): (N, M, C, T, V) backbone feature.

        Returns:
            Tensor: (N, C) feature shared by the classifier and projection.
        """
        N, M, C, T, V = x.shape
        if C != self.in_channels:  # GCNHead's contract: an AssertionError
            raise AssertionError(
                f'{type(self).__name__} has in_channels={self.in_channels} '
                f'but got a feature of shape {tuple(x.shape)} '
                f'(N, M, C={C}, T, V)')
        x = self.pool(x.reshape(N * M, C, T, V))
        return x.view(N, M, C).mean(dim=1)

    def forward(self, x: Tensor, **kwargs) -> Tensor:
        """Classification scores (N, num_classes), as GCNHead."""
        return self._classify(self.pre_logits(x))

    def _classify(self, feat: Tensor) -> Tensor:
        if self.dropout is not None:
            feat = self.dropout(feat)
        return self.fc(feat)

    def embed(self, feat: Tensor) -> Tensor:
        """L2-normalised float32 embedding (N, embed_dim) of pooled features."""
        return F.normalize(self.projector(feat).float(), dim=1)

    def predict(self, feats: Union[Tensor, Tuple[Tensor]],
                data_samples: SampleList, **kwargs) -> SampleList:
        """GCNHead's predictions, and with ``test_embedding`` the clip
        embeddings of every sample as its ``pred_embedding``
        (num_clips, D)."""
        if isinstance(feats, (tuple, list)):
            feats = feats[-1]
        feat = self.pre_logits(feats)
        samples = self.predict_by_feat(self._classify(feat), data_samples)
        if self.test_embedding is not None:
            if self.test_embedding == 'projection':
                embeddings = self.embed(feat)
            else:
                embeddings = F.normalize(feat.float(), dim=1)
            embeddings = embeddings.view(len(samples), -1,
                                         embeddings.shape[-1])
            for sample, embedding in zip(samples, embeddings):
                sample.set_field(embedding, 'pred_embedding')
        return samples

    # ------------------------------------------------------------------
    # Training
    # ------------------------------------------------------------------
    def loss(self, feats: Union[Tensor, Tuple[Tensor]],
             data_samples: SampleList, **kwargs) -> Dict:
        """Classification, inter-class and intra-class losses of a batch.

        Each clip is a training sample: with ``num_clips > 1`` the label of
        a sample is repeated for its clips (adjacent rows).

        Args:
            feats (Tensor): (B * num_clips, M, C, T, V) backbone output.
            data_samples (list[ActionDataSample]): B samples with
                ``gt_label``.

        Returns:
            dict: ``loss_cls``, ``loss_inter``, ``loss_intra`` and the
            top-k training accuracies (logged, not optimised).
        """
        if isinstance(feats, (tuple, list)):
            feats = feats[-1]
        feat = self.pre_logits(feats)
        cls_scores = self._classify(feat)
        embeddings = self.embed(feat)
        labels = torch.cat([s.gt_label.reshape(-1) for s in data_samples])
        labels = labels.to(cls_scores.device).long()
        num_clips = feat.shape[0] // labels.numel()
        if num_clips * labels.numel() != feat.shape[0]:
            raise ValueError(f'{feat.shape[0]} feature rows do not split '
                             f'into clips of {labels.numel()} samples')
        if num_clips > 1:
            labels = labels.repeat_interleave(num_clips)
        self._warn_without_schedule()

        losses = self._accuracies(cls_scores.detach(), labels)
        if self.label_smooth_eps != 0:
            targets = F.one_hot(labels, self.num_classes).to(cls_scores)
            targets = ((1 - self.label_smooth_eps) * targets +
                       self.label_smooth_eps / self.num_classes)
        else:
            targets = labels
        loss_cls = self.loss_cls(cls_scores, targets)
        if isinstance(loss_cls, dict):
            losses.update(loss_cls)
        else:
            losses['loss_cls'] = loss_cls

        preds = cls_scores.detach().argmax(dim=1)
        batch, others = self._share_batch(embeddings.detach(), labels, preds)
        # Inter-class loss against the current prototypes and families; a
        # family member whose prototype was never seen is left out.
        seen = self.prototype_seen.bool()
        families = self.family_mask.bool() & seen[None, :]
        losses['loss_inter'] = self.loss_inter(embeddings, labels,
                                               self.prototypes, families,
                                               self.temperatures)
        # Intra-class contrast: the batch, the other ranks' samples and the
        # memory queue (empty slots are labelled -1 and ignored).
        keys, key_labels = [], []
        if others is not None:
            keys.append(others[0])
            key_labels.append(others[1])
        if self.memory_size > 0:
            keys.append(self.queue_embeddings)
            key_labels.append(self.queue_labels.long())
        if keys:
            losses['loss_intra'] = self.loss_intra(
                embeddings, labels, torch.cat(keys), torch.cat(key_labels))
        else:
            losses['loss_intra'] = self.loss_intra(embeddings, labels)
        self._update_state(*batch)
        return losses

    def _accuracies(self, scores: Tensor, labels: Tensor) -> Dict:
        """Top-k training accuracies, on device (no host synchronisation)."""
        maxk = min(max(self.topk), self.num_classes)
        ranked = scores.topk(maxk, dim=1).indices
        hits = ranked == labels[:, None]
        return {
            f'top{k}_acc': hits[:, :min(k, maxk)].any(dim=1).float().mean()
            for k in self.topk
        }

    def _share_batch(
        self, embeddings: Tensor, labels: Tensor, preds: Tensor
    ) -> Tuple[Tuple[Tensor, Tensor, Tensor], Optional[Tuple[Tensor,
                                                             Tensor]]]:
        """All ranks' (embeddings, labels, preds), and the other ranks'.

        One all-gather of a (N, D + 2) float tensor per step (labels and
        predictions ride along as float columns, exact up to 2^24 classes);
        ranks must hold batches of equal size (mmengine's DefaultSampler
        ensures it).

        Returns:
            tuple: ``(embeddings, labels, preds)`` of every rank in rank
            order, and the other ranks' ``(embeddings, labels)``, or None
            when training on one process.
        """
        if get_world_size() == 1:
            return (embeddings, labels, preds), None
        D = self.embed_dim
        rows = torch.cat(
            [embeddings, labels[:, None].to(embeddings),
             preds[:, None].to(embeddings)], dim=1)
        gathered = all_gather(rows)
        rank = get_rank()
        others = torch.cat(gathered[:rank] + gathered[rank + 1:])
        rows = torch.cat(gathered)
        batch = (rows[:, :D], rows[:, D].long(), rows[:, D + 1].long())
        return batch, (others[:, :D], others[:, D].long())

    @torch.no_grad()
    def _update_state(self, embeddings: Tensor, labels: Tensor,
                      preds: Tensor) -> None:
        """Prototypes (eq. 7), confusion counts and queue from a batch."""
        C = self.num_classes
        weight = torch.ones_like(embeddings[:, 0])
        if self.prototype_samples == 'correct':
            weight = (preds == labels).to(weight)
        sums = embeddings.new_zeros(C, self.embed_dim).index_add_(
            0, labels, embeddings * weight[:, None])
        counts = embeddings.new_zeros(C).index_add_(0, labels, weight)
        present = counts > 0
        mean = sums / counts.clamp(min=1)[:, None]
        seen = self.prototype_seen.bool()
        momentum = self.prototype_momentum
        ema = momentum * self.prototypes + (1 - momentum) * mean
        updated = torch.where(seen[:, None], ema, mean)
        self.prototypes.copy_(
            torch.where(present[:, None], updated, self.prototypes))
        self.prototype_seen.copy_((seen | present).float())

        if self.collecting_confusion:
            wrong = (preds != labels).to(self.confusion)
            self.confusion.view(-1).index_add_(0, labels * C + preds, wrong)

        if self.memory_size > 0:
            n = min(labels.numel(), self.memory_size)
            slots = (self.queue_ptr.long() +
                     torch.arange(n, device=labels.device)) % self.memory_size
            self.queue_embeddings.index_copy_(0, slots, embeddings[-n:])
            self.queue_labels.index_copy_(0, slots, labels[-n:].float())
            self.queue_ptr.copy_((self.queue_ptr + n) % self.memory_size)

    def _warn_without_schedule(self) -> None:
        if (self.training and not self.has_family_schedule
                and not self._warned_no_schedule
                and self.loss_inter.loss_weight > 0):
            self._warned_no_schedule = True
            print_log(
                'AffinityContrastHead trains with an inter-class loss weight '
                f'of {self.loss_inter.loss_weight} but no MotionFamilyHook: '
                'Motion Families are never computed and the inter-class '
                'loss stays 0. Add dict(type="MotionFamilyHook") to '
                'custom_hooks.',
                logger='current',
                level=30)

    # ------------------------------------------------------------------
    # Motion Families
    # ------------------------------------------------------------------
    @torch.no_grad()
    def update_families(self) -> Dict:
        """Recompute affinity, Motion Families and temperatures (eq. 3-9).

        Uses the confusion counts collected so far, which are identical on
        every rank, so every rank computes the same families.

        Returns:
            dict: ``affinity`` (C, C) float64, ``families`` (C, C) bool,
            ``temperatures`` (C,) and ``summary``, a dict of plain numbers
            for logs: ``classes_with_family``, ``mean_family_size``,
            ``max_family_size`` and ``classes_per_temperature`` (temperature
            as text: number of classes).
        """
        confusion = self.confusion
        if self.symmetric_confusion:
            confusion = confusion + confusion.T
        affinity = affinity_similarity(confusion, self.num_neighbors)
        families = motion_families(affinity, self.overlap_threshold,
                                   self.num_neighbors)
        self.family_mask.copy_(families.to(self.family_mask))
        self.temperatures.copy_(self.family_temperature(families.sum(dim=1)))
        sizes = families.sum(dim=1).cpu()
        temperatures = self.temperatures.cpu()
        summary = dict(
            classes_with_family=int((sizes > 0).sum()),
            mean_family_size=round(float(sizes.float().mean()), 3),
            max_family_size=int(sizes.max()),
            classes_per_temperature={
                f'{t:g}': int((temperatures == t).sum())
                for t in self.family_temperature.temperatures
            })
        return dict(affinity=affinity, families=families,
                    temperatures=self.temperatures.clone(), summary=summary)

    def families(self) -> List[List[int]]:
        """Motion Family members of every class, as lists of indices."""
        mask = self.family_mask.bool().cpu()
        return [row.nonzero().flatten().tolist() for row in mask]
