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
