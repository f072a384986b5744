"""tools/check_data.py: the check on its own, a summary, exit codes."""
import os
import os.path as osp
import pickle
import subprocess
import sys

import numpy as np
import pytest

from conftest import DEMO_CONFIG, REPO, load_tool

check_data = load_tool('check_data.py')


def spoiled(tiny_dataset, folder, change, name='bad.pkl'):
    with open(tiny_dataset['ann_file'], 'rb') as f:
        data = pickle.load(f)
    change(data)
    path = str(folder / name)
    with open(path, 'wb') as f:
        pickle.dump(data, f)
    return path, data


def run_main(argv, capsys):
    code = check_data.main(argv)
    out = capsys.readouterr()
    return code, out.out, out.err


def test_a_good_file_with_its_config(tiny_dataset, capsys):
    path = tiny_dataset['ann_file']
    before = open(path, 'rb').read()
    code, out, _ = run_main([path, '--config', DEMO_CONFIG], capsys)
    assert code == 0, out
    with open(path, 'rb') as f:
        data = pickle.load(f)
    train = [a for a in data['annotations']
             if a['frame_dir'] in set(data['split']['xsub_train'])]
    frames = [a['keypoint'].shape[1] for a in train]
    assert f'splits: xsub_train ({len(train)}), xsub_val' in out
    assert f"split 'xsub_train' (train, expected: labels in [0, 12), 25 " \
        "joints (GenSkeFeat(dataset='nturgb+d')), 3D keypoints " \
        f"(FastPreNormalize3D)): {len(train)} samples" in out
    assert "split 'xsub_val' (val, test, expected: labels in [0, 12) or " \
        '-1' in out
    assert f'frames       min {min(frames)}, median ' \
        f'{np.median(frames):g}, max {max(frames)}' in out
    persons = [a['keypoint'].shape[0] for a in train]
    assert f'persons      {min(persons)} to {max(persons)}' in out
    assert f'joints       25 ({len(train)} samples)' in out
    assert f'coordinates  3 ({len(train)} samples)' in out
    assert 'labels       0 to 11, 12 distinct' in out
    assert out.rstrip().endswith(f'No problem found in {path}.')
    assert open(path, 'rb').read() == before


def test_problems_listed_and_exit_1(tiny_dataset, tmp_path, capsys):
    def change(data):
        data['annotations'][1]['keypoint'] = np.ascontiguousarray(
            data['annotations'][1]['keypoint'][..., :2])
        for i in (2, 4, 6):
            data['annotations'][i]['label'] = 50

    path, data = spoiled(tiny_dataset, tmp_path, change)
    before = open(path, 'rb').read()
    code, out, _ = run_main([path, '--config', DEMO_CONFIG,
                             '--max-examples', '2'], capsys)
    assert code == 1
    name = data['annotations'][1]['frame_dir']
    assert f"sample 1 (frame_dir='{name}'): \"keypoint\" has shape" in out
    assert '2D data with a 3D config' in out
    assert 'labels out of range: 3 samples; with num_classes=12' in out
    assert '... and 1 more' in out
    assert 'coordinates  2 (1 sample), 3 (' in out
    assert out.rstrip().endswith(f'4 problems in {path} (it was not '
                                 'modified).')
    assert open(path, 'rb').read() == before
    # without the config: labels against --num-classes, samples agreeing
    code, out, _ = run_main([path, '--num-classes', '60', '--split',
                             'xsub_train'], capsys)
    assert code == 1
    assert "split 'xsub_val'" not in out
    assert 'labels out of range' not in out
    assert '2 coordinates per joint, while' in out


def test_without_config_every_split_and_minus_one(tiny_dataset, tmp_path,
                                                  capsys):
    def change(data):
        val = set(data['split']['xsub_val'])
        for a in data['annotations']:
            a['label'] = -1 if a['frame_dir'] in val else a['label']

    path, _ = spoiled(tiny_dataset, tmp_path, change)
    code, out, _ = run_main([path], capsys)
    assert code == 0, out  # -1 is fine outside a split named train
    assert "split 'xsub_train'" in out and "split 'xsub_val'" in out
    assert 'samples are labelled -1' in out
    path, _ = spoiled(tiny_dataset, tmp_path,
                      lambda d: d['annotations'][0].update(label=-1))
    code, out, _ = run_main([path], capsys)
    assert code == 1 and '"label" = -1' in out


def test_the_config_splits_and_an_absent_split(tiny_dataset, tmp_path,
                                               capsys):
    path = tiny_dataset['ann_file']
    code, out, _ = run_main([path, '--config', DEMO_CONFIG, '--split',
                             'xsub_val', 'xset_val'], capsys)
    assert code == 1
    assert "split 'xsub_train'" not in out
    assert "split 'xsub_val' (val, test" in out
    assert "split 'xset_val' (not in the config" in out
    assert "\"split\" has no 'xset_val'; its splits are 'xsub_train', " \
        "'xsub_val'" in out


def test_cli_exit_codes(tiny_dataset, tmp_path, capsys):
    """The script as a user runs it: 0 fine, 1 problems or unreadable, 2 a
    bad argument (one run as a process, for the exit wiring; the rest
    through main())."""
    tool = osp.join(REPO, 'tools', 'check_data.py')
    env = dict(os.environ, OMP_NUM_THREADS='1')

    def cli(*argv):
        return subprocess.run([sys.executable, tool, *argv], cwd=REPO,
                              capture_output=True, text=True, env=env)

    path, _ = spoiled(tiny_dataset, tmp_path,
                      lambda d: d['annotations'][3]['keypoint'].fill(np.nan))
    proc = cli(path, '--config', DEMO_CONFIG)
    assert proc.returncode == 1, proc.stderr
    assert 'NaN or inf values: 1 sample' in proc.stdout
    code, _, _ = run_main([tiny_dataset['ann_file']], capsys)
    assert code == 0

    text = tmp_path / 'notes.pkl'
    text.write_text('not a pickle\n')
    code, _, err = run_main([str(text)], capsys)
    assert code == 1
    assert f'{text}: cannot be loaded as a pickle' in err
    with pytest.raises(SystemExit) as exit_:
        check_data.main([path, '--num-classes', '0'])
    assert exit_.value.code == 2


@pytest.mark.parametrize('config', [
    'aclnet/gym/aclnet_stgcnpp_8xb16-joint-u100-150e_gym-keypoint-2d.py',
    'aclnet/k400/aclnet_stgcnpp_8xb16-joint-u100-150e_k400-keypoint-2d.py',
])
def test_2d_configs(config, tmp_path, capsys):
    """COCO keypoints (x, y) + keypoint_score for FineGYM; a table of
    contents with the keypoints in per-video files for Kinetics."""
    rng = np.random.default_rng(0)

    def sample(i, joints=17, coords=2):
        return dict(frame_dir=f'v{i}', label=i, total_frames=4,
                    keypoint=rng.uniform(0, 500, (1, 4, joints, coords)),
                    keypoint_score=rng.uniform(0, 1, (1, 4, joints)))

    anns = [sample(i) for i in range(3)] + [sample(3, 25, 3)]
    data = dict(split=dict(train=['v0', 'v1', 'v2', 'v3'], val=['v0']),
                annotations=anns)
    path = str(tmp_path / 'two_d.pkl')
    with open(path, 'wb') as f:
        pickle.dump(data, f)
    code, out, _ = run_main([path, '--config',
                             osp.join(REPO, 'configs', config)], capsys)
    if 'k400' in config:  # keypoints in skeleton files: not in this one
        assert code == 0, out
        return
    assert code == 1
    assert "sample 3 (frame_dir='v3'): \"keypoint\" has shape (1, 4, 25, 3) " \
        'and a "keypoint_score": 3 coordinates per joint, 3D data with a 2D ' \
        'config' in out
    assert "25 joints, the config's layout has 17 (Coco17To20)" in out


def test_an_empty_split_and_clips_without_annotation(tiny_dataset, tmp_path,
                                                     capsys):
    def change(data):
        data['split']['xsub_train'] = []
        data['split']['xsub_val'] += ['gone1', 'gone2']

    path, _ = spoiled(tiny_dataset, tmp_path, change)
    code, out, _ = run_main([path, '--config', DEMO_CONFIG], capsys)
    assert code == 1
    assert '"split"[\'xsub_train\'] is empty: it names no clip' in out
    assert 'clips the split names but no annotation has: 2 clips; ' \
        '"split"[\'xsub_val\'] names 26' in out
    assert "frame_dir='gone1'" in out and "frame_dir='gone2'" in out
    assert '3 problems' in out
    assert out.rstrip().endswith('--missing-clips warn.')
    # the switch: the clips a warning, the empty split still a problem
    code, out, _ = run_main([path, '--missing-clips', 'warn'], capsys)
    assert code == 1 and '1 problem in' in out
    assert "warning: 2 of the 26 clips of split 'xsub_val' have no " \
        "annotation and are left out: 'gone1', 'gone2'" in out
    path, _ = spoiled(tiny_dataset, tmp_path,
                      lambda d: d['split']['xsub_val'].append('gone'),
                      name='missing.pkl')
    code, out, _ = run_main([path, '--missing-clips', 'warn'], capsys)
    assert code == 0, out
    code, out, _ = run_main([path], capsys)
    assert code == 1 and "frame_dir='gone'" in out
