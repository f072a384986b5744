"""The stack fixes applied on import: mmaction without DRN, weights-only resume."""
import pickle
import subprocess
import sys

import numpy as np
import pytest
import torch
from mmengine.logging import HistoryBuffer, MessageHub

from aclnet_plugin import compat


def run_python(code, tmp_path):
    return subprocess.run([sys.executable, '-c', code], cwd=str(tmp_path),
                          capture_output=True, text=True, timeout=300)


def test_mmaction_models_import_after_plugin(tmp_path):
    code = ('import aclnet_plugin, mmaction.models\n'
            'from mmaction.registry import MODELS\n'
            "print(MODELS.get('STGCN').__name__)")
    proc = run_python(code, tmp_path)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert proc.stdout.strip().endswith('STGCN')


@pytest.mark.skipif(compat.mmaction_has_drn(),
                    reason='this mmaction2 ships DRN: nothing to fix')
def test_the_wheel_really_lacks_drn(tmp_path):
    proc = run_python('import mmaction.models', tmp_path)
    assert proc.returncode != 0 and 'drn' in proc.stderr


def test_drn_placeholder_raises_clearly():
    if compat.mmaction_has_drn():
        pytest.skip('this mmaction2 ships DRN')
    from mmaction.models.localizers import DRN
    with pytest.raises(ImportError, match='#2714'):
        DRN()


def test_drn_patch_leaves_a_complete_mmaction_alone(tmp_path, monkeypatch):
    """With the DRN package present nothing is patched."""
    monkeypatch.setattr(compat, 'mmaction_has_drn', lambda: True)
    monkeypatch.delitem(sys.modules, compat._DRN_PACKAGE, raising=False)
    assert compat.patch_missing_drn() is False
    assert compat._DRN_PACKAGE not in sys.modules


def test_drn_detection_reads_files(tmp_path, monkeypatch):
    root = tmp_path / 'mmaction'
    (root / 'models' / 'localizers' / 'drn').mkdir(parents=True)
    spec = type('Spec', (), {'submodule_search_locations': [str(root)]})
    monkeypatch.setattr(compat.importlib.util, 'find_spec', lambda name: spec)
    assert compat.mmaction_has_drn() is False
    (root / 'models' / 'localizers' / 'drn' / '__init__.py').write_text('')
    assert compat.mmaction_has_drn() is True


def mmengine_like_checkpoint(path):
    hub = MessageHub.get_instance('compat_test')
    hub.update_scalar('train/loss', 1.5)
    hub.update_scalar('train/acc', np.float64(0.25))
    hub.update_info('iter', 3)
    torch.save(dict(state_dict={'w': torch.ones(2)},
                    message_hub=hub.state_dict(),
                    meta=dict(seed=np.int64(0), arr=np.zeros(3, np.float32))),
               path)


def test_weights_only_load_of_mmengine_checkpoint(tmp_path):
    path = tmp_path / 'ckpt.pth'
    mmengine_like_checkpoint(path)
    state = torch.load(path, weights_only=True)
    buffer = state['message_hub']['log_scalars']['train/loss']
    assert isinstance(buffer, HistoryBuffer)
    assert buffer.current() == 1.5 and buffer.mean() == 1.5


def test_weights_only_without_the_plugin_fails(tmp_path):
    """Without the allow-list the same checkpoint is refused (trap 2)."""
    path = tmp_path / 'ckpt.pth'
    mmengine_like_checkpoint(path)
    code = ('import torch\n'
            f'torch.load({str(path)!r}, weights_only=True)')
    proc = run_python(code, tmp_path)
    assert proc.returncode != 0 and 'Weights only load failed' in proc.stderr


class Evil:

    def __reduce__(self):
        # an allow-listed class, but an attribute that is not a statistic
        return (getattr, (HistoryBuffer, '__init__'))


def test_weights_only_still_refuses_other_getattr(tmp_path):
    path = tmp_path / 'evil.pth'
    torch.save({'x': Evil()}, path)
    with pytest.raises(pickle.UnpicklingError, match='refused getattr'):
        torch.load(path, weights_only=True)
    with pytest.raises(pickle.UnpicklingError, match='refused'):
        compat.history_buffer_getattr(HistoryBuffer, '__init__')
    assert compat.history_buffer_getattr(HistoryBuffer, 'mean') is \
        HistoryBuffer.mean


def test_cpu_build_set_device_is_a_noop():
    if hasattr(torch._C, '_cuda_setDevice'):
        assert compat.allow_cpu_set_device() is False  # CUDA build: untouched
    else:
        assert compat.allow_cpu_set_device() is True
        torch.cuda.set_device(1)  # mmengine's pytorch launcher does this


def test_ddp_wrapper_accepts_a_cpu_module(tmp_path):
    """mmengine passes device_ids=[LOCAL_RANK] even for a CPU module."""
    import torch.distributed as dist
    from mmengine.model import MMDistributedDataParallel
    dist.init_process_group('gloo', init_method=f'file://{tmp_path}/store',
                            rank=0, world_size=1)
    try:
        model = MMDistributedDataParallel(
            module=torch.nn.Linear(2, 2), device_ids=[0],
            broadcast_buffers=False)
        assert model.device_ids is None
        model(torch.ones(1, 2)).sum().backward()
    finally:
        dist.destroy_process_group()


def test_a_split_that_selects_nothing_is_named_when_built(tmp_path):
    """mmengine fails on an empty list with 'need at least one array to
    concatenate', before any hook: the build names file and split."""
    from mmaction.registry import DATASETS

    from aclnet_plugin.datasets.check import DataCheckError
    clips = [dict(frame_dir=f'c{i}', label=0, total_frames=2,
                  keypoint=np.zeros((1, 2, 25, 3), np.float32))
             for i in range(3)]
    path = str(tmp_path / 'ann.pkl')
    with open(path, 'wb') as f:
        pickle.dump(dict(split=dict(train=['c0', 'c1'], empty=[],
                                    gone=['x', 'y']), annotations=clips), f)
    bare = str(tmp_path / 'bare.pkl')
    with open(bare, 'wb') as f:
        pickle.dump([], f)

    def build(ann_file, split, serialize=True):
        return DATASETS.build(dict(type='PoseDataset', ann_file=ann_file,
                                   split=split, pipeline=[],
                                   serialize_data=serialize))

    assert len(build(path, 'train')) == 2  # a good split builds
    for ann_file, split, words in [
            (path, 'empty', f"{path}, split 'empty'"
             '.*"split"\\[\'empty\'\\] is empty: it names no clip'),
            (path, 'gone', f"{path}, split 'gone'"
             '.*"split"\\[\'gone\'\\] selects no sample'),
            (bare, None, f'{bare}.*the file holds no annotation')]:
        for serialize in (True, False):
            with pytest.raises(DataCheckError, match=f'(?s){words}'):
                build(ann_file, split, serialize)


def test_a_pyskl_file_as_numpy_writes_it_trains(tiny_dataset, tmp_path):
    """Labels as numpy.int64 (what numpy and pandas converters write) and
    float64 keypoints: the data check passes it, and it trains and tests
    (mmaction's format_label took numpy arrays but not numpy scalars)."""
    from mmengine.runner import Runner

    from conftest import tiny_config
    with open(tiny_dataset['ann_file'], 'rb') as f:
        data = pickle.load(f)
    for annotation in data['annotations']:
        annotation['label'] = np.int64(annotation['label'])
        annotation['keypoint'] = annotation['keypoint'].astype(np.float64)
    ann_file = tmp_path / 'numpy.pkl'
    with open(ann_file, 'wb') as f:
        pickle.dump(data, f)
    cfg = tiny_config(dict(tiny_dataset, ann_file=str(ann_file)),
                      tmp_path / 'work', max_epochs=1, start_epoch=1,
                      num_workers=0)
    cfg.default_hooks.data_check = dict(type='DataCheckHook')
    runner = Runner.from_cfg(cfg)
    runner.train()
    assert runner.iter > 0
    assert 0 <= runner.test()['acc/top1'] <= 1
    # and a label of any numpy integer type is one class index
    from mmaction.structures import ActionDataSample
    for kind in (np.int8, np.uint16, np.int32, np.int64):
        label = ActionDataSample().set_gt_label(kind(3)).gt_label
        assert label.tolist() == [3] and label.dtype == torch.long
