"""tools/data/nw_ucla_to_pyskl.py on real clips from ../shared and bad files.

The real-data tests skip cleanly when the dataset is not there (set
NW_UCLA_ROOT to use another copy).
"""
import json
import os.path as osp
import pickle

import numpy as np
import pytest

from conftest import NW_UCLA, NW_UCLA_CLIPS as CLIPS, REPO, load_tool

converter = load_tool('data/nw_ucla_to_pyskl.py')
convert_nw_ucla = converter.convert_nw_ucla
NWUCLAFormatError = converter.NWUCLAFormatError
SOURCE = NW_UCLA
needs_data = pytest.mark.skipif(
    SOURCE is None, reason='NW-UCLA not found (../shared or NW_UCLA_ROOT)')


@pytest.fixture
def real_clips(nw_ucla_clips):
    return nw_ucla_clips


@needs_data
def test_convert_real_clips(real_clips, tmp_path):
    out = tmp_path / 'ucla.pkl'
    report = convert_nw_ucla(str(real_clips), str(out), progress=False)
    assert report['num_clips'] == len(CLIPS)
    assert sorted(report['short_clips']) == [('a02_s09_e04_v02', 1),
                                            ('a02_s09_e04_v03', 1)]
    assert report['dropped'] == []
    data = pickle.load(open(out, 'rb'))
    by_name = {a['frame_dir']: a for a in data['annotations']}
    clip = by_name['a03_s01_e00_v02']
    assert clip['label'] == 2 and clip['action'] == 3
    assert clip['subject'] == 1 and clip['view'] == 2
    assert clip['keypoint'].dtype == np.float32
    assert clip['keypoint'].shape == (1, clip['total_frames'], 20, 3)
    one = by_name['a02_s09_e04_v02']
    assert one['total_frames'] == 1 and one['keypoint'].shape == (1, 1, 20, 3)
    # cross-view: views 1-2 train, view 3 test
    assert all(by_name[n]['view'] in (1, 2)
               for n in data['split']['xview_train'])
    assert all(by_name[n]['view'] == 3 for n in data['split']['xview_val'])
    assert len(data['split']['xview_val']) == 5
    # the raw coordinates are kept
    raw = json.load(open(real_clips / 'a03_s01_e00_v02.json'))
    np.testing.assert_allclose(clip['keypoint'][0],
                               np.array(raw['skeletons'], np.float32))


@needs_data
def test_min_frames_drops_and_reports(real_clips, tmp_path):
    report = convert_nw_ucla(str(real_clips), str(tmp_path / 'u.pkl'),
                             min_frames=2, progress=False)
    assert sorted(report['dropped']) == ['a02_s09_e04_v02', 'a02_s09_e04_v03']
    assert report['num_clips'] == len(CLIPS) - 2


@needs_data
def test_converter_reads_the_archive(tmp_path):
    if osp.isdir(SOURCE):
        pytest.skip('the dataset here is a folder')
    # the CLI on the whole release: 1484 clips, 1020 / 464
    import subprocess
    import sys
    out = tmp_path / 'all.pkl'
    proc = subprocess.run(
        [sys.executable, osp.join(REPO, 'tools', 'data', 'nw_ucla_to_pyskl.py'),
         SOURCE, '--out', str(out), '--no-progress'],
        capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert "1484 clips, {'xview_train': 1020, 'xview_val': 464}" in proc.stdout
    assert 'degenerate clip a02_s09_e04_v02: 1 frame(s), kept' in proc.stdout


def write_clip(folder, name='a01_s01_e00_v01', **fields):
    record = dict(file_name=name, label=1,
                  skeletons=np.zeros((3, 20, 3)).tolist())
    record.update(fields)
    record = {k: v for k, v in record.items() if v is not None}
    (folder / f'{name}.json').write_text(json.dumps(record))


@pytest.mark.parametrize('fields, message', [
    (dict(label=3), 'field "label" = 3 does not match its action a01'),
    (dict(skeletons=None), "has no field 'skeletons'"),
    (dict(skeletons=np.zeros((3, 25, 3)).tolist()),
     'field "skeletons" has shape (3, 25, 3)'),
    (dict(skeletons=[[[1, 2]]]), 'field "skeletons" has shape'),
    (dict(file_name='clip7'), 'field "file_name" = \'clip7\''),
    (dict(skeletons=[[[float('nan')] * 3] * 20]), 'NaN'),
])
def test_bad_input_names_file_sample_and_field(tmp_path, fields, message):
    folder = tmp_path / 'raw'
    folder.mkdir()
    write_clip(folder, **fields)
    with pytest.raises(NWUCLAFormatError) as info:
        convert_nw_ucla(str(folder), str(tmp_path / 'o.pkl'), progress=False)
    assert message in str(info.value)
    assert 'a01_s01_e00_v01.json' in str(info.value)
    assert not (tmp_path / 'o.pkl').exists()


def test_existing_output_is_never_overwritten(tmp_path):
    folder = tmp_path / 'raw'
    folder.mkdir()
    write_clip(folder)
    out = tmp_path / 'o.pkl'
    out.write_bytes(b'users data')
    with pytest.raises(FileExistsError):
        convert_nw_ucla(str(folder), str(out), progress=False)
    assert out.read_bytes() == b'users data'
    convert_nw_ucla(str(folder), str(out), overwrite=True, progress=False)
    assert pickle.load(open(out, 'rb'))['annotations'][0]['label'] == 0
