"""tools/demo.py's verdict against the measured band, and the band tool."""
import json

from conftest import load_tool

demo = load_tool('demo.py')
demo_band = load_tool('misc/demo_band.py')

BAND = dict(mean=90.0, low=88.0, high=92.5, runs=4, seeds=(0, 1),
            kernels=('AVX2', 'AVX512'), cpu='Some CPU')


def test_judge_inside_and_outside_the_band():
    inside = demo.judge(88.0, BAND)
    assert 'mean 90.0 %, 88.0-92.5 %' in inside
    assert '4 runs: seeds 0, 1 on AVX2 / AVX512 kernels, Some CPU' in inside
    assert inside.endswith('This result is inside it.')
    for top1 in (87.9, 92.6):
        outside = demo.judge(top1, BAND)
        assert f'This result ({top1:.1f} %) is OUTSIDE it' in outside
    assert demo.judge(50.0, dict(BAND, runs=0)).startswith('No band')


def test_the_committed_band_was_measured():
    band = demo.MEASURED_BAND
    assert band['runs'] >= 10 and len(band['seeds']) >= 5
    assert len(band['kernels']) >= 2
    assert band['low'] <= band['mean'] <= band['high']
    # the bar: every run within 3 points of the mean
    assert band['high'] - band['mean'] <= 3 and band['mean'] - band['low'] <= 3


def test_lonely_classes_are_named(capsys):
    record = dict(epoch=16, num_neighbors=2, overlap_threshold=1, classes=[
        dict(index=0, name='a', members=[1, 2], member_names=['b', 'c'],
             temperature=0.1),
        dict(index=1, name='b', members=[], member_names=[],
             temperature=0.1),
        dict(index=2, name='c', members=[0], member_names=['a'],
             temperature=0.1),
        dict(index=3, name='d', members=[], member_names=[],
             temperature=0.1)])
    demo.show_families('latest.json', record, groups=((0, 1, 2), (3, )))
    out = capsys.readouterr().out
    assert '                   b (tau=0.1): -' in out
    assert 'No family for b:' in out  # d has no group to be confused in
    assert 'd,' not in out.split('No family for')[1]


def _result(kernels, seed, top1, lonely=()):
    families = [[] if i in lonely else [(i + 1) % 3] for i in range(3)]
    return dict(kernels=kernels, seed=seed, top1=top1, mean1=top1 - 1,
                train_seconds=100.0, threads=1, families=families)


def test_band_and_table():
    results = [_result('AVX512', 0, 90.0), _result('AVX512', 1, 92.0),
               _result('AVX2', 0, 87.0, lonely=(2, )),
               _result('AVX2', 1, 91.0)]
    band = demo_band.band(results)
    assert (band['mean'], band['low'], band['high'], band['runs']) == (
        90.0, 87.0, 92.0, 4)
    assert band['seeds'] == (0, 1) and band['kernels'] == ('AVX2', 'AVX512')
    text = demo_band.table(results)
    assert '| AVX2 | 0 | 87.0 | 86.0 | 100 | 1 | [2] |' in text
    assert '- AVX2: mean 89.00 %, 87.0-91.0 over 2 runs' in text
    assert '- all: mean 90.00 %, 87.0-92.0 (-3.0 / +2.0 around the mean)' \
        in text


def test_finished_runs_are_reused(tmp_path):
    folder = tmp_path / 'avx2_1t_seed3'
    folder.mkdir()
    (folder / 'result.json').write_text(json.dumps(_result('AVX2', 3, 80.)))
    args = demo_band.parse_args(['--work-dir', str(tmp_path)])
    result = demo_band.run_one('avx2', 3, args, threads=1)  # no training
    assert result['top1'] == 80.0 and result['kernel_asked'] == 'avx2'


def test_the_band_takes_every_finished_run(tmp_path, capsys):
    """Finished runs are reused (no training, no data written), and runs
    of another thread count in the folder join the band."""
    for name, result in (('avx2_1t_seed0', _result('AVX2', 0, 90.0)),
                         ('avx2_1t_seed1', _result('AVX2', 1, 92.0)),
                         ('avx512_2t_seed0', _result('AVX512', 0, 97.0))):
        (tmp_path / name).mkdir()
        (tmp_path / name / 'result.json').write_text(json.dumps(result))
    demo_band.main(['--work-dir', str(tmp_path), '--seeds', '0', '1',
                    '--kernels', 'avx2', '--jobs', '2'])
    saved = json.loads((tmp_path / 'results.json').read_text())
    assert len(saved['runs']) == 3
    assert (saved['band']['low'], saved['band']['high']) == (90.0, 97.0)
    assert 'MEASURED_BAND = dict(mean=93.0' in capsys.readouterr().out
