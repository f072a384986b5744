"""tools/benchmark.py runs in its quick mode and reports what it promises."""
import importlib.util
import json
import os.path as osp

from conftest import REPO


def load_tool():
    spec = importlib.util.spec_from_file_location(
        'benchmark', osp.join(REPO, 'tools', 'benchmark.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_quick_benchmark(tmp_path, capsys):
    out = tmp_path / 'bench.json'
    result = load_tool().main(['--quick', '--out', str(out)])
    assert set(result['step_seconds']) == {'stock GCNHead', 'ACL',
                                           'ACL + queue'}
    assert result['step_ratio']['stock GCNHead'] == 1
    assert all(t > 0 for t in result['step_seconds'].values())
    assert set(result['family_update_seconds']) == {60, 400}
    # the queue's buffers (32 x 256 floats + labels) come on top of ACL's
    extra = (result['head_buffer_bytes']['ACL + queue'] -
             result['head_buffer_bytes']['ACL'])
    assert extra == 32 * 256 * 4 + 32 * 4
    assert result['head_buffer_bytes']['stock GCNHead'] == 0
    assert json.load(open(out))['setup']['batch_size'] == 4
    printed = capsys.readouterr().out
    assert '| ACL + queue |' in printed and 'family update' in printed
