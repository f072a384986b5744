"""Check every dataset's annotation file before the first iteration."""
import time
from collections import defaultdict

from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper

from mmaction.registry import HOOKS
from ...datasets.check import (MISSING_CLIPS, DataCheckReport,
                               check_annotations, check_labels,
                               load_annotations, pipeline_expectation,
                               raise_for_problems)

#: The last line of the hook's errors: what to do.
HINT = ('Nothing was run. `python tools/check_data.py FILE --config CONFIG` '
        'lists every problem of a file; to run anyway, turn the check off: '
        '--cfg-options default_hooks.data_check.enabled=False')


@HOOKS.register_module()
class DataCheckHook(Hook):
    """Check the annotation files against the config before anything runs.

    Before training, the training and validation datasets are checked;
    before a test (or a validation on its own), that dataset. Through
    ``RepeatDataset`` / ``ConcatDataset`` wrappers, each PySKL
    ``PoseDataset``'s file is read again (once for all its splits) and its
    split checked by :func:`~aclnet_plugin.datasets.check.check_annotations`:
    file structure (an absent or empty split among it), clips the split
    names but no annotation has, duplicate ``frame_dir``, missing fields,
    keypoint rank, joints and coordinates against the pipeline (2D data
    with a 3D config and the reverse), ``keypoint_score`` shape, labels
    against the head's ``num_classes``, NaN and inf, empty clips and
    ``total_frames``. Every problem is reported at once, each kind with its
    count and first samples (index, ``frame_dir``, field), in a
    :class:`~aclnet_plugin.datasets.check.DataCheckError`. The files are
    only read.

    Reading the file covers serialised datasets (mmengine's default, which
    empties ``data_list``) before the first iteration, so batches are not
    checked again. A dataset that is not a PySKL pickle only has its labels
    checked, from its annotations in memory.

    Labels: the training set's must be class indices, ``[0, num_classes)``;
    validation and test sets may also hold -1, "no training class" (the
    people of an identity test split that are not training identities). The
    expected joints and coordinates come from the dataset's pipeline
    (:func:`~aclnet_plugin.datasets.check.pipeline_expectation`); where it
    says nothing, the samples must agree with each other.

    The check costs reading the file once more (as the dataset did) plus
    about 1 s per 40k clips. It is in the ``default_hooks`` of every project
    config, baselines included. ``enabled=False`` turns it off (on the
    command line: ``--cfg-options default_hooks.data_check.enabled=False``);
    mmengine 0.10 refuses ``default_hooks.data_check=None``, which it only
    accepts for its own default hooks.

    Clips a split names but no annotation has would be left out silently
    by ``PoseDataset`` (changing, on a test split, what the accuracy is
    measured on): an error by default; ``missing_clips='warn'`` (on the
    command line ``--cfg-options default_hooks.data_check.missing_clips=
    warn``) goes on without them, with a warning giving their count and
    first names.

    Args:
        enabled (bool): Whether to check. Defaults to True.
        max_examples (int): Samples shown per kind of problem. Defaults
            to 5.
        missing_clips (str): Clips a split names but no annotation has:
            ``'error'`` or ``'warn'``. Defaults to ``'error'``.
    """

    priority = 'VERY_HIGH'

    def __init__(self, enabled: bool = True, max_examples: int = 5,
                 missing_clips: str = 'error') -> None:
        if missing_clips not in MISSING_CLIPS:
            raise ValueError(f'DataCheckHook: missing_clips must be one of '
                             f'{MISSING_CLIPS}, not {missing_clips!r}')
        self.enabled = bool(enabled)
        self.max_examples = max_examples
        self.missing_clips = missing_clips
        self._checked = set()  # ids of the datasets found fine

    @staticmethod
    def num_classes(runner):
        """The model's number of classes, or None if it has no such head."""
        model = runner.model.module if is_model_wrapper(
            runner.model) else runner.model
        head = getattr(model, 'cls_head', None)
        return getattr(head, 'num_classes', None)

    def before_train(self, runner) -> None:
        """Check the training and (if any) the validation dataset."""
        self.check(runner, ('train', 'val'))

    def before_val(self, runner) -> None:
        """Check the validation dataset (once: not at every validation)."""
        self.check(runner, ('val', ))

    def before_test(self, runner) -> None:
        """Check the test dataset."""
        self.check(runner, ('test', ))

    def check(self, runner, roles=('train', 'val')) -> None:
        """Check the datasets of the runner's dataloaders for ``roles``.

        Args:
            runner (Runner): The runner.
            roles (Sequence[str]): ``'train'``, ``'val'``, ``'test'``; a
                dataloader the runner does not have is skipped.

        Raises:
            DataCheckError: If anything is wrong, naming the files, splits,
                samples and fields.
        """
        if not self.enabled:
            if not self._checked:  # say it once
                runner.logger.warning('DataCheckHook: off (enabled=False): '
                                      'the data are not checked')
                self._checked.add(None)
            return
        num_classes = self.num_classes(runner)
        by_file = defaultdict(list)
        others = []
        for role in roles:
            dataset = _dataset_of(runner, role)
            for leaf in _leaf_datasets(dataset):
                if id(leaf) in self._checked:
                    continue
                ann_file = getattr(leaf, 'ann_file', None)
                if ann_file and hasattr(leaf, 'split'):
                    by_file[str(ann_file)].append((role, leaf))
                else:
                    others.append((role, leaf))
        reports = []
        for ann_file, jobs in by_file.items():
            start = time.perf_counter()
            data = load_annotations(ann_file)
            loaded = time.perf_counter() - start
            for role, leaf in jobs:
                reports.append(self._check_split(data, ann_file, role, leaf,
                                                 num_classes))
            del data
            runner.logger.info(
                f'DataCheckHook: {ann_file}: read in {loaded:.1f} s, '
                f'{sum(r.num_samples for r in reports[-len(jobs):])} '
                f'samples checked in '
                f'{time.perf_counter() - start - loaded:.1f} s')
        for role, leaf in others:
            reports.extend(check_dataset_labels(
                leaf, num_classes, scan_serialized=True,
                allow_no_label=role != 'train', max_examples=self.max_examples,
                raise_error=False))
        for report in reports:
            for note in report.notes:
                runner.logger.info(f'DataCheckHook: {report.where}: {note}')
            for warning in report.warnings:
                runner.logger.warning(
                    f'DataCheckHook: {report.where}: {warning} '
                    f"(missing_clips='warn')")
        hint = HINT
        if any('missing_clip' in r.problems for r in reports):
            hint += ('; to go on without the clips that have no annotation: '
                     '--cfg-options default_hooks.data_check.missing_clips='
                     'warn')
        raise_for_problems(reports, hint)
        for role in roles:
            self._checked.update(
                id(leaf) for leaf in _leaf_datasets(_dataset_of(runner, role)))

    def _check_split(self, data, ann_file, role, leaf,
                     num_classes) -> DataCheckReport:
        pipeline = getattr(leaf, 'pipeline', None)
        expected = pipeline_expectation(getattr(pipeline, 'transforms', []))
        prefix = getattr(leaf, 'data_prefix', None) or {}
        return check_annotations(
            data, ann_file, leaf.split, num_classes,
            allow_no_label=role != 'train', max_examples=self.max_examples,
            skeleton_files='skeleton' in prefix,
            missing_clips=self.missing_clips, **expected)


def check_dataset_labels(dataset, num_classes: int,
                         scan_serialized: bool = False,
                         allow_no_label: bool = False,
                         max_examples: int = 5,
                         raise_error: bool = True) -> list:
    """Check the labels a dataset holds in memory, naming file and sample.

    For datasets that are not PySKL pickles (those the hook checks from
    their file). Looks through ``RepeatDataset``/``ConcatDataset`` wrappers.
    mmengine datasets serialise their annotations by default and empty
    ``data_list``; those are read sample by sample only when
    ``scan_serialized``.

    Args:
        dataset: The dataset.
        num_classes (int): The head's classes (None: labels only >= 0).
        scan_serialized (bool): Read serialised datasets sample by sample.
            Defaults to False.
        allow_no_label (bool): Accept -1 (no training class). Defaults to
            False.
        max_examples (int): Samples shown per kind. Defaults to 5.
        raise_error (bool): Raise if a label is wrong. Defaults to True.

    Returns:
        list[DataCheckReport]: A report per dataset under the wrappers.

    Raises:
        DataCheckError: A label is missing, not an integer or out of range
            (with ``raise_error``).
    """
    reports = []
    for inner in _leaf_datasets(dataset):
        data_list = getattr(inner, 'data_list', None) or []
        if not data_list and scan_serialized and hasattr(
                inner, 'get_data_info'):
            data_list = [inner.get_data_info(i) for i in range(len(inner))]
        reports.append(check_labels(
            data_list, str(getattr(inner, 'ann_file', '?')),
            num_classes=num_classes, allow_no_label=allow_no_label,
            max_examples=max_examples))
    if raise_error:
        raise_for_problems(reports)
    return reports


def _dataset_of(runner, role):
    """The dataset of the runner's ``role`` dataloader, or None."""
    try:  # a runner without such a loop raises AttributeError
        loader = getattr(runner, f'{role}_dataloader')
    except AttributeError:
        return None
    return getattr(loader, 'dataset', None)


def _leaf_datasets(dataset):
    if dataset is None:
        return
    if hasattr(dataset, 'datasets'):
        for inner in dataset.datasets:
            yield from _leaf_datasets(inner)
    elif hasattr(dataset, 'dataset'):
        yield from _leaf_datasets(dataset.dataset)
    else:
        yield dataset
