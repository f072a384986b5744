"""When to collect confusion and recompute the Motion Families."""
import json
import os
import os.path as osp
from typing import List, Optional, Sequence, Union

from mmengine.dist import is_main_process
from mmengine.hooks import Hook
from mmengine.logging import print_log
from mmengine.model import is_model_wrapper

from mmaction.registry import HOOKS
from ...models.heads import AffinityContrastHead
from ...utils import check_int


@HOOKS.register_module()
class MotionFamilyHook(Hook):
    """Schedules the Motion Family updates of :class:`AffinityContrastHead`.

    From the ``start_epoch``-th training epoch on (1-based, as the log
    prints epochs), the head counts its training confusions. At the end of
    that epoch, and every ``interval`` epochs after it, the head recomputes
    class affinity, Motion Families and temperatures from the counts so far,
    so the inter-class loss is active from epoch ``start_epoch + 1``. The
    hook logs the summary the head returns, as text and through the
    runner's visualizer (``motion_family/classes_with_family``,
    ``mean_family_size``, ``max_family_size``, one point per recompute, so a
    TensorBoard backend plots them beside the losses), and writes the
    families to ``{work_dir}/motion_families/epoch_{e}.json`` (and
    ``latest.json``).

    Epochs are the runner's: with ``RepeatDataset(times=r)`` paper epoch
    ``p`` is runner epoch ``p / r`` (paper: 30 of 150 = runner 6 of 30 at
    r = 5).

    The head holds all state and the confusion counts are shared across
    ranks at every step, so every rank computes the same families; this
    hook only decides when.

    Args:
        start_epoch (int): First epoch that collects confusion; the first
            families are computed at its end. Defaults to 30.
        interval (int): Recompute every ``interval`` epochs. Defaults to 1.
        class_names (Sequence[str] | str, optional): Class names for the JSON
            and the log, or the path of a text file with one name per line.
            Names are cosmetic: a missing file is a warning, and the classes
            are then named by index. Defaults to None: the training
            dataset's ``metainfo['classes']`` when it has them, else indices.
        out_dir (str, optional): Where the JSON files go. Defaults to None
            (``{work_dir}/motion_families``).
        inter_warmup (int): Ramp the inter-class loss in over this many
            epochs once families exist: in the k-th epoch with families its
            weight is ``k / inter_warmup`` of the configured one. Defaults
            to 0 (the paper: full weight at once).
        freeze_epoch (int, optional): The last epoch whose end recomputes
            the families; later epochs keep them (and stop counting
            confusions). Defaults to None (the paper: every epoch).
    """

    priority = 'ABOVE_NORMAL'

    def __init__(self,
                 start_epoch: int = 30,
                 interval: int = 1,
                 class_names: Optional[Union[Sequence[str], str]] = None,
                 out_dir: Optional[str] = None,
                 inter_warmup: int = 0,
                 freeze_epoch: Optional[int] = None) -> None:
        self.start_epoch = check_int('start_epoch', start_epoch, 1,
                                     'MotionFamilyHook')
        self.interval = check_int('interval', interval, 1, 'MotionFamilyHook')
        self.inter_warmup = check_int('inter_warmup', inter_warmup, 0,
                                      'MotionFamilyHook')
        if freeze_epoch is not None:
            check_int('freeze_epoch', freeze_epoch, start_epoch,
                      'MotionFamilyHook')
        self.freeze_epoch = freeze_epoch
        self.class_names = class_names
        self.out_dir = out_dir
        self._names = None  # resolved in before_train

    # ------------------------------------------------------------------
    @staticmethod
    def find_head(runner) -> AffinityContrastHead:
        """The model's AffinityContrastHead, or a clear error."""
        model = runner.model.module if is_model_wrapper(
            runner.model) else runner.model
        heads = [m for m in model.modules()
                 if isinstance(m, AffinityContrastHead)]
        if not heads:
            raise TypeError(
                'MotionFamilyHook needs a model with an AffinityContrastHead, '
                f'but {type(model).__name__} has none (its head is '
                f'{type(getattr(model, "cls_head", None)).__name__}). Set '
                "model.cls_head.type='AffinityContrastHead' or remove the "
                'hook.')
        if len(heads) > 1:
            raise TypeError('MotionFamilyHook expects one '
                            f'AffinityContrastHead, found {len(heads)}')
        return heads[0]

    def is_collecting(self, epoch: int) -> bool:
        """Whether the 0-based runner epoch collects confusion."""
        return epoch + 1 >= self.start_epoch and (
            self.freeze_epoch is None or epoch + 1 <= self.freeze_epoch)

    def is_update_epoch(self, epoch: int) -> bool:
        """Whether families are recomputed at the end of this 0-based epoch."""
        done = epoch + 1 - self.start_epoch
        return done >= 0 and done % self.interval == 0 and (
            self.freeze_epoch is None or epoch + 1 <= self.freeze_epoch)

    def inter_scale(self, epoch: int) -> float:
        """The share of the inter-class loss weight in this 0-based epoch."""
        with_families = epoch + 1 - self.start_epoch  # epochs after the first
        if not self.inter_warmup or with_families <= 0:
            return 1.0
        return min(1.0, with_families / self.inter_warmup)

    # ------------------------------------------------------------------
    def before_train(self, runner) -> None:
        head = self.find_head(runner)
        # the head's contrastive input against what the backbone returns,
        # before the first step rather than as a shape error inside it
        model = runner.model.module if is_model_wrapper(
            runner.model) else runner.model
        if getattr(model, 'backbone', None) is not None:
            head.check_backbone(model.backbone)
        head.set_confusion_collection(self.is_collecting(runner.epoch))
        self._names = self._resolve_class_names(
            runner.train_dataloader.dataset, head.num_classes)

    def before_train_epoch(self, runner) -> None:
        head = self.find_head(runner)
        head.set_confusion_collection(self.is_collecting(runner.epoch))
        head.set_inter_loss_scale(self.inter_scale(runner.epoch))

    def after_train_epoch(self, runner) -> None:
        if not self.is_update_epoch(runner.epoch):
            return
        head = self.find_head(runner)
        update = head.update_families()
        summary = update['summary']
        epoch = runner.epoch + 1
        runner.logger.info(
            f'Motion Families at epoch {epoch}: '
            f'{summary["classes_with_family"]}/{head.num_classes} classes '
            f'have a family, mean size {summary["mean_family_size"]}, max '
            f'size {summary["max_family_size"]}; classes per temperature '
            f'{summary["classes_per_temperature"]}')
        scalars = {key: summary[key] for key in (
            'classes_with_family', 'mean_family_size', 'max_family_size')}
        for key, value in scalars.items():  # shown in the next log lines
            runner.message_hub.update_scalar(f'train/{key}', value)
        visualizer = getattr(runner, 'visualizer', None)
        if visualizer is not None:  # one point per recompute, the last too
            visualizer.add_scalars(
                {f'motion_family/{k}': v for k, v in scalars.items()},
                step=runner.iter)
        if is_main_process():
            self._write_json(runner, epoch, head, update)

    # ------------------------------------------------------------------
    def _resolve_class_names(self, dataset,
                             num_classes: int) -> Optional[List[str]]:
        names = self.class_names
        if isinstance(names, str):
            if not osp.isfile(names):
                print_log(
                    f'MotionFamilyHook: class-name file {names!r} not found; '
                    'naming classes by index', logger='current', level=30)
                return None
            with open(names) as f:
                names = [line.strip() for line in f if line.strip()]
        if names is None:
            names = getattr(dataset, 'metainfo', {}).get('classes')
        if names is None:
            return None
        names = list(names)
        if len(names) != num_classes:
            raise ValueError(f'MotionFamilyHook: {len(names)} class names for '
                             f'{num_classes} classes')
        return names

    def _write_json(self, runner, epoch: int, head: AffinityContrastHead,
                    update: dict) -> None:
        out_dir = self.out_dir or osp.join(runner.work_dir, 'motion_families')
        os.makedirs(out_dir, exist_ok=True)
        names = self._names
        temperatures = update['temperatures'].cpu()
        classes = []
        for index, row in enumerate(update['families'].cpu()):
            members = row.nonzero().flatten().tolist()
            entry = dict(index=index, members=members,
                         temperature=round(float(temperatures[index]), 6))
            if names is not None:
                entry['name'] = names[index]
                entry['member_names'] = [names[m] for m in members]
            classes.append(entry)
        summary = dict(update['summary'])
        bands = summary.pop('classes_per_temperature')
        record = dict(
            epoch=epoch,
            num_classes=head.num_classes,
            num_neighbors=head.num_neighbors,
            overlap_threshold=head.overlap_threshold,
            statistics=summary,
            classes_per_temperature=bands,
            classes=classes)
        for name in (f'epoch_{epoch}.json', 'latest.json'):
            with open(osp.join(out_dir, name), 'w') as f:
                json.dump(record, f, indent=1)
