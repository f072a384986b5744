"""tools/analysis/method_state.py: losses and families from run folders."""
import importlib.util
import json
import os.path as osp

import pytest

from conftest import REPO


def load_tool():
    spec = importlib.util.spec_from_file_location(
        'method_state', osp.join(REPO, 'tools', 'analysis', 'method_state.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def write_run(root, name, sessions, families=()):
    """A run folder: ``sessions`` lists the scalars of each log session."""
    run = root / name
    for number, rows in enumerate(sessions):
        vis = run / f'2026010{number}_000000' / 'vis_data'
        vis.mkdir(parents=True)
        (vis / 'scalars.json').write_text(
            '\n'.join(json.dumps(r) for r in rows) + '\n')
    if families:
        (run / 'motion_families').mkdir()
    for epoch, mean, largest, temps in families:
        (run / 'motion_families' / f'epoch_{epoch}.json').write_text(
            json.dumps(dict(
                epoch=epoch,
                statistics=dict(mean_family_size=mean,
                                max_family_size=largest),
                classes_per_temperature=temps)))
    return run


def it(epoch, step, inter, intra):
    return dict(epoch=epoch, step=step, loss=1.0, loss_cls=1.0,
                loss_inter=inter, loss_intra=intra)


def test_losses_are_epoch_means_and_a_resume_replaces_steps(tmp_path):
    run = write_run(tmp_path, 'aclnet_seed0', [
        [it(1, 10, 0.0, 0.2), it(1, 20, 0.0, 0.4), it(2, 30, 0.3, 0.1),
         {'acc/top1': 0.5, 'step': 2}],  # a validation line: no losses
        [it(2, 30, 0.1, -0.1), it(2, 40, 0.2, -0.3)],  # resumed at step 30
    ])
    losses = load_tool().epoch_losses(str(run))
    assert losses[1] == pytest.approx(dict(loss_inter=0.0, loss_intra=0.3))
    assert losses[2] == pytest.approx(dict(loss_inter=0.15, loss_intra=-0.2))


def test_table_over_seeds_leaves_out_baselines(tmp_path):
    tool = load_tool()
    write_run(tmp_path, 'baseline_seed0', [[dict(
        epoch=1, step=10, loss=2.0, loss_cls=2.0)]])
    write_run(tmp_path, 'aclnet_seed0', [
        [it(1, 10, 0.0, 0.2), it(2, 20, 0.1, -0.05), it(3, 30, 0.08, -0.07)]],
        families=[(1, 4.0, 5, {'0.1': 2, '0.5': 8, '1': 0}),
                  (2, 4.4, 6, {'0.1': 1, '0.5': 9, '1': 0})])
    write_run(tmp_path, 'aclnet_seed1', [
        [it(1, 10, 0.0, 0.3), it(2, 20, 0.12, -0.01), it(3, 30, 0.06, -0.09)]],
        families=[(1, 4.2, 5, {'0.1': 3, '0.5': 7, '1': 0}),
                  (2, 4.0, 5, {'0.1': 3, '0.5': 6, '1': 1})])
    runs = tool.collect(str(tmp_path))
    assert list(runs) == ['aclnet']
    assert sorted(runs['aclnet']) == [0, 1]
    # Families first used in epoch 2 (saved at the end of 1); last epoch 3.
    assert tool.default_epochs(runs) == [2, 3]
    lines = tool.table(runs, [2, 3]).splitlines()
    assert len(lines) == 3
    cells = [c.strip() for c in lines[2].strip('|').split('|')]
    assert cells == [
        'aclnet', '0, 1', '0.100 to 0.120', '0.060 to 0.080',
        '-0.050 to -0.010', '-0.090 to -0.070', '1-2',
        '4.0 to 4.2 / 4.0 to 4.4', '5 to 6',
        '0.1: 1 to 3, 0.5: 6 to 9, 1: 0 to 1']


def test_bad_input_names_the_file(tmp_path):
    tool = load_tool()
    run = write_run(tmp_path, 'aclnet_seed0', [[it(1, 10, 0.0, 0.2)]])
    with open(run / '20260100_000000' / 'vis_data' / 'scalars.json',
              'a') as f:
        f.write('{"epoch": 1, "step"\n')
    with pytest.raises(ValueError, match=r'scalars\.json, line 2: not JSON'):
        tool.collect(str(tmp_path))
    with pytest.raises(FileNotFoundError, match='nowhere'):
        tool.collect(str(tmp_path / 'nowhere'))
    with pytest.raises(ValueError, match=r"arm\(s\) \['intra'\]"):
        tool.collect(str(tmp_path), arms=['intra'])


def test_main_writes_the_table(tmp_path, capsys):
    write_run(tmp_path, 'aclnet_seed3', [[it(1, 10, 0.0, 0.2)]])
    out = tmp_path / 'state.md'
    load_tool().main([str(tmp_path), '--out', str(out)])
    text = out.read_text()
    assert text.strip() == capsys.readouterr().out.strip()
    assert '| aclnet | 3 | 0.000 | 0.200 | none | - | - | - |' in text


def write_record(run, top1):
    run.mkdir(parents=True, exist_ok=True)
    (run / 'record.json').write_text(json.dumps(dict(top1=top1)))


def write_families(run, states):
    """``states``: {epoch: {class: (members, temperature)}} of three
    classes, as the hook saves them."""
    (run / 'motion_families').mkdir()
    for epoch, families in states.items():
        classes = [dict(index=i, members=families.get(i, ([], 0.5))[0],
                        temperature=families.get(i, ([], 0.5))[1])
                   for i in range(3)]
        sizes = [len(c['members']) for c in classes]
        (run / 'motion_families' / f'epoch_{epoch}.json').write_text(
            json.dumps(dict(
                epoch=epoch, classes=classes,
                classes_per_temperature={},
                statistics=dict(mean_family_size=sum(sizes) / 3,
                                max_family_size=max(sizes)))))


def test_stability_churn_temperatures_and_switch_on(tmp_path):
    tool = load_tool()
    runs = {}
    for seed, (acc, base, states) in {
            # recomputes: +(0,2) of 3 members, then -(0,1) of 2 members:
            # churn 1/3 and 1/2; class 1 and then class 2 change band
            0: (0.80, 0.78, {1: {0: ([1], 0.5), 1: ([0], 0.5),
                                 2: ([], 0.1)},
                             2: {0: ([1, 2], 0.5), 1: ([0], 0.1),
                                 2: ([], 0.1)},
                             3: {0: ([2], 0.5), 1: ([0], 0.1),
                                 2: ([], 0.5)}}),
            1: (0.70, 0.69, {1: {0: ([1], 0.5)},
                             2: {0: ([1, 2], 0.5)}}),  # 1 of 2: 1/2
            2: (0.60, 0.63, {1: {0: ([1], 0.5)},
                             2: {0: ([2], 0.5)}}),  # 2 of 1: 2
    }.items():
        run = write_run(tmp_path, f'aclnet_seed{seed}', [[
            it(1, 10, 0.0, 0.2), it(2, 20, 0.3, 0.1), it(3, 30, 0.2, 0.1)]])
        write_families(run, states)
        write_record(run, acc)
        write_record(tmp_path / f'baseline_seed{seed}', base)
    runs = tool.collect(str(tmp_path), ['aclnet'])
    lines = tool.stability(str(tmp_path), runs, 'baseline').splitlines()
    cells = [c.strip() for c in lines[2].strip('|').split('|')]
    assert cells == ['aclnet', '0', '80.00', '+2.00', '3', '0.417', '0.500',
                     '1.0', '0.67', '0.000, 0.300, 0.200']
    assert lines[4].split('|')[6].strip() == '2.000'  # seed 2's churn
    # churn (5/12, 1/2, 2) against the differences (+2, +1, -3), by hand:
    # sum dx dy = -14/3, sum dx^2 = 1.58796, sum dy^2 = 14
    assert ('Correlation of churn per recompute with the paired difference '
            'over 3 runs: -0.99') in lines


def write_validation(run, session, points):
    """Validation top-1 (fractions) at epochs, as a log session saves them."""
    vis = run / session / 'vis_data'
    vis.mkdir(parents=True, exist_ok=True)
    (vis / 'scalars.json').write_text(''.join(
        json.dumps({'acc/top1': acc, 'acc/top5': 1.0, 'step': epoch}) + '\n'
        for epoch, acc in points.items()))


def test_a_retrieval_run_is_scored_by_its_sequence_rank1(tmp_path):
    tool = load_tool()
    run = tmp_path / 'aclnet_seed0'
    run.mkdir()
    (run / 'record.json').write_text(json.dumps(dict(retrieval={
        'clip/rank1': 0.4, 'sequence/rank1': 0.75, 'sequence/mAP': 0.7})))
    vis = run / 's' / 'vis_data'
    vis.mkdir(parents=True)
    (vis / 'scalars.json').write_text(json.dumps({
        'retrieval/clip/rank1': 0.3, 'retrieval/sequence/rank1': 0.625,
        'step': 16}) + '\n')
    assert tool.top1(str(run)) == 75.0
    assert tool.validation_top1(str(run)) == {16: 62.5}


def test_trajectory_pairs_seeds_by_epoch(tmp_path):
    tool = load_tool()
    base = {0: (0.50, 0.80), 1: (0.60, 0.81), 2: (0.70, 0.82)}
    ours = {0: (0.52, 0.83), 1: (0.59, 0.80), 2: (0.73, 0.85)}
    for arm, table in (('baseline', base), ('aclnet', ours)):
        for seed, (val, test) in table.items():
            run = tmp_path / f'{arm}_seed{seed}'
            # a first session's value at epoch 10, replaced on resuming
            write_validation(run, '20260100_000000', {10: 0.0})
            write_validation(run, '20260101_000000', {10: val})
            write_record(run, test)
    write_validation(tmp_path / 'aclnet_seed7', 's', {10: 0.9})  # unpaired
    lines = tool.trajectory(str(tmp_path), None, 'baseline').splitlines()
    rows = [[c.strip() for c in line.strip('|').split('|')]
            for line in lines[2:]]
    # epoch 10: differences +2, -1, +3; mean 4/3, sd sqrt(13/3), s.e. 1.20;
    # against the test differences +3, -1, +3: r = 84 / sqrt(78 * 96)
    assert rows[0] == ['aclnet', '10', '3', '61.33 ± 10.69',
                       '60.00 ± 10.00', '+1.33 (1.20)', '+2.0, -1.0, +3.0',
                       '+0.97']
    assert rows[1] == ['aclnet', 'test', '3', '82.67 ± 2.52', '81.00 ± 1.00',
                       '+1.67 (1.33)', '+3.0, -1.0, +3.0', '-']
    assert len(rows) == 2
    with pytest.raises(ValueError, match="baseline arm 'base'"):
        tool.trajectory(str(tmp_path), None, 'base')
    with pytest.raises(ValueError, match=r"arm\(s\) \['intra'\]"):
        tool.trajectory(str(tmp_path), ['intra'], 'baseline')


def write_topology_log(run, session, epochs):
    """A session log with TopologyMonitorHook's lines, {epoch: values}."""
    folder = run / session
    folder.mkdir(parents=True)
    lines = ['2026/01/01 00:00:00 - mmengine - INFO - Epoch(train) [1][1/1]']
    for epoch, (alpha, beta, rms) in epochs.items():
        lines.append(f'2026/01/01 00:00:01 - mmengine - INFO - Topology at '
                     f'epoch {epoch}: alpha {alpha:.6f}, beta {beta:.6f}, '
                     f'rms of the last block\'s topology {rms:.6f}')
    (folder / f'{session}.log').write_text('\n'.join(lines) + '\n')


def test_topology_over_seeds_and_a_resume_replaces_epochs(tmp_path, capsys):
    tool = load_tool()
    # seed 0 resumed at epoch 2: the second session's line replaces the first
    write_topology_log(tmp_path / 'aclnet_seed0', '20260100_000000',
                       {1: (0.0, 0.0, 0.0), 2: (9.0, 9.0, 9.0)})
    write_topology_log(tmp_path / 'aclnet_seed0', '20260101_000000',
                       {2: (-0.5, 0.1, 0.2)})
    write_topology_log(tmp_path / 'aclnet_seed1', '20260100_000000',
                       {2: (0.3, 0.3, 0.4)})
    write_topology_log(tmp_path / 'baseline_seed0', '20260100_000000',
                       {2: (0.1, 0.0, 0.01)})
    (tmp_path / 'other_seed0').mkdir()  # no lines: not an arm of the table
    rows = [[c.strip() for c in line.strip('|').split('|')] for line in
            tool.topology_table(str(tmp_path), None, None).splitlines()[2:]]
    # alpha at epoch 2: -0.5 and 0.3, mean -0.1, sd sqrt(0.32) = 0.5657;
    # |alpha| 0.5 and 0.3, mean 0.4, sd sqrt(0.02) = 0.1414
    assert rows == [
        ['aclnet', '1', '0', '0.0000', '0.0000', '0.0000', '0.0000'],
        ['aclnet', '2', '0, 1', '-0.1000 ± 0.5657', '0.4000 ± 0.1414',
         '0.2000 ± 0.1414', '0.3000 ± 0.1414'],
        ['baseline', '2', '0', '0.1000', '0.1000', '0.0000', '0.0100'],
    ]
    tool.main([str(tmp_path), '--topology', '--arms', 'baseline',
               '--epochs', '2', '5'])
    assert capsys.readouterr().out.splitlines()[2:] == [
        '| baseline | 2 | 0 | 0.1000 | 0.1000 | 0.0000 | 0.0100 |']
    with pytest.raises(ValueError, match=r"arm\(s\) \['other'\]"):
        tool.topology_table(str(tmp_path), ['other'], None)


def test_coverage_of_the_families_in_force(tmp_path):
    """Three classes with 1, 2 and 3 training samples. Families saved at
    the end of epoch 1 (class 0 with {1}, class 1 with {0}: 3 of the 6
    samples) act in epochs 2 and 3; those of epoch 3 (every class: the
    authors' recipe can list a class in its own family) in epoch 4."""
    import pickle
    tool = load_tool()
    ann = tmp_path / 'data.pkl'
    labels = [0, 1, 1, 2, 2, 2]
    with open(ann, 'wb') as f:
        pickle.dump(dict(split=dict(train=[f'c{i}' for i in range(6)],
                                    test=['t']),
                         annotations=[dict(frame_dir=f'c{i}', label=y)
                                      for i, y in enumerate(labels)] +
                         [dict(frame_dir='t', label=0)]), f)
    for seed, last in ((0, [[0], [1, 2], [0, 2]]), (1, [[0, 1], [], [2]])):
        run = write_run(tmp_path / 'runs', f'aclnet_seed{seed}', [[
            it(e, 10 * e, 0.1, 0.1) for e in (1, 2, 3, 4)]])
        (run / 'motion_families').mkdir()
        for epoch, members in ((1, [[1], [0], []]), (3, last)):
            (run / 'motion_families' / f'epoch_{epoch}.json').write_text(
                json.dumps(dict(
                    epoch=epoch, statistics={}, classes_per_temperature={},
                    num_classes=3, classes=[
                        dict(index=i, members=m)
                        for i, m in enumerate(members)])))
        (run / 'aclnet.py').write_text(
            f'model = dict(cls_head=dict(num_classes=3))\n'
            f'train_dataloader = dict(dataset=dict(type="RepeatDataset", '
            f'dataset=dict(ann_file="{ann}", split="train")))\n')
    write_run(tmp_path / 'runs', 'baseline_seed0', [[dict(
        epoch=1, step=10, loss=2.0, loss_cls=2.0)]])
    figure = tmp_path / 'coverage.png'
    text = tool.coverage(str(tmp_path / 'runs'), None, None, str(figure))
    rows = [[c.strip() for c in line.strip('|').split('|')]
            for line in text.splitlines()[2:]]
    # epoch 4: seed 0 sizes (1, 2, 2) -> 5/3, every sample; seed 1 sizes
    # (2, 0, 1) -> 1, samples of classes 0 and 2: 4 of 6
    assert rows == [
        ['aclnet', '1', '0, 1', '0.00 ± 0.00', '0.0 ± 0.0'],
        ['aclnet', '2', '0, 1', '0.67 ± 0.00', '50.0 ± 0.0'],
        ['aclnet', '3', '0, 1', '0.67 ± 0.00', '50.0 ± 0.0'],
        ['aclnet', '4', '0, 1', '1.33 ± 0.47', '83.3 ± 23.6']]
    assert figure.stat().st_size > 0
    with pytest.raises(ValueError, match='baseline'):
        tool.coverage(str(tmp_path / 'runs'), ['baseline'], None, None)
