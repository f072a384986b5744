"""Check the training data against the model before the first iteration."""
import operator

import torch
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper

from mmaction.registry import HOOKS


@HOOKS.register_module()
class DataCheckHook(Hook):
    """Check that every training label is a class index of the model's head.

    Before training, every annotation of the training dataset (through
    ``RepeatDataset`` / ``ConcatDataset`` wrappers) is checked, and a bad
    label is reported with the file, the sample (``frame_dir``) and the
    field. mmengine datasets serialise their annotations by default and
    empty ``data_list``; for those the labels of each batch are checked
    while they are still on the CPU, before a GPU reports an out-of-range
    label as an opaque device assert, and the file is then searched for
    the sample to name.

    It is in the ``default_hooks`` of the project's configs, so baseline
    configs (with the stock ``GCNHead``) get it too; turn it off with
    ``default_hooks.data_check=None``.

    Args:
        check_batches (bool): Also check the labels of every training batch
            (free for labels on the CPU). Defaults to True.
    """

    priority = 'VERY_HIGH'

    def __init__(self, check_batches: bool = True) -> None:
        self.check_batches = check_batches
        self._num_classes = None

    @staticmethod
    def num_classes(runner):
        """The model's number of classes, or None if it has no such head."""
        model = runner.model.module if is_model_wrapper(
            runner.model) else runner.model
        head = getattr(model, 'cls_head', None)
        return getattr(head, 'num_classes', None)

    def before_train(self, runner) -> None:
        self._num_classes = self.num_classes(runner)
        if self._num_classes is not None:
            check_dataset_labels(runner.train_dataloader.dataset,
                                 self._num_classes)

    def before_train_iter(self, runner, batch_idx: int,
                          data_batch=None) -> None:
        """Check the batch's labels while they are still on the CPU.

        Labels not on the CPU are not checked (no synchronisation).
        """
        num_classes = self._num_classes
        if (not self.check_batches or num_classes is None
                or not isinstance(data_batch, dict)):
            return
        samples = data_batch.get('data_samples') or []
        labels = [s.gt_label for s in samples if 'gt_label' in s]
        if not labels or any(t.device.type != 'cpu' for t in labels):
            return
        labels = torch.cat([t.reshape(-1) for t in labels])
        if labels.is_floating_point() or labels.min() < 0 \
                or labels.max() >= num_classes:
            dataset = runner.train_dataloader.dataset
            check_dataset_labels(dataset, num_classes, scan_serialized=True)
            raise ValueError(
                f'training batch {batch_idx} holds labels outside [0, '
                f'{num_classes}): {sorted(set(labels.tolist()))}')


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
