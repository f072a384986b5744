"""tools/misc/split_k400_kpfiles.py: PySKL's Kinetics kpfiles to one file per
video, as the Kinetics configs read them."""
import os
import os.path as osp
import pickle
import subprocess
import sys

import numpy as np
import pytest

from conftest import REPO, run
from helpers.tiny_skeletons import write_kinetics

SPLITTER = osp.join(REPO, 'tools', 'misc', 'split_k400_kpfiles.py')


@pytest.fixture(scope='module')
def tiny_data(tmp_path_factory):
    root = tmp_path_factory.mktemp('tiny_k400')
    data = dict(ann_k400=str(root / 'tiny_k400.pkl'),
                kpfile=str(root / 'raw' / 'k400_kpfile_0.pkl'),
                kpfile_dir=str(root / 'kpfiles'))
    os.makedirs(osp.dirname(data['kpfile']))
    write_kinetics(data['ann_k400'], data['kpfile'])
    run([sys.executable, SPLITTER, osp.dirname(data['kpfile']),
         data['kpfile_dir'], '--ann-file', data['ann_k400']], cwd=str(root))
    return data


def test_split_k400_kpfiles(tiny_data, tmp_path):
    """Per-video files hold the kpfile's entries; reruns skip; gaps found."""
    with open(tiny_data['kpfile'], 'rb') as f:
        videos = pickle.load(f)
    for name, item in videos.items():
        with open(osp.join(tiny_data['kpfile_dir'], name + '.pkl'),
                  'rb') as f:
            assert np.array_equal(pickle.load(f)['keypoint'],
                                  item['keypoint'])
    proc = run([sys.executable, SPLITTER, tiny_data['kpfile'],
                tiny_data['kpfile_dir']], cwd=str(tmp_path))
    assert '0 videos written, 6 skipped' in proc.stdout
    empty = tmp_path / 'empty'
    empty.mkdir()
    proc = subprocess.run(
        [sys.executable, SPLITTER, str(empty / 'none.pkl'), str(empty)],
        capture_output=True, text=True)
    assert proc.returncode != 0
    (empty / 'one.pkl').write_bytes(
        pickle.dumps({'k400_000': videos['k400_000']}))
    proc = subprocess.run(
        [sys.executable, SPLITTER, str(empty / 'one.pkl'), str(empty / 'out'),
         '--ann-file', tiny_data['ann_k400']],
        capture_output=True, text=True)
    assert proc.returncode == 1
    assert '5 videos of' in proc.stdout
