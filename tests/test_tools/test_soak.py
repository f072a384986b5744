"""tools/soak.py's verdict: ranks that differ, or memory that keeps rising,
fail; a one-time step early on and single-epoch spikes do not."""
import json

import pytest
import torch
from conftest import load_tool

EPOCHS = 20


def write_run(out, memory, differ_at=None):
    soak = load_tool('soak.py')
    folder = out / 'soak'
    folder.mkdir()
    for rank in (0, 1):
        with open(folder / f'memory_rank{rank}.jsonl', 'w') as f:
            for epoch, rss in enumerate(memory[rank], 1):
                f.write(json.dumps(dict(epoch=epoch, rss_mib=rss)) + '\n')
        for epoch in range(1, EPOCHS + 1):
            state = {k: torch.zeros(3) for k in soak.STATE_KEYS}
            if rank == 1 and epoch == differ_at:
                state['queue_ptr'] = torch.ones(3)
            torch.save(state, folder / f'state_rank{rank}_epoch{epoch}.pt')
    return soak


# rank 0 steps up once at epoch 4 (as the 60-epoch run did at epoch 10),
# with a spike in the last quarter; rank 1 is flat
STEP = [700.] * 3 + [780.] * 14 + [850., 780., 780.]
FLAT = [800.] * EPOCHS


def test_flat_memory_and_equal_ranks_pass(tmp_path, capsys):
    soak = write_run(tmp_path, {0: STEP, 1: FLAT})
    assert soak.check(str(tmp_path), EPOCHS, 50.)
    assert 'PASS' in capsys.readouterr().out


@pytest.mark.parametrize('memory, differ_at', [
    ({0: [700. + 8 * e for e in range(EPOCHS)], 1: FLAT}, None),  # a leak
    ({0: STEP, 1: FLAT}, 13),  # one state tensor differs once
])
def test_a_leak_or_a_rank_difference_fails(tmp_path, capsys, memory,
                                           differ_at):
    soak = write_run(tmp_path, memory, differ_at)
    assert not soak.check(str(tmp_path), EPOCHS, 50.)
    out = capsys.readouterr().out
    assert 'FAIL' in out
    if differ_at:
        assert f'({differ_at}, \'queue_ptr\')' in out
