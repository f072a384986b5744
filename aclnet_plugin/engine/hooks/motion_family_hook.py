"""When to collect confusion and recompute the Motion Families."""
import json
import operator
import os
import os.path as osp
from typing import List, Optional, Sequence, Union

import torch
from mmengine.dist import is_main_process
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper

from mmaction.registry import HOOKS
from ...models.heads import AffinityContrastHead


@HOOKS.register_module()
class MotionFamilyHook(Hook):
    """Schedules the Motion Family updates of :class:`AffinityContrastHead`.

    From the ``start_epoch``-th training epoch on (1-based, as the log
    prints epochs), the head counts its training confusions. At the end of
    that epoch, and every ``interval`` epochs after it, the head recomputes
    class affinity, Motion Families and temperatures from the counts so far,
    so the inter-class loss is active from epoch ``start_epoch + 1``. The
    hook logs family statistics and writes the families to
    ``{work_dir}/motion_families/epoch_{e}.json`` (and ``latest.json``).

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
            Defaults to None: the training dataset's ``metainfo['classes']``
            when it has them, else indices only.
        out_dir (str, optional): Where the JSON files go. Defaults to None
            (``{work_dir}/motion_families``).
        check_labels (bool): Check before training that every training
            label is in ``[0, num_classes)``. Defaults to True.
    """

    priority = 'ABOVE_NORMAL'

    def __init__(self,
                 start_epoch: int = 30,
                 interval: int = 1,
                 class_names: Optional[Union[Sequence[str], str]] = None,
                 out_dir: Optional[str] = None,
                 check_labels: bool = True) -> None:
        for name, value in (('start_epoch', start_epoch),
                            ('interval', interval)):
            if isinstance(value, bool) or not isinstance(value, int) \
                    or value < 1:
                raise ValueError(f'MotionFamilyHook: {name} must be an '
                                 f'integer >= 1, got {value!r}')
        self.start_epoch = start_epoch
        self.interval = interval
        self.class_names = class_names
        self.out_dir = out_dir
        self.check_labels = check_labels
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
        return epoch + 1 >= self.start_epoch

    def is_update_epoch(self, epoch: int) -> bool:
        """Whether families are recomputed at the end of this 0-based epoch."""
        done = epoch + 1 - self.start_epoch
        return done >= 0 and done % self.interval == 0

    # ------------------------------------------------------------------
    def before_train(self, runner) -> None:
        head = self.find_head(runner)
        head.family_hook_attached = True
        self._num_classes = head.num_classes
        dataset = runner.train_dataloader.dataset
        if self.check_labels:
            check_dataset_labels(dataset, head.num_classes)
        self._names = self._resolve_class_names(dataset, head.num_classes)

    def before_train_iter(self, runner, batch_idx: int,
                          data_batch=None) -> None:
        """Check the batch's labels while they are still on the CPU.

        Catches what :meth:`before_train` cannot see in serialised datasets,
        before a GPU reports an out-of-range label as an opaque device
        assert. Labels not on the CPU are not checked (no synchronisation).
        """
        if not self.check_labels or not isinstance(data_batch, dict):
            return
        samples = data_batch.get('data_samples') or []
        labels = [s.gt_label for s in samples if 'gt_label' in s]
        if not labels or any(t.device.type != 'cpu' for t in labels):
            return
        labels = torch.cat([t.reshape(-1) for t in labels])
        num_classes = self._num_classes
        if labels.is_floating_point() or labels.min() < 0 \
                or labels.max() >= num_classes:
            dataset = runner.train_dataloader.dataset
            check_dataset_labels(dataset, num_classes, scan_serialized=True)
            raise ValueError(
                f'training batch {batch_idx} holds labels outside [0, '
                f'{num_classes}): {sorted(set(labels.tolist()))}')

    def before_train_epoch(self, runner) -> None:
        self.find_head(runner).collect_confusion = self.is_collecting(
            runner.epoch)

    def after_train_epoch(self, runner) -> None:
        if not self.is_update_epoch(runner.epoch):
            return
        head = self.find_head(runner)
        families = head.update_families()['families'].cpu()
        temperatures = head.temperatures.cpu()
        epoch = runner.epoch + 1
        sizes = families.sum(dim=1)
        stats = dict(
            classes_with_family=int((sizes > 0).sum()),
            mean_family_size=round(float(sizes.float().mean()), 3),
            max_family_size=int(sizes.max()) if sizes.numel() else 0)
        bands = {
            f'{t:g}': int((temperatures == t).sum())
            for t in head.family_temperature.temperatures
        }
        runner.logger.info(
            f'Motion Families at epoch {epoch}: '
            f'{stats["classes_with_family"]}/{head.num_classes} classes have '
            f'a family, mean size {stats["mean_family_size"]}, max size '
            f'{stats["max_family_size"]}; classes per temperature {bands}')
        for key, value in stats.items():
            runner.message_hub.update_scalar(f'train/{key}', value)
        if is_main_process():
            self._write_json(runner, epoch, families, temperatures, stats,
                             bands, head)

    # ------------------------------------------------------------------
    def _resolve_class_names(self, dataset,
                             num_classes: int) -> Optional[List[str]]:
        names = self.class_names
        if isinstance(names, str):
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

    def _write_json(self, runner, epoch, families, temperatures, stats,
                    bands, head) -> None:
        out_dir = self.out_dir or osp.join(runner.work_dir, 'motion_families')
        os.makedirs(out_dir, exist_ok=True)
        names = self._names
        classes = []
        for index, row in enumerate(families):
            members = row.nonzero().flatten().tolist()
            entry = dict(index=index, members=members,
                         temperature=round(float(temperatures[index]), 6))
            if names is not None:
                entry['name'] = names[index]
                entry['member_names'] = [names[m] for m in members]
            classes.append(entry)
        record = dict(
            epoch=epoch,
            num_classes=head.num_classes,
            num_neighbors=head.num_neighbors,
            overlap_threshold=head.overlap_threshold,
            statistics=stats,
            classes_per_temperature=bands,
            classes=classes)
        for name in (f'epoch_{epoch}.json', 'latest.json'):
            with open(osp.join(out_dir, name), 'w') as f:
                json.dump(record, f, indent=1)


def check_dataset_labels(dataset, num_classes: int,
                         scan_serialized: bool = False) -> None:
    """Raise a clear error naming the file and sample of a bad label.

    Looks through ``RepeatDataset``/``ConcatDataset`` wrappers to the
    annotations (PySKL ``label`` fields). mmengine datasets serialise their
    annotations by default and empty ``data_list``; those are read sample by
    sample only when ``scan_serialized`` (slow on large sets).
    """
    for inner in _leaf_datasets(dataset):
        data_list = getattr(inner, 'data_list', None) or []
        if data_list:
            infos = enumerate(data_list)
        elif scan_serialized and hasattr(inner, 'get_data_info'):
            infos = ((i, inner.get_data_info(i)) for i in range(len(inner)))
        else:
            continue
        ann_file = getattr(inner, 'ann_file', '?')
        for index, info in infos:
            label = info.get('label')
            if label is None:
                continue
            if not _is_class_index(label, num_classes):
                raise ValueError(
                    f'{ann_file}: sample {index} (frame_dir='
                    f'{info.get("frame_dir")!r}) has field "label" = '
                    f'{label!r}, but the head has num_classes={num_classes}: '
                    f'labels must be integers in [0, {num_classes}).')


def _is_class_index(label, num_classes: int) -> bool:
    try:
        value = operator.index(label)  # ints and numpy ints, not floats
    except TypeError:
        return False
    return 0 <= value < num_classes


def _leaf_datasets(dataset):
    if hasattr(dataset, 'datasets'):
        for inner in dataset.datasets:
            yield from _leaf_datasets(inner)
    elif hasattr(dataset, 'dataset'):
        yield from _leaf_datasets(dataset.dataset)
    else:
        yield dataset
