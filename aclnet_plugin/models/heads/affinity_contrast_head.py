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
from ..losses import MarginalContrastLoss
from ..recipes import ema_prototypes, get_recipe


@MODELS.register_module()
class AffinityContrastHead(GCNHead):
    """Classification head of ACLNet (Liu et al., T-BIOM 2026).

    A drop-in for :class:`mmaction.models.GCNHead` (same arguments, the
    classifier is ``fc``, same predictions) that adds, in training, a 256-d
    embedding and two losses on it:

    - ``loss_inter`` (:class:`AffinityContrastLoss`, eq. 8): each sample is
      pulled to its class prototype and pushed from the prototypes of its
      class's Motion Family, at a family-aware temperature (eq. 9).
    - ``loss_intra`` (:class:`MarginalContrastLoss`, eq. 15): positive pairs
      must beat every negative by a margin.

    The embedding comes from one of two contrastive inputs
    (``contrast_input``):

    - ``'feature'`` (default, any backbone): a projection of the pooled
      feature the classifier sees, one embedding for both losses.
    - ``'topology'`` (the paper's model): the last block's sample-dependent
      topology, a (N, V * V) vector that :class:`ACLNetGCN` returns beside
      its feature with ``out_topology=True``. Each loss has its own
      projection of it (``inter_projector``, ``intra_projector``), so the
      losses shape the learned graph and leave the classifier's feature to
      cross-entropy. Prototypes live in the inter embedding, the queue in
      the intra one.

    Two recipes (``recipe``) train it: ``'equations'`` (the default) as the
    paper's equations read, and ``'authors'`` as the authors' public code
    does, which produced the paper's figures (it replays a recorded run of
    that code). They differ in the confusion counts of a batch, the
    families formed from them, the prototype update, the intra contrast set
    and when the families are refreshed: see :mod:`aclnet_plugin.models.recipes`.

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
            ``dict(type='Normal', layer='Linear', std=0.01)``; with the
            topology input ``dict(type='PyTorchDefault', override=...)`` is
            appended, which gives the two projections PyTorch's default
            initialisation again.
        embed_dim (int): Dimension of the contrastive embedding.
            Defaults to 256.
        projection (str): 'linear', or 'mlp' (Linear-ReLU-Linear).
            Defaults to 'linear'.
        loss_inter (dict): Inter-class loss, lambda1 as its weight.
            Defaults to ``dict(type='AffinityContrastLoss', loss_weight=0.1)``.
        loss_intra (dict, optional): Intra-class loss, lambda2 as its
            weight. Defaults to None: ``dict(type='MarginalContrastLoss',
            margin=0.1, temperature=0.1, loss_weight=0.1)``, and with
            ``recipe='authors'`` the public code's ``margin=0.01``,
            ``anchors='all'``, ``log_epsilon=1e-6`` (which that recipe also
            fills into a MarginalContrastLoss config that leaves them out).
        family_temperature (dict): Family-aware temperature (eq. 9); its
            ``num_neighbors`` defaults to the head's. Defaults to
            ``dict(type='FamilyAwareTemperature', temperatures=(0.1, 0.5,
            1.0))``.
        num_neighbors (int): K, confused classes per class (eq. 3).
            Defaults to 10.
        overlap_threshold (int): n_a of eq. 6. Defaults to 4.
        prototype_momentum (float): gamma of eq. 7. Defaults to 0.9.
        prototype_samples (str, optional): 'all' samples of a class update
            its prototype (paper), or only the 'correct'ly classified ones
            (the public code). Defaults to None: the recipe's ('all',
            'correct' with ``recipe='authors'``).
        memory_size (int): Size of the memory queue of detached embeddings
            for the intra loss; 0 turns it off. Defaults to 0.
        symmetric_confusion (bool): Compute the families from
            ``H + H^T`` instead of ``H``, so that two classes are neighbours
            however the confusions between them split. Defaults to False
            (the paper).
        confusion_decay (float): After each recompute of the families the
            confusion counts are multiplied by this, so that a recompute
            weighs an epoch's confusions by ``confusion_decay ** age``: the
            recent model's confusions count more than those of the weak early
            epochs, which a cumulative count lets dominate. Defaults to 1.0
            (the paper: cumulative counts).
        test_embedding (str, optional): For retrieval (gait recognition,
            person re-id): at test time also put each sample's clip
            embeddings, (num_clips, D) L2-normalised, into its data sample
            as ``pred_embedding``: ``'projection'`` (the embedding the
            contrastive losses use; with the topology input, the intra
            loss's) or ``'feature'`` (the pooled feature the classifier
            sees). The predicted scores are unchanged. Defaults to None
            (action recognition: no embedding).
        contrast_input (str): What the contrastive losses see: ``'feature'``
            (the pooled feature, any backbone) or ``'topology'`` (the last
            block's topology vector of a backbone built with
            ``out_topology=True``, the paper's model). Defaults to
            ``'feature'``.
        num_joints (int, optional): V of the topology input (its vector has
            V * V values); required with ``contrast_input='topology'``.
            Defaults to None.
        recipe (str): ``'equations'`` (the paper's equations, METHOD.md) or
            ``'authors'`` (the authors' public code, point by point; their
            paper's figures come from it). Defaults to 'equations'.
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
                 loss_intra: Optional[Dict] = None,
                 family_temperature: Dict = dict(
                     type='FamilyAwareTemperature',
                     temperatures=(0.1, 0.5, 1.0)),
                 num_neighbors: int = 10,
                 overlap_threshold: int = 4,
                 prototype_momentum: float = 0.9,
                 prototype_samples: Optional[str] = None,
                 memory_size: int = 0,
                 symmetric_confusion: bool = False,
                 confusion_decay: float = 1.0,
                 test_embedding: Optional[str] = None,
                 contrast_input: str = 'feature',
                 num_joints: Optional[int] = None,
                 recipe: str = 'equations',
                 **kwargs) -> None:
        chosen = get_recipe(recipe)
        if contrast_input == 'topology':
            # GCNHead's N(0, 0.01) for every Linear, then PyTorch's default
            # again for the two projections, as the authors' code leaves
            # them: the topology is 0 at the start, and a zero bias would
            # make every embedding the zero vector. Both in init_cfg, so
            # that mmengine's initialisation log says what they hold.
            init_cfg = ([init_cfg] if isinstance(init_cfg, dict) else
                        list(init_cfg or [])) + [
                dict(type='PyTorchDefault',
                     override=[dict(name='inter_projector'),
                               dict(name='intra_projector')])]
        if prototype_samples is None:
            prototype_samples = chosen.prototype_samples
        loss_intra = dict(
            dict(type='MarginalContrastLoss', temperature=0.1,
                 loss_weight=0.1) if loss_intra is None else loss_intra)
        if loss_intra.get('type') in ('MarginalContrastLoss',
                                      MarginalContrastLoss):
            for key, value in chosen.loss_intra.items():
                loss_intra.setdefault(key, value)
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
        if not 0 < confusion_decay <= 1:
            raise ValueError('confusion_decay must be in (0, 1], got '
                             f'{confusion_decay!r}')
        if prototype_samples not in ('all', 'correct'):
            raise ValueError("prototype_samples must be 'all' or 'correct', "
                             f'got {prototype_samples!r}')
        if test_embedding not in (None, 'projection', 'feature'):
            raise ValueError("test_embedding must be None, 'projection' or "
                             f"'feature', got {test_embedding!r}")
        if projection not in ('linear', 'mlp'):
            raise ValueError("projection must be 'linear' or 'mlp', got "
                             f'{projection!r}')
        if contrast_input == 'feature':
            self.projector = self._projector(projection, in_channels,
                                             embed_dim)
        elif contrast_input == 'topology':
            if num_joints is None:
                raise ValueError(
                    "contrast_input='topology' needs num_joints, the V of "
                    'the backbone\'s V x V topology (25 for NTU RGB+D)')
            check_int('num_joints', num_joints, 1)
            self.topology_dim = num_joints * num_joints
            # the paper: each loss has its own projection of the topology
            self.inter_projector = self._projector(
                projection, self.topology_dim, embed_dim)
            self.intra_projector = self._projector(
                projection, self.topology_dim, embed_dim)
        else:
            raise ValueError("contrast_input must be 'feature' or "
                             f"'topology', got {contrast_input!r}")
        self.recipe = chosen
        self.contrast_input = contrast_input
        self.num_joints = num_joints
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
        self.confusion_decay = float(confusion_decay)
        self.test_embedding = test_embedding

        # The largest affinity there can be: a direct neighbour sharing all
        # the other K_eff - 1 neighbours (1/2 + (K_eff - 1) / K_eff), or a
        # non-neighbour sharing all K_eff (1). At or under the threshold
        # n_a / K_eff no family can form.
        k_eff = min(num_neighbors, num_classes - 1)
        best = max(1.0, 1.5 - 1 / k_eff) if k_eff > 0 else 0.0
        if overlap_threshold >= best * max(k_eff, 1):
            print_log(
                f'AffinityContrastHead: with {num_classes} classes a class '
                f'has at most K_eff = {k_eff} neighbours, and no affinity can '
                f'pass the family threshold overlap_threshold / K_eff = '
                f'{overlap_threshold} / {k_eff}: no class will ever have a '
                'Motion Family and the inter-class loss stays 0. Lower '
                'num_neighbors and overlap_threshold (the paper: 4 of 10).',
                logger='current', level=30)

        C, D = num_classes, embed_dim
        self.register_buffer('confusion', torch.zeros(C, C))
        if self.recipe.prototype_init == 'normal':  # the public code's
            self.register_buffer('prototypes', torch.randn(C, D))
            self.register_buffer('prototype_seen', torch.ones(C))
        else:  # set by a class's first batch
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
        self._gather_rows = 0  # rows every rank all-gathers (see below)
        self._inter_scale = 1.0  # a schedule's share of lambda1
        # set by the schedule: refresh the families in the next step, after
        # its batch is counted (the authors' recipe); the hook reads
        # _refreshed to log what the step computed
        self._refresh_pending = False
        self._refreshed: Optional[Tensor] = None

    def _load_from_state_dict(self, state_dict, prefix, *args,
                              **kwargs) -> None:
        """Load a stock GCNHead's checkpoint as a start: with a classifier
        and none of this head's own tensors (projection and method state),
        those start fresh, said in one log line instead of a list of
        missing keys."""
        own = [name for name in self.state_dict()
               if not name.startswith(('fc.', 'loss_'))]
        if prefix + 'fc.weight' in state_dict and own and not any(
                prefix + name in state_dict for name in own):
            for name, value in self.state_dict().items():
                state_dict.setdefault(prefix + name, value)
            print_log(
                'AffinityContrastHead: the checkpoint has a classifier but '
                'none of this head\'s own tensors (a GCNHead checkpoint?): '
                'the classifier is loaded; the projection and the method '
                f'state ({len(own)} tensors) start fresh.', logger='current',
                level=20)
        super()._load_from_state_dict(state_dict, prefix, *args, **kwargs)

    @staticmethod
    def _projector(kind: str, in_dim: int, out_dim: int) -> nn.Module:
        if kind == 'linear':
            return nn.Linear(in_dim, out_dim)
        return nn.Sequential(
            nn.Linear(in_dim, in_dim), nn.ReLU(inplace=True),
            nn.Linear(in_dim, out_dim))

    def check_backbone(self, backbone: nn.Module) -> None:
        """Raise a ValueError, before anything trains, when the backbone
        cannot feed this head's contrastive input: the topology input needs
        a backbone that returns its topology (:class:`ACLNetGCN` with
        ``out_topology=True``) with ``num_joints`` joints, and the feature
        input one that returns a plain feature.

        Args:
            backbone (nn.Module): The recognizer's backbone.
        """
        name = type(backbone).__name__
        gives_topology = bool(getattr(backbone, 'out_topology', False))
        if self.contrast_input == 'topology':
            if not gives_topology:
                raise ValueError(
                    "AffinityContrastHead(contrast_input='topology') feeds "
                    "its losses from the backbone's last-block topology, but "
                    f'the backbone {name} does not return one: use '
                    "backbone=dict(type='ACLNetGCN', out_topology=True, ...)"
                    " or contrast_input='feature' (the pooled feature, any "
                    'backbone).')
            joints = getattr(backbone, 'num_joints', self.num_joints)
            if joints != self.num_joints:
                raise ValueError(
                    f'AffinityContrastHead has num_joints={self.num_joints} '
                    f'but the backbone {name} has {joints} joints (a '
                    f'{joints} x {joints} topology): set the head\'s '
                    f'num_joints={joints}.')
        elif gives_topology:
            raise ValueError(
                f'The backbone {name} returns its topology '
                "(out_topology=True), which only AffinityContrastHead("
                "contrast_input='topology') takes: set that, or "
                'out_topology=False.')

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

    def set_inter_loss_scale(self, scale: float) -> None:
        """Scale the inter-class loss by ``scale`` in [0, 1] (a schedule's
        ramp, MotionFamilyHook's ``inter_warmup``); 1 is the configured
        weight."""
        if not 0 <= scale <= 1:
            raise ValueError(f'scale must be in [0, 1], got {scale!r}')
        self._inter_scale = float(scale)

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
        if x.dim() != 5:
            raise ValueError(
                f'{type(self).__name__} expects a (N, M, C, T, V) backbone '
                f'feature, got shape {tuple(x.shape)}. A backbone that also '
                'returns its topology (out_topology=True) needs '
                "contrast_input='topology'.")
        N, M, C, T, V = x.shape
        if C != self.in_channels:  # GCNHead's contract: an AssertionError
            raise AssertionError(
                f'{type(self).__name__} has in_channels={self.in_channels} '
                f'but got a feature of shape {tuple(x.shape)} '
                f'(N, M, C={C}, T, V)')
        x = self.pool(x.reshape(N * M, C, T, V))
        return x.view(N, M, C).mean(dim=1)

    def _split(self, feats) -> Tuple[Tensor, Optional[Tensor]]:
        """The backbone feature and, with the topology input, the topology
        vector (N, V * V), from what the backbone returned."""
        if self.contrast_input == 'topology':
            if not (isinstance(feats, (tuple, list)) and len(feats) == 2
                    and feats[1].dim() == 2):
                got = (f'a {type(feats).__name__} of '
                       f'{len(feats)}' if isinstance(feats, (tuple, list))
                       else f'a tensor of shape {tuple(feats.shape)}')
                raise ValueError(
                    "AffinityContrastHead(contrast_input='topology') needs "
                    'the backbone feature and its (N, V * V) topology, got '
                    f'{got}: build the backbone with out_topology=True '
                    '(ACLNetGCN).')
            feat, topology = feats
            if topology.shape[1] != self.topology_dim:
                raise ValueError(
                    f'The topology has {topology.shape[1]} values a sample '
                    f'but the head has num_joints={self.num_joints} '
                    f'({self.topology_dim} values)')
            return feat, topology
        if isinstance(feats, (tuple, list)):
            feats = feats[-1]
        return feats, None

    def forward(self, x, **kwargs) -> Tensor:
        """Classification scores (N, num_classes), as GCNHead."""
        return self._classify(self.pre_logits(self._split(x)[0]))

    def _classify(self, feat: Tensor) -> Tensor:
        if self.dropout is not None:
            feat = self.dropout(feat)
        return self.fc(feat)

    def embed(self, feat: Tensor) -> Tensor:
        """L2-normalised float32 embedding (N, embed_dim) of pooled features
        (``contrast_input='feature'``)."""
        return F.normalize(self.projector(feat).float(), dim=1)

    def embeddings(self, feat: Tensor,
                   topology: Optional[Tensor]) -> Tuple[Tensor, Tensor]:
        """The inter and the intra loss's embeddings, L2-normalised float32
        (N, embed_dim): one tensor twice for the feature input, two
        projections of the topology for the topology input.

        Args:
            feat (Tensor): (N, C) pooled feature.
            topology (Tensor, optional): (N, V * V) topology vector.
        """
        inter, intra = self.projections(feat, topology)
        inter = F.normalize(inter, dim=1)
        return inter, inter if intra is None else F.normalize(intra, dim=1)

    def projections(self, feat: Tensor, topology: Optional[Tensor]
                    ) -> Tuple[Tensor, Optional[Tensor]]:
        """The inter and the intra projections before normalisation,
        float32 (N, embed_dim); the intra one is None with the feature input
        (one projection serves both losses)."""
        if self.contrast_input == 'feature':
            return self.projector(feat).float(), None
        return (self.inter_projector(topology).float(),
                self.intra_projector(topology).float())

    def predict(self, feats: Union[Tensor, Tuple[Tensor]],
                data_samples: SampleList, **kwargs) -> SampleList:
        """GCNHead's predictions, and with ``test_embedding`` the clip
        embeddings of every sample as its ``pred_embedding``
        (num_clips, D)."""
        feat, topology = self._split(feats)
        feat = self.pre_logits(feat)
        samples = self.predict_by_feat(self._classify(feat), data_samples)
        if self.test_embedding is not None:
            if self.test_embedding == 'projection':
                embeddings = self.embeddings(feat, topology)[1]
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
        a sample is repeated for its clips (adjacent rows). Soft labels
        (mixup, cutmix) train the classifier with cross-entropy on the soft
        targets, as GCNHead does, and the contrastive losses and the state
        with their argmax class.

        Args:
            feats (Tensor | tuple[Tensor, Tensor]): (B * num_clips, M, C, T,
                V) backbone output; with the topology input, that and the
                (B * num_clips, V * V) topology vector.
            data_samples (list[ActionDataSample]): B samples with
                ``gt_label``: a class index, or soft targets (C,).

        Returns:
            dict: ``loss_cls``, ``loss_inter``, ``loss_intra`` and the
            top-k training accuracies (logged, not optimised).
        """
        feat, topology = self._split(feats)
        feat = self.pre_logits(feat)
        cls_scores = self._classify(feat)
        inter_raw, intra_raw = self.projections(feat, topology)
        inter_emb = F.normalize(inter_raw, dim=1)
        intra_emb = (inter_emb if intra_raw is None else F.normalize(
            intra_raw, dim=1))
        labels, soft = self._labels(data_samples, cls_scores.device)
        num_clips = feat.shape[0] // labels.numel()
        if num_clips * labels.numel() != feat.shape[0]:
            raise ValueError(f'{feat.shape[0]} feature rows do not split '
                             f'into clips of {labels.numel()} samples')
        if num_clips > 1:
            labels = labels.repeat_interleave(num_clips)
            if soft is not None:
                soft = soft.repeat_interleave(num_clips, dim=0)
        self._warn_without_schedule()

        losses = self._accuracies(cls_scores.detach(), labels)
        targets = labels if soft is None else soft.to(cls_scores)
        if self.label_smooth_eps != 0:
            if soft is None:
                targets = F.one_hot(labels, self.num_classes).to(cls_scores)
            targets = ((1 - self.label_smooth_eps) * targets +
                       self.label_smooth_eps / self.num_classes)
        loss_cls = self.loss_cls(cls_scores, targets)
        if isinstance(loss_cls, dict):
            losses.update(loss_cls)
        else:
            losses['loss_cls'] = loss_cls

        preds = cls_scores.detach().argmax(dim=1)
        # what the prototypes average: the recipe's inter embedding
        averaged = (inter_raw if self.recipe.prototype_input == 'raw' else
                    inter_emb)
        batch, others = self._share_batch(averaged.detach(),
                                          intra_emb.detach(), labels, preds)
        valid = self._valid_rows(*batch[:3])
        # counts in float32 whatever the step's precision (a half-precision
        # matmul of one-hot rows is exact only up to 256 or 2048)
        with torch.autocast(valid.device.type, enabled=False):
            if self.collecting_confusion:
                self.confusion.add_(
                    self.recipe.batch_counts(
                        *self._masked(batch[2:], valid), valid,
                        self.num_classes))
            if self._refresh_pending:  # the authors' recipe: after counting
                self._refresh_pending = False
                self._refreshed = self._refresh_families()

        prototypes, seen, updated, updated_seen = self._prototype_step(
            averaged, intra_emb, labels, preds, batch, valid)
        # Inter-class loss against the prototypes and families; a family
        # member whose prototype was never seen is left out.
        families = self.family_mask.bool() & seen[None, :]
        losses['loss_inter'] = self.loss_inter(
            inter_emb, labels, prototypes, families,
            self.temperatures) * self._inter_scale
        losses['loss_intra'] = self._intra_loss(intra_emb, labels, others,
                                                valid)
        self._update_state(updated.detach(), updated_seen, batch[1],
                           batch[2], valid)
        return losses

    def _prototype_step(self, averaged: Tensor, intra_emb: Tensor,
                        labels: Tensor, preds: Tensor, batch,
                        valid: Tensor):
        """The prototypes (and seen flags) the inter loss uses, and the
        state this step leaves (eq. 7, from every rank's rows). The
        equations recipe's loss uses the state before the step; the
        authors' uses this step's update, whose share carries the gradient
        of this rank's rows."""
        sums, counts = self._class_sums(batch[0], *batch[2:], valid)
        in_loss = self.recipe.prototypes_in_loss == 'updated'
        if in_loss:
            local = self._class_sums(
                averaged, labels, preds,
                self._valid_rows(averaged, intra_emb, labels))[0]
            sums = sums + (local - local.detach())  # same value, a gradient
        updated, updated_seen = ema_prototypes(
            self.prototypes, self.prototype_seen.bool(), sums, counts,
            self.prototype_momentum)
        if in_loss:
            return updated, updated_seen, updated, updated_seen
        return (self.prototypes, self.prototype_seen.bool(), updated,
                updated_seen)

    def _intra_loss(self, intra_emb: Tensor, labels: Tensor,
                    others: Optional[Tuple[Tensor, Tensor]],
                    valid: Tensor) -> Tensor:
        """The intra-class loss against the batch, the other ranks' samples
        and the memory queue (empty slots, and those the recipe leaves out,
        are labelled -1 and ignored); 0 while the recipe's switch is off."""
        keys, key_labels = [], []
        if others is not None:
            keys.append(others[0])
            key_labels.append(others[1])
        switch = None
        if self.memory_size > 0:
            queue_labels, switch = self.recipe.contrast_queue(
                self.queue_labels, self.queue_ptr, valid.sum())
            keys.append(self.queue_embeddings)
            key_labels.append(queue_labels.long())
        if keys:
            loss = self.loss_intra(intra_emb, labels, torch.cat(keys),
                                   torch.cat(key_labels))
        else:
            loss = self.loss_intra(intra_emb, labels)
        return loss if switch is None else loss * switch

    def _labels(self, data_samples: SampleList,
                device) -> Tuple[Tensor, Optional[Tensor]]:
        """Class indices (B,), and the soft targets (B, C) when the batch has
        them (mmaction's MixupBlending / CutmixBlending give every sample a
        float (C,) label). The contrastive losses and the method's state
        take a soft label's argmax."""
        gt = [s.gt_label for s in data_samples]
        if self.num_classes > 1 and all(
                g.is_floating_point() and g.numel() == self.num_classes
                for g in gt):
            soft = torch.stack([g.reshape(-1) for g in gt]).to(device)
            return soft.argmax(dim=1), soft
        labels = torch.cat([g.reshape(-1) for g in gt])
        return labels.to(device).long(), None

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
        self, inter_emb: Tensor, intra_emb: Tensor, labels: Tensor,
        preds: Tensor
    ) -> Tuple[Tuple[Tensor, Tensor, Tensor, Tensor], Optional[Tuple[
            Tensor, Tensor]]]:
        """All ranks' (inter and intra embeddings, labels, preds), and the
        other ranks' (intra embeddings, labels).

        One all-gather of a (R, D + 2) float tensor per step, (R, 2D + 2)
        with the topology input's two embeddings (labels and predictions
        ride along as float columns, exact up to 2^24 classes).
        All-gather needs the same R on every rank, but a rank's last batch
        may be shorter (``drop_last=False`` without mmengine's padding
        sampler): every rank pads its rows, as empty rows labelled -1, to
        the largest batch it has held so far, which is the same on every
        rank as long as the first batches are full. Empty rows count
        nowhere (no prototype, confusion, contrast or queue entry).

        Returns:
            tuple: ``(inter_emb, intra_emb, labels, preds)`` of every rank
            in rank order (with the empty rows), and the other ranks'
            ``(intra_emb, labels)``, or None when training on one process.
        """
        if get_world_size() == 1:
            return (inter_emb, intra_emb, labels, preds), None
        D = self.embed_dim
        shared = intra_emb is not inter_emb  # one embedding, sent once
        columns = [inter_emb, intra_emb] if shared else [inter_emb]
        rows = torch.cat(columns + [labels[:, None].to(inter_emb),
                                    preds[:, None].to(inter_emb)], dim=1)
        self._gather_rows = max(self._gather_rows, rows.shape[0])
        missing = self._gather_rows - rows.shape[0]
        if missing:
            empty = rows.new_zeros(missing, rows.shape[1])
            empty[:, -2] = -1
            rows = torch.cat([rows, empty])
        gathered = all_gather(rows)
        rank = get_rank()
        others = torch.cat(gathered[:rank] + gathered[rank + 1:])
        rows = torch.cat(gathered)
        E = rows.shape[1] - 2  # embedding columns
        inter = rows[:, :D]
        batch = (inter, rows[:, E - D:E], rows[:, E].long(),
                 rows[:, E + 1].long())
        return batch, (others[:, E - D:E], others[:, E].long())

    def _valid_rows(self, averaged: Tensor, intra_emb: Tensor,
                    labels: Tensor) -> Tensor:
        """Rows that count in the state: finite embeddings (a NaN batch the
        optimiser wrapper skips changes nothing) and a label (-1 marks an
        empty row of :meth:`_share_batch`). On the device, no sync."""
        return (torch.isfinite(averaged).all(dim=1)
                & torch.isfinite(intra_emb).all(dim=1) & (labels >= 0))

    @staticmethod
    def _masked(rows, valid: Tensor):
        """Integer rows (labels, predictions) with class 0 in invalid rows,
        which then count nowhere (their weight is 0)."""
        return [torch.where(valid, row, 0) for row in rows]

    def _class_sums(self, embeddings: Tensor, labels: Tensor, preds: Tensor,
                    valid: Tensor) -> Tuple[Tensor, Tensor]:
        """Per-class sums (C, D) of the rows that update the prototypes
        (``prototype_samples``), and their counts (C,)."""
        labels, preds = self._masked((labels, preds), valid)
        embeddings = torch.where(valid[:, None], embeddings, 0.)
        weight = valid.to(embeddings)
        if self.prototype_samples == 'correct':
            weight = weight * (preds == labels).to(weight)
        C = self.num_classes
        sums = embeddings.new_zeros(C, embeddings.shape[1]).index_add_(
            0, labels, embeddings * weight[:, None])
        counts = embeddings.new_zeros(C).index_add_(0, labels, weight)
        return sums, counts

    @torch.no_grad()
    def _update_state(self, prototypes: Tensor, seen: Tensor,
                      intra_emb: Tensor, labels: Tensor,
                      valid: Tensor) -> None:
        """Write this step's prototypes and push every rank's valid intra
        embeddings into the queue."""
        self.prototypes.copy_(prototypes)
        self.prototype_seen.copy_(seen.float())
        if self.memory_size > 0:
            intra_emb = torch.where(valid[:, None], intra_emb, 0.)
            self._push_queue(intra_emb, self._masked((labels, ), valid)[0],
                             valid)

    def _push_queue(self, embeddings: Tensor, labels: Tensor,
                    valid: Tensor) -> None:
        """Write the newest valid rows (at most the queue's size) into the
        queue from its pointer on, in order, and advance the pointer by
        their number; invalid rows take no slot. All on the device: the
        number of valid rows never reaches the host."""
        Q = self.memory_size
        L = min(labels.numel(), Q)  # rows written (some as no-ops)
        order = torch.argsort((~valid).to(torch.int8), stable=True)
        num_valid = valid.sum()
        num_new = num_valid.clamp(max=L)  # the newest valid rows taken
        k = torch.arange(L, device=labels.device)
        source = order[(num_valid - num_new + k).clamp(0, labels.numel() -
                                                         1)]
        write = k < num_new
        slots = (self.queue_ptr.long() + k) % Q
        self.queue_embeddings.index_copy_(
            0, slots, torch.where(write[:, None], embeddings[source],
                                  self.queue_embeddings[slots]))
        self.queue_labels.index_copy_(
            0, slots, torch.where(write, labels[source].to(self.queue_labels),
                                  self.queue_labels[slots]))
        self.queue_ptr.copy_((self.queue_ptr + num_new) % Q)

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
        """Recompute Motion Families and temperatures now (eq. 3-9 in the
        equations recipe), from the confusion counts collected so far.

        The counts are identical on every rank, so every rank computes the
        same families (and then, with ``confusion_decay`` below 1, scales
        the counts down).

        Returns:
            dict: see :meth:`family_report`.
        """
        return self.family_report(self._refresh_families())

    def schedule_family_update(self) -> None:
        """Recompute the families in the next training step, after its
        batch is counted and before its losses (the authors' recipe: the
        public code refreshes them at the first step of a pass).
        :meth:`take_family_update` then gives the report."""
        self._refresh_pending = True

    def take_family_update(self) -> Optional[Dict]:
        """The report of the families a training step recomputed since the
        last call (:meth:`schedule_family_update`), else None."""
        families, self._refreshed = self._refreshed, None
        return None if families is None else self.family_report(families)

    @torch.no_grad()
    def _refresh_families(self) -> Tensor:
        """Families and temperatures from the counts, by the recipe's rule;
        tensors only (no host synchronisation): (C, C) bool families."""
        confusion = self.confusion
        if self.symmetric_confusion:
            confusion = confusion + confusion.T
        families = self.recipe.families(confusion, self.num_neighbors,
                                        self.overlap_threshold)
        self.family_mask.copy_(families.to(self.family_mask))
        self.temperatures.copy_(self.family_temperature(families.sum(dim=1)))
        if self.confusion_decay < 1:
            self.confusion.mul_(self.confusion_decay)
        return families

    def family_report(self, families: Tensor) -> Dict:
        """What a recompute gave, for logs.

        Args:
            families (Tensor): (C, C) bool, as computed.

        Returns:
            dict: ``families`` (C, C) bool, ``temperatures`` (C,) and
            ``summary``, a dict of plain numbers for logs:
            ``classes_with_family``, ``mean_family_size``,
            ``max_family_size``, ``classes_in_own_family`` and
            ``classes_per_temperature`` (temperature as text: number of
            classes).
        """
        if float(self.confusion.max()) >= 2**24:
            # float32 counts are exact up to 2^24 per cell; a benchmark's
            # cell holds at most (samples of a class) x (collecting passes),
            # about 10^5, far below.
            print_log(
                'AffinityContrastHead: a confusion count reached 2^24, where '
                'float32 counting stops being exact; the neighbour ranking '
                'may tie counts that differ.', logger='current', level=30)
        sizes = families.sum(dim=1).cpu()
        temperatures = self.temperatures.cpu()
        summary = dict(
            classes_with_family=int((sizes > 0).sum()),
            mean_family_size=round(float(sizes.float().mean()), 3),
            max_family_size=int(sizes.max()),
            classes_in_own_family=int(families.diagonal().sum()),
            classes_per_temperature={
                f'{t:g}': int((temperatures == t).sum())
                for t in self.family_temperature.temperatures
            })
        return dict(families=families,
                    temperatures=self.temperatures.clone(), summary=summary)

    def families(self) -> List[List[int]]:
        """Motion Family members of every class, as lists of indices."""
        mask = self.family_mask.bool().cpu()
        return [row.nonzero().flatten().tolist() for row in mask]
