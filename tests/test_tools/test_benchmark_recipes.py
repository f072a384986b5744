"""tools/benchmark_recipes.py: both recipes timed, and a public code's two
loss modules loaded from a folder and timed beside them (here a stand-in of
the same interface: the real code is not part of this project)."""
import json

import pytest

from conftest import load_tool

STAND_IN = '''
import torch


class {name}(torch.nn.Module):

    def __init__(self, n_class, *args, n_channel=625, h_channel=256, **kw):
        super().__init__()
        self.cl_fc = torch.nn.Linear(n_channel, h_channel)
        self.Neighborhood_Bank = []

    def forward(self, feature, lbl, *logit):
        with open(__file__ + '.calls', 'a') as f:
            f.write(f'{{len(lbl)}}\\n')
        return self.cl_fc(feature).pow(2).mean()
'''


def stand_in(root):
    folder = root / 'aclnet' / 'models' / 'losses'
    folder.mkdir(parents=True)
    for name in ('Inter_Affinitive_Contrastive_Loss',
                 'Intra_Affinitive_Contrastive_Loss'):
        (folder / f'{name}.py').write_text(STAND_IN.format(name=name))
    return root


SMALL = ['--batch-sizes', '4', '8', '--num-classes', '6', '--num-joints',
         '3', '--memory', '16', '--channels', '8', '--embed-dim', '8',
         '--repeats', '2', '--warmup', '1']


def test_times_both_recipes_and_the_public_code(tmp_path, capsys):
    tool = load_tool('benchmark_recipes.py')
    out = tmp_path / 'recipes.json'
    result = tool.main(SMALL + ['--public-code', str(stand_in(tmp_path)),
                                '--out', str(out)])
    for batch in (4, 8):
        entry = result['batches'][batch]
        assert set(entry['seconds']) == {'equations', 'authors',
                                         'public code'}
        assert all(t > 0 for t in entry['seconds'].values())
        assert entry['public_over']['authors'] == pytest.approx(
            entry['seconds']['public code'] / entry['seconds']['authors'])
    calls = (tmp_path / 'aclnet' / 'models' / 'losses' /
             'Inter_Affinitive_Contrastive_Loss.py.calls').read_text().split()
    # the memory is filled first (16 / 4 + 1 steps), then warm-up and
    # repeats, a call a step
    assert calls == ['4'] * (5 + 3) + ['8'] * (3 + 3)
    assert json.load(open(out))['setup']['topology_dim'] == 9
    printed = capsys.readouterr().out
    assert 'public code / authors' in printed and '| 8 |' in printed


def test_without_the_public_code_and_a_wrong_folder(tmp_path):
    tool = load_tool('benchmark_recipes.py')
    result = tool.main(SMALL)
    assert set(result['batches'][4]['seconds']) == {'equations', 'authors'}
    with pytest.raises(FileNotFoundError, match='firework8/ACLNet'):
        tool.main(SMALL + ['--public-code', str(tmp_path)])
