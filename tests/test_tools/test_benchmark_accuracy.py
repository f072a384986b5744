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
                           work_dir='wd', arms=['baseline', 'aclnet'])
    text = tool.table(records, args)
    assert '| baseline | `b.py` | 70.00 ± 14.14 | 70.00 ± 14.14 | 80.0, 60.0' \
        in text
    assert '| aclnet | `a.py` | 80.00 ± 14.14' in text
    assert '(aclnet - baseline) per seed: -10.0, +30.0 (mean +10.00, ' \
        'standard error 20.00; above the baseline in 1 of 2)' \
        in text
    assert '| run | 70.0 | 100.0 | +30.0 |' in text
    assert tool.mean_std([0.9]) == '90.00'  # one seed: no ± 0.00
    assert 'Kernels: not recorded.' in text  # records of older versions


def test_table_warns_when_runs_were_made_with_other_kernels():
    tool = load_tool()
    here = tool.kernels()
    assert here.startswith('torch ')
    assert 'CUDA' in here or ' kernels' in here
    records = [
        dict(arm=arm, seed=0, config=f'{arm}.py', top1=0.5, mean_class=0.5,
             per_class=[0.5], train_seconds=60, num_samples=2,
             kernels=kernels)
        for arm, kernels in (('baseline', here), ('aclnet', here))]
    args = SimpleNamespace(seeds=[0], class_names=None, work_dir='wd',
                           arms=['baseline', 'aclnet'])
    assert f'Kernels: {here}.' in tool.table(records, args)
    records[1]['kernels'] = 'torch 2.13.0, AVX2 kernels, another CPU'
    text = tool.table(records, args)
    note = text.splitlines()[0].split('Runs made with different kernels '
                                      '(a seed reproduces only on the '
                                      'same): ')[1]
    assert sorted(note.rstrip('.').split('; ')) == sorted(
        [here, 'torch 2.13.0, AVX2 kernels, another CPU'])


def test_retrieval_table_pairs_seeds_at_both_levels():
    tool = load_tool()
    keys = ('sequence/rank1', 'sequence/mAP', 'clip/rank1', 'clip/mAP')

    def record(arm, seed, values):
        return dict(arm=arm, seed=seed, config=f'{arm}.py', train_seconds=60,
                    num_samples=8, retrieval=dict(zip(keys, values)))

    records = [record('baseline', 0, (.70, .60, .40, .20)),
               record('baseline', 1, (.74, .62, .30, .22)),
               record('aclnet', 1, (.80, .61, .35, .20)),
               record('aclnet', 0, (.72, .66, .38, .25))]
    args = SimpleNamespace(seeds=[0, 1], work_dir='wd',
                           arms=['baseline', 'aclnet'])
    text = tool.retrieval_table(records, args)
    # sequence/rank1: 70, 74 and 72, 80 (sd 2.83 and 5.66)
    assert '| baseline | `baseline.py` | 72.00 ± 2.83 | 61.00 ± 1.41 | ' \
        '35.00 ± 7.07 | 21.00 ± 1.41 | 70.0, 74.0 | 1.0 |' in text
    assert '| aclnet | `aclnet.py` | 76.00 ± 5.66 |' in text
    # seed 0, seed 1: +2, +6; +6, -1; -2, +5; +5, -2
    for key, diffs, summary in (
            ('sequence/rank1', '+2.0, +6.0', 'mean +4.00, standard error '
             '2.00; above the baseline in 2 of 2'),
            ('sequence/mAP', '+6.0, -1.0', 'mean +2.50, standard error '
             '3.50; above the baseline in 1 of 2'),
            ('clip/rank1', '-2.0, +5.0', 'mean +1.50'),
            ('clip/mAP', '+5.0, -2.0', 'mean +1.50')):
        assert (f'Paired {key} difference (aclnet - baseline) per seed: '
                f'{diffs} ({summary}') in text


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


def test_table_of_an_ablation_pairs_every_arm_with_the_baseline():
    tool = load_tool()

    def runs(arm, top1s, class1):
        return [dict(arm=arm, seed=s, config=f'{arm}.py', top1=t,
                     mean_class=t / 2, per_class=[t, class1],
                     train_seconds=60,
                     num_samples=10) for s, t in enumerate(top1s)]

    records = (runs('baseline', (0.8, 0.6), 0.5) +
               runs('aclnet-inter', (0.9, 0.6), 0.75) +
               runs('aclnet', (0.7, 0.9), 1.0))
    args = SimpleNamespace(seeds=[0, 1], class_names=None, work_dir='wd',
                           arms=['baseline', 'aclnet-inter', 'aclnet'])
    text = tool.table(records, args)
    rows = [line for line in text.splitlines()
            if line.startswith('| aclnet')]
    assert [row.split(' | ')[0] for row in rows] == ['| aclnet-inter',
                                                    '| aclnet']
    assert '(aclnet-inter - baseline) per seed: +10.0, +0.0 (mean +5.00, ' \
        'standard error 5.00; above the baseline in 1 of 2)' \
        in text
    assert '(aclnet - baseline) per seed: -10.0, +30.0 (mean +10.00, ' \
        'standard error 20.00; above the baseline in 1 of 2)' in text
    assert '| class | baseline (%) | aclnet-inter (%) | difference | ' \
        'aclnet (%) | difference |' in text
    assert '| 1 | 50.0 | 75.0 | +25.0 | 100.0 | +50.0 |' in text
    # the arms against each other, later minus earlier, and mean class
    assert 'Paired top-1 difference (aclnet - aclnet-inter) per seed: ' \
        '-20.0, +30.0 (mean +5.00, standard error 25.00; above ' \
        'aclnet-inter in 1 of 2)' in text
    assert 'Paired mean-class difference (aclnet - baseline) per seed: ' \
        '-5.0, +15.0' in text


def test_arms_are_named_after_their_config_files():
    tool = load_tool()
    args = tool.parse_args([
        'configs/x/baseline_stgcnpp_y.py', 'configs/x/aclnet_stgcnpp_y.py',
        'configs/x/ablation/aclnet-intra_stgcnpp_y.py'
    ])
    assert args.arms == ['baseline', 'aclnet', 'aclnet-intra']
    args = tool.parse_args(['b.py', 'a.py', '--arms', 'base', 'acl'])
    assert args.arms == ['base', 'acl']


@pytest.mark.parametrize('argv, message', [
    (['baseline_x.py'], 'at least one config to compare'),
    (['x/baseline_a.py', 'y/baseline_b.py'], 'arm names must differ'),
    (['b.py', 'a.py', '--arms', 'one'], '1 --arms for 2 configs'),
])
def test_bad_arms_are_refused(argv, message, capsys):
    with pytest.raises(SystemExit):
        load_tool().parse_args(argv)
    assert message in capsys.readouterr().err


def test_a_finished_run_is_reused_only_for_its_own_config(tmp_path):
    import json
    tool = load_tool()
    run_dir = tmp_path / 'aclnet_seed0'
    run_dir.mkdir()
    record = dict(arm='aclnet', seed=0, config='configs/a.py', top1=0.5)
    (run_dir / 'record.json').write_text(json.dumps(record))
    args = SimpleNamespace(work_dir=str(tmp_path))
    assert tool.run_one('aclnet', 'configs/a.py', 0, args, 1) == record
    with pytest.raises(ValueError, match='was run with configs/a.py'):
        tool.run_one('aclnet', 'configs/b.py', 0, args, 1)


FAKE_MIM = '''#!{python}
"""Stands in for mim: records its options, writes a checkpoint and a dump
(numpy where mim dumps tensors: load_dump reads both, and a process that
imports torch takes a second longer to start)."""
import json, os, pickle, sys
import numpy as np
command, _, config, *rest = sys.argv[1:]
work_dir = rest[rest.index('--work-dir') + 1]
options = rest[rest.index('--cfg-options') + 1:]
with open(os.path.join(work_dir, command + '_options.json'), 'w') as f:
    json.dump(options, f)
with open(os.path.join(work_dir, command + '_argv.json'), 'w') as f:
    json.dump(rest, f)
if command == 'train':
    with open(os.path.join(work_dir, 'last_checkpoint'), 'w') as f:
        f.write(os.path.join(work_dir, 'epoch_1.pth'))
else:  # every class right but class 9, taken for class 0
    dump = [dict(pred_score=np.eye(10, dtype=np.float32)[c if c < 9 else 0],
                 gt_label=np.array([c])) for c in range(10)]
    with open(rest[rest.index('--dump') + 1], 'wb') as f:
        pickle.dump(dump, f)
'''


def test_parallel_runs_parse_configs_in_the_main_thread(tmp_path,
                                                        monkeypatch):
    """Config.fromfile is not thread-safe (an mmaction:: base looks the
    package up through pkg_resources): with --jobs 2 it must run in the main
    thread only, and every run still gets its ann_file override."""
    import json
    import sys
    import threading

    from conftest import REPO
    tool = load_tool()
    mim = tmp_path / 'mim'
    mim.write_text(FAKE_MIM.format(python=sys.executable))
    mim.chmod(0o755)
    monkeypatch.setattr(tool, 'mim', lambda: str(mim))
    real_fromfile = tool.Config.fromfile
    parsed = []

    class MainThreadConfig:

        @staticmethod
        def fromfile(path):
            assert threading.current_thread() is threading.main_thread()
            parsed.append(osp.basename(path))
            return real_fromfile(path)

    monkeypatch.setattr(tool, 'Config', MainThreadConfig)
    nw_ucla = osp.join(REPO, 'configs', 'aclnet', 'nw_ucla')
    small = 'stgcnpp-small_1xb16-joint-u52-40e_nw-ucla-xview-keypoint-3d.py'
    work_dir = tmp_path / 'bench'
    tool.main([osp.join(nw_ucla, f'baseline_{small}'),
               osp.join(nw_ucla, f'aclnet_{small}'), '--seeds', '0', '1',
               '--jobs', '2', '--ann-file', 'u.pkl', '--work-dir',
               str(work_dir)])
    # Once per config for the override, once more for the class names.
    assert parsed == [f'baseline_{small}', f'aclnet_{small}',
                      f'aclnet_{small}']
    for arm in ('baseline', 'aclnet'):
        for seed in (0, 1):
            run = work_dir / f'{arm}_seed{seed}'
            for command in ('train', 'test'):
                options = json.loads(
                    (run / f'{command}_options.json').read_text())
                assert options[0] == f'randomness.seed={seed}'
                assert 'train_dataloader.dataset.ann_file=u.pkl' in options
            record = json.loads((run / 'record.json').read_text())
            assert record['top1'] == pytest.approx(0.9)
    assert '| carry | 0.0 | 0.0 | +0.0 |' in (work_dir /
                                                'results.md').read_text()


def test_class_names_that_do_not_fit_the_head_are_checked_first(
        tmp_path, monkeypatch):
    """10 names for a 20-class head: found before the first run (not in the
    table after all of them), the table then shows class indices."""
    import warnings

    tool = load_tool()
    base = osp.join(REPO, 'configs', 'aclnet', 'nw_ucla',
                    '{}_stgcnpp-small_1xb16-joint-u52-40e_'
                    'nw-ucla-xview-keypoint-3d.py')
    configs = []
    for arm in ('baseline', 'aclnet'):
        config = tmp_path / f'{arm}_x.py'
        config.write_text(
            f'_base_ = {base.format(arm)!r}\n'
            'model = dict(cls_head=dict(num_classes=20))\n'
            f'class_names = {[f"c{i}" for i in range(10)]!r}\n')
        configs.append(str(config))
    runs = []

    def fake_run(arm, config, seed, args, threads, overrides=(),
                 metric=None):
        runs.append((arm, seed, len(caught)))
        per_class = [0.5] * 20
        return dict(arm=arm, seed=seed, config=config, top1=0.5,
                    mean_class=0.5, per_class=per_class, train_seconds=1,
                    num_samples=40)

    monkeypatch.setattr(tool, 'run_one', fake_run)
    work_dir = tmp_path / 'bench'
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter('always')
        tool.main(configs + ['--seeds', '0', '--work-dir', str(work_dir)])
    messages = [str(w.message) for w in caught
                if 'class_names' in str(w.message)]
    assert messages == [f'{configs[1]}: class_names lists 10 names for a '
                        'head of num_classes=20; the per-class table shows '
                        'class indices instead (give --class-names to name '
                        'them)']
    assert runs and all(seen > 0 for _, _, seen in runs)  # warned first
    text = (work_dir / 'results.md').read_text()
    assert '| 19 | 50.0 | 50.0 | +0.0 |' in text

    # names given on the command line must fit: refused before any run
    runs.clear()
    with pytest.raises(ValueError, match='--class-names gives 3 names, but '
                       'the configs\' heads have num_classes=20'):
        tool.main(configs + ['--class-names', 'a', 'b', 'c', '--work-dir',
                             str(work_dir)])
    # heads of different sizes cannot be compared class by class
    other = tmp_path / 'aclnet-10_x.py'
    other.write_text(f'_base_ = {base.format("aclnet")!r}\n')
    with pytest.raises(ValueError, match='different numbers of classes: '
                       'baseline_x.py: 20, aclnet-10_x.py: 10'):
        tool.main([configs[0], str(other), '--work-dir', str(work_dir)])
    assert runs == []


def test_table_shows_indices_for_names_that_do_not_fit():
    tool = load_tool()
    records = [dict(arm=arm, seed=0, config=f'{arm}.py', top1=0.5,
                    mean_class=0.5, per_class=[0.5, 0.25], train_seconds=60,
                    num_samples=4) for arm in ('baseline', 'aclnet')]
    args = SimpleNamespace(seeds=[0], class_names=['walk'], work_dir='wd',
                           arms=['baseline', 'aclnet'])
    text = tool.table(records, args)  # no IndexError
    assert '| 0 | 50.0 | 50.0 | +0.0 |' in text
    assert '| 1 | 25.0 | 25.0 | +0.0 |' in text and 'walk' not in text


def test_an_interrupted_run_resumes(tmp_path, monkeypatch):
    """A run dir with a checkpoint but no record (the machine went down)
    trains on with --resume; a fresh one does not; an unfinished run of
    another config is refused."""
    import json
    import sys
    tool = load_tool()
    mim = tmp_path / 'mim'
    mim.write_text(FAKE_MIM.format(python=sys.executable))
    mim.chmod(0o755)
    monkeypatch.setattr(tool, 'mim', lambda: str(mim))
    args = SimpleNamespace(work_dir=str(tmp_path), cfg_options=[])
    fresh = tool.run_one('aclnet', 'configs/a.py', 0, args, 1)
    argv = json.loads((tmp_path / 'aclnet_seed0' / 'train_argv.json')
                      .read_text())
    assert '--resume' not in argv and not fresh['resumed']
    broken = tmp_path / 'aclnet_seed1'
    broken.mkdir()
    (broken / 'last_checkpoint').write_text(str(broken / 'epoch_30.pth'))
    (broken / 'a.py').write_text('')  # the config the run dumped
    resumed = tool.run_one('aclnet', 'configs/a.py', 1, args, 1)
    argv = json.loads((broken / 'train_argv.json').read_text())
    assert argv.index('--resume') < argv.index('--cfg-options')
    assert resumed['resumed']
    with pytest.raises(ValueError, match='unfinished run of another config'):
        (broken / 'record.json').unlink()
        tool.run_one('aclnet', 'configs/b.py', 1, args, 1)
