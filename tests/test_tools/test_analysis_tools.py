"""tools/analysis/{occlusion,compare,tsne,families}.py on a tiny demo run.

One tiny ACLNet model is trained once for the module (2 epochs, families
from epoch 1, seconds); its test predictions after epochs 1 and 2 are
dumped as `mim test --dump` does, and every tool runs on them. Every PNG is
checked to be readable, of sensible size and not blank.
"""
import json
import os.path as osp
import pickle

import numpy as np
import pytest
import torch

from aclnet_plugin.analysis import (difficulty_groups, difficulty_table,
                                    family_churn)
from aclnet_plugin.evaluation import accuracies, load_dump
from conftest import dump_config, load_tool, tiny_config

NTU_PARTS = ['left_arm', 'right_arm', 'two_hands', 'two_legs', 'trunk']


def check_png(path, min_side=300, max_side=6000):
    """A readable, non-blank PNG of sensible pixel size."""
    from PIL import Image
    assert osp.isfile(path) and osp.getsize(path) > 0, path
    with Image.open(path) as image:
        assert image.format == 'PNG', path
        width, height = image.size
        pixels = np.asarray(image.convert('L'), dtype=np.float64)
    assert min_side <= width <= max_side, (path, width)
    assert min_side <= height <= max_side, (path, height)
    assert pixels.std() > 5, f'{path} is (almost) blank'
    return width, height


def _test(config, checkpoint, work_dir, dump):
    from mmengine.config import Config
    from mmengine.runner import Runner
    cfg = Config.fromfile(config)
    cfg.work_dir = str(work_dir)
    cfg.load_from = str(checkpoint)
    cfg.log_level = 'WARNING'
    cfg.experiment_name = osp.basename(dump)
    cfg.test_evaluator = [dict(type='AccMetric'),
                          dict(type='DumpResults', out_file_path=str(dump))]
    Runner.from_cfg(cfg).test()
    return str(dump)


@pytest.fixture(scope='module')
def run(tiny_dataset, tmp_path_factory):
    """A tiny trained run: config, checkpoints, family files and dumps."""
    from mmengine.runner import Runner
    root = tmp_path_factory.mktemp('analysis')
    work_dir = root / 'work'
    cfg = tiny_config(tiny_dataset, work_dir, max_epochs=2, start_epoch=1,
                      num_workers=0)
    cfg.log_level = 'WARNING'
    config = dump_config(cfg, root / 'tiny.py')
    Runner.from_cfg(cfg).train()
    checkpoints = {e: str(work_dir / f'epoch_{e}.pth') for e in (1, 2)}
    dumps = {e: _test(config, checkpoints[e], root / 'test', root /
                      f'epoch_{e}.pkl') for e in (1, 2)}
    return dict(root=root, work_dir=str(work_dir), config=config,
                checkpoints=checkpoints, dumps=dumps,
                class_names=tiny_dataset['class_names'])


def edited_config(run, path, edit):
    """The run's config changed by ``edit(cfg)``, written to ``path``."""
    from mmengine.config import Config
    cfg = Config.fromfile(run['config'])
    edit(cfg)
    return dump_config(cfg, path)


# ------------------------------------------------------------ occlusion
def test_occlusion_table(run, tmp_path, capsys):
    tool = load_tool('analysis/occlusion.py')
    out = tmp_path / 'occlusion.md'
    result = tool.main([run['config'], run['checkpoints'][2],
                        '--baseline-checkpoint', run['checkpoints'][1],
                        '--parts', 'two_legs', 'trunk', '--out', str(out)])
    assert result['parts'] == ['two_legs', 'trunk']
    ours, base = result['results']['ACLNet'], result['results']['baseline']
    # the unoccluded accuracy is the checkpoint's test accuracy
    for epoch, accs in ((2, ours), (1, base)):
        scores, labels = load_dump(run['dumps'][epoch])
        assert accs[None] == pytest.approx(accuracies(scores, labels)['top1'])
        assert set(accs) == {None, 'two_legs', 'trunk'}
    lines = out.read_text().strip().splitlines()
    assert lines == result['text'].strip().splitlines()
    assert lines[2] == ('| occluded part | joints | ACLNet top-1 | drop | '
                        'baseline top-1 | drop |')
    rows = [[c.strip() for c in line.strip('|').split('|')]
            for line in lines[4:]]
    assert [r[:2] for r in rows] == [['none (full skeleton)', '0'],
                                     ['two legs', '8'], ['trunk', '5']]
    for row, part in zip(rows[1:], ['two_legs', 'trunk']):
        assert float(row[2]) == pytest.approx(100 * ours[part], abs=0.006)
        assert float(row[4]) == pytest.approx(100 * base[part], abs=0.006)
    assert '| none (full skeleton)' in capsys.readouterr().out


def test_occlusion_parts_and_drops(run):
    """All the layout's parts by default; drop = full minus occluded."""
    tool = load_tool('analysis/occlusion.py')
    args = tool.parse_args([run['config'], run['checkpoints'][2]])
    arm = tool.Arm(run['config'], run['checkpoints'][2], args)
    assert tool.check_parts([arm], None) == NTU_PARTS
    from aclnet_plugin.datasets import get_layout
    text = tool.table([arm], [{None: 0.875, 'two_legs': 0.5, 'trunk': 0.9}],
                      ['two_legs', 'trunk'], get_layout('nturgb+d'))
    assert text.splitlines()[2:] == [
        '| none (full skeleton) | 0 | 87.50 |  |',
        '| two legs | 8 | 50.00 | 37.50 |', '| trunk | 5 | 90.00 | -2.50 |']


def test_occlusion_reaches_the_network(run):
    """The tool's test pipeline zeroes the part after the normalisation."""
    from mmaction.registry import DATASETS
    from mmengine.registry import init_default_scope
    tool = load_tool('analysis/occlusion.py')
    args = tool.parse_args([run['config'], run['checkpoints'][2]])
    arm = tool.Arm(run['config'], run['checkpoints'][2], args)
    assert arm.layout == 'nturgb+d'
    cfg = arm.config_for('two_legs')
    pipeline = cfg.test_dataloader.dataset.pipeline
    assert [t['type'] for t in pipeline[:3]] == [
        'FastPreNormalize3D', 'OcclusionMask', 'GenSkeFeat']
    init_default_scope('mmaction')
    legs = list(range(12, 20))
    for part, hidden in (('two_legs', legs), (None, [])):
        dataset = DATASETS.build(arm.config_for(part).test_dataloader.dataset)
        for index in (0, 5):
            inputs = dataset[index]['inputs'].numpy()  # (clips, M, T, V, C)
            person = inputs[:, 0]  # the second person is padding
            zero = (person == 0).all(axis=(0, 1, 3))
            assert np.flatnonzero(zero).tolist() == hidden


def test_occlusion_errors(run, tmp_path):
    tool = load_tool('analysis/occlusion.py')
    ten = edited_config(run, tmp_path / 'ten.py', lambda cfg: cfg.model.
                        cls_head.update(num_classes=10))
    with pytest.raises(SystemExit, match=r'epoch_2.pth was trained for 12 '
                       r'classes .* but .*ten.py has num_classes=10'):
        tool.main([ten, run['checkpoints'][2]])
    with pytest.raises(SystemExit, match=r'epoch_1.pth was trained for 12 '
                       r'classes .* but .*ten.py has num_classes=10'):
        tool.main([run['config'], run['checkpoints'][2],
                   '--baseline-config', ten, '--baseline-checkpoint',
                   run['checkpoints'][1]])

    def wider(cfg):
        cfg.model.backbone.base_channels = 16
        cfg.model.cls_head.in_channels = 64
    wide = edited_config(run, tmp_path / 'wide.py', wider)
    with pytest.raises(SystemExit, match=r'epoch_2.pth does not fit the '
                       r'model of .*wide.py: \d+ entries of another shape'):
        tool.main([wide, run['checkpoints'][2], '--parts', 'trunk'])
    with pytest.raises(SystemExit, match=r"parts \['thumb'\] are not parts "
                       r"of layout 'nturgb\+d'"):
        tool.main([run['config'], run['checkpoints'][2], '--parts', 'thumb'])
    with pytest.raises(SystemExit, match='no such checkpoint'):
        tool.main([run['config'], str(tmp_path / 'missing.pth')])


# -------------------------------------------------------------- compare
def patterned_dump(dump, path, correct):
    """A copy of ``dump`` predicting the first ``correct[c]`` test samples
    of class c right and the others as class c + 1."""
    with open(dump, 'rb') as f:
        samples = pickle.load(f)
    seen = np.zeros(len(correct), dtype=int)
    for sample in samples:
        label = int(sample['gt_label'][0])
        score = torch.zeros_like(sample['pred_score'])
        right = seen[label] < correct[label]
        score[label if right else (label + 1) % len(correct)] = 1
        seen[label] += 1
        sample['pred_score'] = score
    with open(path, 'wb') as f:
        pickle.dump(samples, f)
    return str(path)


def per_class(dump):
    scores, labels = load_dump(dump)
    preds = scores.argmax(1)
    return np.array([(preds[labels == c] == c).mean() for c in range(12)])


def test_compare_difficulty_table_and_pictures(run, tmp_path):
    tool = load_tool('analysis/compare.py')
    # two "seeds" per arm: the real dumps and a pattern of 2, 1 or 0 of the
    # 2 test samples of each class right, in opposite class orders
    pattern = [2, 2, 2, 1, 2, 1, 1, 0, 1, 0, 0, 0]
    second_base = patterned_dump(run['dumps'][1], tmp_path / 'b.pkl',
                                 pattern)
    second_method = patterned_dump(run['dumps'][2], tmp_path / 'm.pkl',
                                   pattern[::-1])
    out = tmp_path / 'compare'
    result = tool.main(['--baseline', run['dumps'][1], second_base,
                        '--method', run['dumps'][2], second_method,
                        '--class-names', run['class_names'],
                        '--out-dir', str(out)])
    # seeds averaged per class; ranked by the baseline, hardest first
    baseline = (per_class(run['dumps'][1]) + per_class(second_base)) / 2
    method = (per_class(run['dumps'][2]) + per_class(second_method)) / 2
    order = np.argsort(baseline, kind='stable')
    assert baseline[order[0]] < baseline[order[-1]]
    assert result['table']['order'] == order.tolist()
    table = (out / 'difficulty.md').read_text().splitlines()
    groups = [[c.strip() for c in line.strip('|').split('|')]
              for line in table[4:8]]
    assert [g[:2] for g in groups] == [['1', '1'], ['2-3', '2'],
                                       ['4-6', '3'], ['7-12', '6']]
    for group, (start, stop) in zip(groups, [(0, 1), (1, 3), (3, 6),
                                             (6, 12)]):
        classes = order[start:stop]
        assert float(group[2]) == pytest.approx(
            100 * baseline[classes].mean(), abs=0.051)
        assert float(group[3]) == pytest.approx(
            100 * method[classes].mean(), abs=0.051)
    names = open(run['class_names']).read().split('\n')
    assert f'| 1 | {names[order[0]]} |' in '\n'.join(table)
    for name in ('per_class_gain', 'confusion_baseline', 'confusion_method'):
        check_png(str(out / f'{name}.png'))


def test_compare_errors(run, tmp_path):
    tool = load_tool('analysis/compare.py')
    with open(run['dumps'][1], 'rb') as f:
        samples = pickle.load(f)
    short = tmp_path / 'short.pkl'
    with open(short, 'wb') as f:
        pickle.dump(samples[:-1], f)
    with pytest.raises(SystemExit, match=r'short.pkl holds 23 samples, '
                       r'.*epoch_1.pkl 24: a dump of another dataset'):
        tool.main(['--baseline', run['dumps'][1], '--method', str(short),
                   '--out-dir', str(tmp_path / 'a')])
    shuffled = tmp_path / 'shuffled.pkl'
    with open(shuffled, 'wb') as f:
        pickle.dump(samples[1:] + samples[:1], f)
    with pytest.raises(SystemExit, match=r'the labels of .*shuffled.pkl '
                       r'differ from those of .*epoch_1.pkl'):
        tool.main(['--baseline', run['dumps'][1], str(shuffled), '--method',
                   run['dumps'][2], '--out-dir', str(tmp_path / 'b')])
    eleven = tmp_path / 'eleven.txt'
    eleven.write_text('\n'.join(f'c{i}' for i in range(11)))
    with pytest.raises(SystemExit, match=r'eleven.txt names 11 classes, the '
                       r'dumps have 12'):
        tool.main(['--baseline', run['dumps'][1], '--method',
                   run['dumps'][2], '--class-names', str(eleven),
                   '--out-dir', str(tmp_path / 'c')])


@pytest.mark.parametrize('num, sizes', [(60, [5, 10, 15, 30]),
                                        (120, [10, 20, 30, 60]),
                                        (12, [1, 2, 3, 6]),
                                        (45, [4, 7, 12, 22]),
                                        (10, [1, 2, 2, 5]),
                                        (4, [1, 1, 1, 1]),
                                        (5, [1, 1, 1, 2])])
def test_difficulty_groups(num, sizes):
    groups = difficulty_groups(num)
    assert [stop - start for start, stop in groups] == sizes
    assert groups[0][0] == 0 and groups[-1][1] == num
    assert all(a[1] == b[0] for a, b in zip(groups, groups[1:]))


def test_difficulty_table_by_hand():
    # 4 classes: the baseline ranks them 2, 0, 3, 1; class 1 has no sample
    baseline = [0.5, np.nan, 0.2, 0.9, 0.5]
    method = [0.7, 0.4, 0.3, 1.0, 0.6]
    table = difficulty_table(baseline, method)
    assert table['order'] == [2, 0, 4, 3]  # the tie keeps class order
    assert table['left_out'] == [1]
    assert [g['classes'] for g in table['groups']] == [[2], [0], [4], [3]]
    assert [g['method'] for g in table['groups']] == [0.3, 0.7, 0.6, 1.0]
    with pytest.raises(ValueError, match='at least 4 classes'):
        difficulty_groups(3)


# ----------------------------------------------------------------- t-SNE
def test_tsne_panels(run, tmp_path):
    tool = load_tool('analysis/tsne.py')
    out = str(tmp_path / 'tsne.png')
    result = tool.main([run['config'], run['checkpoints'][1],
                        run['checkpoints'][2], '--classes', '0', 'wave fast',
                        '2', '9', '--max-per-class', '2', '--out', out])
    assert result['classes'] == [0, 4, 2, 9]
    assert len(result['indices']) == 8
    assert [p['title'].split(':')[0] for p in result['panels']] == [
        'epoch 1', 'epoch 2']
    for panel in result['panels']:
        assert panel['points'].shape == (8, 2)
        assert sorted(panel['labels'].tolist()) == [0, 0, 2, 2, 4, 4, 9, 9]
    check_png(out)


def test_tsne_embeddings_and_family(run, tmp_path):
    tool = load_tool('analysis/tsne.py')
    args = tool.parse_args([run['config'], run['checkpoints'][2], '--out',
                            'x.png', '--embedding', 'feature'])
    from mmengine.config import Config
    cfg = Config.fromfile(run['config'])
    labels = tool.get_test_labels(cfg)
    assert np.bincount(labels).tolist() == [2] * 12
    indices = tool.pick_samples(labels, [3, 7], None, 1, seed=0)
    assert labels[indices].tolist() == [3, 7]
    dims = {}
    for embedding in ('projection', 'feature'):
        test_cfg, _ = tool.prepare_config(cfg, indices, embedding, 'cfg')
        state = torch.load(run['checkpoints'][2], map_location='cpu')
        result = tool.embed(test_cfg, run['checkpoints'][2],
                            state['state_dict'], 'cfg', (), str(tmp_path), 0)
        assert result['labels'].tolist() == [3, 7]
        assert np.allclose(np.linalg.norm(result['embeddings'], axis=1), 1)
        dims[embedding] = result['embeddings'].shape[1]
    assert dims == dict(projection=256, feature=32)  # in_channels 32

    latest = json.load(open(osp.join(run['work_dir'], 'motion_families',
                                     'latest.json')))
    target = next(c for c in latest['classes'] if c['members'])
    args.family, args.families_json = str(target['index']), run['work_dir']
    names = [c['name'] for c in latest['classes']]
    classes, subtitle = tool.choose_classes(args, names)
    assert classes == [target['index']] + target['members']
    assert subtitle.startswith(f'Motion Family of {target["name"]!r}')


def test_tsne_errors(run, tmp_path):
    tool = load_tool('analysis/tsne.py')
    ten = edited_config(run, tmp_path / 'ten.py', lambda cfg: cfg.model.
                        cls_head.update(num_classes=10))
    with pytest.raises(SystemExit, match=r'epoch_1.pth was trained for 12 '
                       r'classes .* but .*ten.py has num_classes=10'):
        tool.main([ten, run['checkpoints'][1], '--out', 'x.png'])
    with pytest.raises(SystemExit, match="no class named 'dance'"):
        tool.main([run['config'], run['checkpoints'][1], '--classes', 'dance',
                   '--out', 'x.png'])
    with pytest.raises(SystemExit, match='--family needs --families-json'):
        tool.main([run['config'], run['checkpoints'][1], '--family', '0',
                   '--out', 'x.png'])


# ------------------------------------------------------- Motion Families
def test_families_pictures_and_churn(run, tmp_path, capsys):
    tool = load_tool('analysis/families.py')
    out = tmp_path / 'families'
    result = tool.main([run['work_dir'], '--checkpoint',
                        run['checkpoints'][2], '--class', 'raise both arms',
                        '--out-dir', str(out)])
    assert result['index'] == 0 and result['epoch'] == 2
    for name in ('family_0', 'confusion', 'affinity', 'churn'):
        check_png(str(out / f'{name}.png'))
    # the churn from the files themselves
    files = [json.load(open(osp.join(run['work_dir'], 'motion_families',
                                     f'epoch_{e}.json'))) for e in (1, 2)]
    pairs = [{(c['index'], m) for c in f['classes'] for m in c['members']}
             for f in files]
    assert [r['members'] for r in result['churn']] == [len(p) for p in pairs]
    assert result['churn'][1]['gained'] == len(pairs[1] - pairs[0])
    assert result['churn'][1]['lost'] == len(pairs[0] - pairs[1])
    printed = capsys.readouterr().out
    assert 'warning' not in printed  # the checkpoint gives the saved families
    assert '| 2 | ' in (out / 'churn.md').read_text()
    # without a checkpoint: the family graph and the churn only
    plain = tmp_path / 'plain'
    tool.main([run['work_dir'], '--class', '3', '--out-dir', str(plain)])
    assert sorted(p.name for p in plain.iterdir()) == [
        'churn.md', 'churn.png', 'family_3.png']
    check_png(str(plain / 'family_3.png'))


def test_family_churn_by_hand():
    def record(epoch, families):
        return dict(epoch=epoch, num_classes=3, classes=[
            dict(index=i, members=m) for i, m in enumerate(families)])

    rows = family_churn([record(1, [[1], [], []]),
                         record(3, [[1, 2], [0], []]),
                         record(4, [[2], [0], []])])
    assert [(r['epoch'], r['members'], r['gained'], r['lost'],
             r['changed_classes'], r['classes_with_family'])
            for r in rows] == [(1, 1, None, None, None, 1),
                               (3, 3, 2, 0, 2, 2),
                               (4, 2, 0, 1, 1, 2)]


def test_families_errors(run, tmp_path):
    tool = load_tool('analysis/families.py')
    with pytest.raises(SystemExit, match='no motion_families/epoch_'):
        tool.main([str(tmp_path), '--out-dir', str(tmp_path / 'o')])
    other = tmp_path / 'other.pth'
    torch.save(dict(state_dict={'cls_head.confusion': torch.zeros(10, 10)},
                    meta=dict(epoch=2)), other)
    with pytest.raises(SystemExit, match=r'other.pth holds a confusion of '
                       r'shape \(10, 10\), the family files are for 12'):
        tool.main([run['work_dir'], '--checkpoint', str(other),
                   '--out-dir', str(tmp_path / 'o')])
    with pytest.raises(SystemExit, match="no class named 'dance'"):
        tool.main([run['work_dir'], '--class', 'dance', '--out-dir',
                   str(tmp_path / 'o')])


# ------------------------------------------- family statistics as scalars
def test_family_statistics_reach_the_visualizer(run):
    """Every recompute, the last included, lands in LocalVisBackend's
    scalars.json (what a TensorboardVisBackend receives too) with the values
    the hook's JSON holds."""
    import glob
    [path] = glob.glob(osp.join(run['work_dir'], '*', 'vis_data',
                                'scalars.json'))
    rows = [json.loads(line) for line in open(path)]
    keys = ('classes_with_family', 'mean_family_size', 'max_family_size')
    logged = [tuple(r[f'motion_family/{k}'] for k in keys) for r in rows
              if 'motion_family/classes_with_family' in r]
    saved = [tuple(json.load(open(osp.join(
        run['work_dir'], 'motion_families', f'epoch_{e}.json')))
        ['statistics'][k] for k in keys) for e in (1, 2)]
    assert logged == saved


@pytest.mark.parametrize('tool, words', [
    ('occlusion', ['Table IX', 'OcclusionMask', '--baseline-checkpoint']),
    ('compare', ['Table X', 'difficulty.md', 'per_class_gain.png']),
    ('tsne', ['Fig. 5', '--embedding', '--family']),
    ('families', ['Fig. 3', 'churn.png', '--checkpoint'])])
def test_help_explains_the_tool(tool, words, capsys):
    with pytest.raises(SystemExit) as exit_info:
        load_tool(f'analysis/{tool}.py').main(['--help'])
    assert exit_info.value.code == 0
    text = capsys.readouterr().out
    assert 'Example::' in text
    for word in words:
        assert word in text, word
