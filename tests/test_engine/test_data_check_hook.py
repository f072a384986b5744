"""DataCheckHook: labels checked against the head, named by file and sample."""
import pytest

from aclnet_plugin.engine.hooks import DataCheckHook, check_dataset_labels
from aclnet_plugin.models import AffinityContrastHead
from mmaction.models import GCNHead
from mmaction.registry import HOOKS
from test_motion_family_hook import Dataset, confused_head, make_runner


def test_registered_and_checks_any_head(tmp_path):
    hook = HOOKS.build(dict(type='DataCheckHook'))
    assert isinstance(hook, DataCheckHook) and hook.priority == 'VERY_HIGH'
    for head in (GCNHead(4, 8), AffinityContrastHead(4, 8)):
        runner = make_runner(head, tmp_path, labels=(0, 1, 5))
        with pytest.raises(ValueError, match='"label" = 5'):
            hook.before_train(runner)


def test_bad_label_names_file_sample_and_field(tmp_path):
    runner = make_runner(confused_head(), tmp_path, labels=(0, 1, 4, 2))
    with pytest.raises(ValueError) as info:
        DataCheckHook().before_train(runner)
    message = str(info.value)
    assert 'train.pkl' in message and "frame_dir='clip2'" in message
    assert '"label" = 4' in message and 'num_classes=4' in message
    check_dataset_labels(Dataset([0, 1, 2, 3]), 4)  # fine
    with pytest.raises(ValueError, match='sample 0'):
        check_dataset_labels(Dataset([-1]), 4)


class SerializedDataset(Dataset):
    """As an mmengine dataset after serialisation: empty data_list."""

    def __init__(self, labels):
        super().__init__(labels)
        self._infos, self.data_list = self.data_list, []

    def __len__(self):
        return len(self._infos)

    def get_data_info(self, index):
        return self._infos[index]


def test_bad_label_caught_per_batch_in_serialized_dataset(tmp_path):
    from mmaction.structures import ActionDataSample
    runner = make_runner(confused_head(), tmp_path)
    runner.train_dataloader.dataset = SerializedDataset([0, 1, 7, 2])
    hook = DataCheckHook()
    hook.before_train(runner)  # nothing visible yet: no error
    good = dict(data_samples=[ActionDataSample().set_gt_label(y)
                              for y in (0, 3)])
    hook.before_train_iter(runner, 0, good)
    bad = dict(data_samples=[ActionDataSample().set_gt_label(y)
                             for y in (0, 7)])
    with pytest.raises(ValueError) as info:
        hook.before_train_iter(runner, 1, bad)
    message = str(info.value)
    assert "sample 2 (frame_dir='clip2')" in message
    assert '"label" = 7' in message
    unchecked = DataCheckHook(check_batches=False)
    unchecked.before_train(runner)
    unchecked.before_train_iter(runner, 1, bad)
