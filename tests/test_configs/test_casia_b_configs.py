"""The CASIA-B configs on GaitGraph-form CSVs the test writes: one epoch of
training, then the gait table and re-id settings of the retrieval metric."""
import glob
import os.path as osp

import numpy as np
import pytest

from conftest import REPO, load_tool

CASIA_B_CONFIGS = osp.join(REPO, 'configs', 'aclnet', 'casia_b')
CONFIGS = sorted(osp.basename(p)
                 for p in glob.glob(osp.join(CASIA_B_CONFIGS, '*.py')))
converter = load_tool('data/casia_b_to_pyskl.py')
# a standing COCO-17 person (x right, y down), 100 px tall
POSE = np.array([[0, -45], [-3, -48], [3, -48], [-6, -46], [6, -46],
                 [-12, -30], [12, -30], [-15, -12], [15, -12], [-16, 4],
                 [16, 4], [-8, 5], [8, 5], [-9, 28], [9, 28], [-9, 50],
                 [9, 50]], np.float32)


def write_csv(path, rng):
    """Training subjects 1-2 (NM 1-2, two views) and test subjects 75-76
    with every gallery and probe sequence of views 0 and 18."""
    sequences = [(s, 'nm', n, v) for s in (1, 2) for n in (1, 2)
                 for v in (0, 18)]
    for subject in (75, 76):
        for condition, numbers in (('nm', range(1, 7)), ('bg', (1, 2)),
                                   ('cl', (1, 2))):
            sequences += [(subject, condition, n, v) for n in numbers
                          for v in (0, 18)]
    lines = [','.join(converter.COLUMNS)]
    for subject, condition, number, view in sequences:
        size = 1 + 0.1 * subject / 76
        name = f'{subject:03d}-{condition}-{number:02d}-{view:03d}'
        for frame in range(int(rng.integers(45, 60))):
            swing = 6 * np.sin(frame / 4 + subject)
            xy = POSE * size + [160 + 2 * frame, 120]
            xy[13:, 0] += swing * np.array([1, -1, 1, -1])
            xy += rng.normal(0, 0.5, xy.shape)
            conf = rng.uniform(0.5, 1, (17, 1))
            values = np.concatenate([xy, conf], 1).reshape(-1)
            lines.append(f'{subject:03d}/{name}/{frame + 1:06d}.jpg,' +
                         ','.join(f'{v:.3f}' for v in values))
    path.write_text('\n'.join(lines) + '\n')
    return str(path)


@pytest.fixture(scope='module')
def casia_b_pickle(tmp_path_factory):
    root = tmp_path_factory.mktemp('casia_b')
    csv = write_csv(root / 'poses.csv', np.random.default_rng(0))
    out = str(root / 'casia_b_2d.pkl')
    converter.convert_casia_b([csv], out, progress=False)
    return out


def load(name):
    from mmengine.config import Config
    return Config.fromfile(osp.join(CASIA_B_CONFIGS, name))


@pytest.mark.parametrize('name', CONFIGS)
def test_settings(name):
    cfg = load(name)
    head = cfg.model.cls_head
    assert cfg.model.backbone.graph_cfg.layout == 'coco'
    assert head.num_classes == 74
    baseline = name.startswith('baseline_')
    assert head.test_embedding == ('feature' if baseline else 'projection')
    assert (cfg.custom_hooks == []) == baseline
    [metric] = cfg.test_evaluator
    assert (metric.type, metric.mode) == ('EmbeddingRetrievalMetric',
                                         'casia-b')


@pytest.mark.parametrize('name', CONFIGS)
def test_trains_and_reports_the_gait_table(name, casia_b_pickle, tmp_path):
    from mmengine.runner import Runner
    cfg = load(name)
    cfg.work_dir = str(tmp_path / 'work')
    cfg.train_dataloader.dataset.times = 1
    cfg.train_dataloader.dataset.dataset.ann_file = casia_b_pickle
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        cfg[loader].num_workers = 0
        cfg[loader].persistent_workers = False
    for loader in ('val_dataloader', 'test_dataloader'):
        cfg[loader].dataset.ann_file = casia_b_pickle
    cfg.model.backbone.base_channels = 8
    cfg.model.cls_head.in_channels = 32
    cfg.train_cfg.max_epochs = 1
    cfg.param_scheduler = []
    for hook in cfg.custom_hooks:
        hook.start_epoch = 1
    runner = Runner.from_cfg(cfg)
    runner.train()
    metrics = runner.test()
    for key in ('gait/NM', 'gait/BG', 'gait/CL', 'gait/mean',
                'reid/N-N/rank1', 'reid/C-N/mAP', 'sequence/rank1'):
        assert 0 <= metrics[f'retrieval/{key}'] <= 100, key
