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
    assert all(b > 0 for b in result['peak_step_bytes'].values())
    setup = json.load(open(out))['setup']
    assert (setup['batch_size'], setup['blocks']) == (4, 4)
    printed = capsys.readouterr().out
    assert '| ACL + queue |' in printed and 'family update' in printed


def test_quick_benchmark_mixed_precision(capsys):
    """--amp: the forward runs under float16 autocast, backward and the
    optimiser step outside it."""
    import torch
    tool = load_tool()
    result = tool.main(['--quick', '--amp', '--no-peak-memory'])
    assert result['setup']['amp'] is True
    assert set(result['peak_step_bytes'].values()) == {None}
    assert all(t > 0 for t in result['step_seconds'].values())
    assert 'mixed precision' in capsys.readouterr().out

    class Model(torch.nn.Linear):
        dtypes = []

        def forward(self, inputs, data, mode):
            out = super().forward(inputs)
            self.dtypes.append((out.dtype, torch.is_autocast_enabled('cpu')))
            return dict(loss=out.float().sum())

    for amp, dtype in ((True, torch.float16), (False, torch.float32)):
        model = Model(2, 2)
        runner = tool.StepRunner(model, torch.device('cpu'), amp=amp)
        before = model.weight.detach().clone()
        runner(torch.ones(3, 2), None)
        assert model.dtypes[-1] == (dtype, amp)
        assert model.weight.dtype == torch.float32  # master weights
        assert not torch.equal(model.weight, before)  # a step was taken
        assert runner.scaler is None  # CPU: no loss scale


def test_sync_debug_needs_cuda():
    import pytest
    with pytest.raises(SystemExit):
        load_tool().parse_args(['--sync-debug'])


def test_stock_equivalents_give_the_same_arrays():
    """The --pipeline comparison times stock transforms that compute what
    ours do: FastPreNormalize3D(center_joint) against PreNormalize3D +
    CenterOnJoint, and a joint-stream SkeletonFeat of any layout against
    GenSkeFeat (the joint stream ignores the layout). One known difference:
    the stock chain loses the last joint of the first frame (PreNormalize3D
    centres a 20-joint skeleton on it, making it exactly zero, and
    CenterOnJoint keeps exact zeros as padding); FastPreNormalize3D keeps
    it."""
    import numpy as np
    from mmaction.registry import TRANSFORMS
    from mmaction.utils import register_all_modules
    register_all_modules(init_default_scope=True)
    tool = load_tool()
    ours = [dict(type='FastPreNormalize3D', zaxis=[0, 1], xaxis=[8, 4],
                 center_joint=1),
            dict(type='SkeletonFeat', layout='nw-ucla', feats=['j'])]
    stock = [s for step in ours for s in tool.stock_equivalent(step)]
    assert [s['type'] for s in stock] == ['PreNormalize3D', 'CenterOnJoint',
                                          'GenSkeFeat']
    assert tool.stock_equivalent(
        dict(type='SkeletonFeat', layout='nw-ucla', feats=['b'])) is None
    rng = np.random.default_rng(0)
    clip = dict(keypoint=rng.normal(size=(1, 30, 20, 3)).astype(np.float32),
                total_frames=30, img_shape=(480, 640))
    outputs = []
    for steps in (ours, stock):
        results = {k: (v.copy() if hasattr(v, 'copy') else v)
                   for k, v in clip.items()}
        for step in steps:
            results = TRANSFORMS.build(step)(results)
        outputs.append(results['keypoint'])
    ours_out, stock_out = outputs
    assert (stock_out[0, 0, -1] == 0).all() and (ours_out[0, 0, -1] != 0).all()
    stock_out[0, 0, -1] = ours_out[0, 0, -1]
    np.testing.assert_allclose(ours_out, stock_out, atol=1e-5)
