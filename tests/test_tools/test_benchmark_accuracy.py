"""tools/benchmark_accuracy.py: scoring of dumps and the results table."""
import importlib.util
import os.path as osp
import pickle
from types import SimpleNamespace

import pytest
import torch

from conftest import REPO


def load_tool():
    spec = importlib.util.spec_from_file_location(
        'benchmark_accuracy', osp.join(REPO, 'tools', 'benchmark_accuracy.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_score_of_a_dump(tmp_path):
    # 3 classes; class 0: 2 of 2 right, class 1: 1 of 2, class 2: 0 of 1
    rows = [([.9, .1, 0], 0), ([.6, .3, .1], 0), ([.2, .7, .1], 1),
            ([.5, .4, .1], 1), ([.1, .8, .1], 2)]
    dump = [dict(pred_score=torch.tensor(s), gt_label=torch.tensor([y]))
            for s, y in rows]
    path = tmp_path / 'dump.pkl'
    with open(path, 'wb') as f:
        pickle.dump(dump, f)
    result = load_tool().score(str(path))
    assert result['top1'] == pytest.approx(3 / 5)
    assert result['per_class'] == pytest.approx([1.0, 0.5, 0.0])
    assert result['mean_class'] == pytest.approx(0.5)
    assert result['num_samples'] == 5


def test_table_pairs_seeds_and_lists_classes():
    tool = load_tool()
    records = [
        dict(arm='baseline', seed=s, config='b.py', top1=t, mean_class=t,
             per_class=[t, t], train_seconds=60, num_samples=10)
        for s, t in ((0, 0.8), (1, 0.6))
    ] + [
        dict(arm='aclnet', seed=s, config='a.py', top1=t, mean_class=t,
             per_class=[t, 1.0], train_seconds=120, num_samples=10)
        for s, t in ((1, 0.9), (0, 0.7))
    ]
    args = SimpleNamespace(seeds=[0, 1], class_names=['walk', 'run'],
                           work_dir='wd')
    text = tool.table(records, args)
    assert '| baseline | `b.py` | 70.00 ± 14.14 | 70.00 ± 14.14 | 80.0, 60.0' \
        in text
    assert '| aclnet | `a.py` | 80.00 ± 14.14' in text
    assert 'per seed: -10.0, +30.0 (mean +10.00)' in text
    assert '| run | 70.0 | 100.0 | +30.0 |' in text
    assert tool.mean_std([0.9]) == '90.00'  # one seed: no ± 0.00


def test_ann_file_override_reaches_through_repeat_dataset():
    tool = load_tool()
    folder = osp.join(REPO, 'configs', 'aclnet', 'nw_ucla')
    full = osp.join(folder, 'aclnet_ctrgcn_1xb16-joint-u52-80e_'
                    'nw-ucla-xview-keypoint-3d.py')
    small = osp.join(folder, 'aclnet_stgcnpp-small_1xb16-joint-u52-40e_'
                     'nw-ucla-xview-keypoint-3d.py')
    assert tool.ann_file_options(full, 'u.pkl') == [
        'train_dataloader.dataset.dataset.ann_file=u.pkl',
        'val_dataloader.dataset.ann_file=u.pkl',
        'test_dataloader.dataset.ann_file=u.pkl'
    ]
    assert tool.ann_file_options(small, 'u.pkl')[0] == \
        'train_dataloader.dataset.ann_file=u.pkl'
