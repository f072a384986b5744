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

    With the head's ``recipe='authors'`` the schedule is the public code's,
    in passes over the data (``r`` a runner epoch): confusions are counted
    from the last pass of runner epoch ``start_epoch`` (the paper's epoch 30
    with ``start_epoch=6`` at r = 5; runner epoch ``start_epoch`` itself at
    r = 1), and the families are recomputed at the first step of every pass
    after it, from the counts including that step's batch, before its
    losses (:meth:`AffinityContrastHead.schedule_family_update`).
    ``interval`` then counts passes and ``freeze_epoch`` stops the counts and
    recomputes after that runner epoch's last pass. The files are named by
    the pass whose counts they close, ``epoch_{p}.json`` (a pass is what
    the public code calls an epoch), and record the runner epoch beside it.

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
        # the authors' recipe (set in before_train): passes a runner epoch,
        # and the pass whose first step recomputes the families
        self._by_pass = False
        self._passes = 1
        self._refresh_pass = None
        self._head = None

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
        self._by_pass = head.recipe.refresh == 'pass_start'
        self._head = head  # looked up once for the per-step calls
        dataset = runner.train_dataloader.dataset
        self._passes = int(getattr(dataset, 'times', 1)) if self._by_pass \
            else 1
        head.set_confusion_collection(
            self.pass_collects(runner.epoch * self._passes + 1) if self.
            _by_pass else self.is_collecting(runner.epoch))
        self._names = self._resolve_class_names(dataset, head.num_classes)

    def before_train_epoch(self, runner) -> None:
        head = self.find_head(runner)
        if not self._by_pass:
            head.set_confusion_collection(self.is_collecting(runner.epoch))
        head.set_inter_loss_scale(self.inter_scale(runner.epoch))

    # The authors' recipe: passes ----------------------------------------
    def pass_collects(self, data_pass: int) -> bool:
        """Whether the 1-based pass over the data counts confusions (the
        authors' recipe)."""
        last = (None if self.freeze_epoch is None else self.freeze_epoch *
                self._passes)
        return data_pass >= self.start_epoch * self._passes and (
            last is None or data_pass <= last)

    def pass_refreshes(self, data_pass: int) -> bool:
        """Whether the families are recomputed at the first step of the
        1-based pass (the authors' recipe): when the pass before it
        counted, every ``interval`` passes."""
        done = data_pass - 1 - self.start_epoch * self._passes
        return (done >= 0 and done % self.interval == 0
                and self.pass_collects(data_pass - 1))

    def before_train_iter(self, runner, batch_idx: int,
                          data_batch=None) -> None:
        if not self._by_pass:
            return
        length = len(runner.train_dataloader)
        within = batch_idx * self._passes // length
        if batch_idx and within == (batch_idx - 1) * self._passes // length:
            return  # not a pass's first step
        data_pass = runner.epoch * self._passes + within + 1
        head = self._head
        head.set_confusion_collection(self.pass_collects(data_pass))
        if self.pass_refreshes(data_pass):
            head.schedule_family_update()
            self._refresh_pass = data_pass

    def after_train_iter(self, runner, batch_idx: int, data_batch=None,
                         outputs=None) -> None:
        if not self._by_pass:
            return
        report = self._head.take_family_update()
        if report is not None:
            unit = 'epoch' if self._passes == 1 else 'pass'
            closed = self._refresh_pass - 1
            self._publish(
                runner, report, closed,
                f'{unit} {closed} (recomputed at the first step of {unit} '
                f'{closed + 1} from the counts so far and its batch)')

    # The equations recipe: runner epochs ----------------------------------
    def after_train_epoch(self, runner) -> None:
        if self._by_pass or not self.is_update_epoch(runner.epoch):
            return
        head = self.find_head(runner)
        epoch = runner.epoch + 1
        self._publish(runner, head.update_families(), epoch,
                      f'epoch {epoch}')

    def _publish(self, runner, update: dict, epoch: int, when: str) -> None:
        """Log a recompute's summary, plot it and write its JSON."""
        head = self.find_head(runner)
        summary = update['summary']
        runner.logger.info(
            f'Motion Families at {when}: '
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
            runner_epoch=runner.epoch + 1,
            recipe=head.recipe.name,
            num_classes=head.num_classes,
            num_neighbors=head.num_neighbors,
            overlap_threshold=head.overlap_threshold,
            statistics=summary,
            classes_per_temperature=bands,
            classes=classes)
        for name in (f'epoch_{epoch}.json', 'latest.json'):
            with open(osp.join(out_dir, name), 'w') as f:
                json.dump(record, f, indent=1)
