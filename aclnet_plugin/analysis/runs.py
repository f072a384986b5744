"""Configs and checkpoints for the analysis tools: checks and test runs.

mmengine's ``Runner`` loads ``load_from`` with ``strict=False``: a
checkpoint of another model is loaded with a warning and the test then runs
a partly random network. The tools check a checkpoint against its config
first (:func:`check_num_classes`, then :func:`check_state_dict` against the
built model) so that such a mistake is an error naming both files.
"""
import copy
import os.path as osp
import uuid
from typing import Dict, List, Optional, Sequence, Tuple

__all__ = [
    'load_checkpoint_state', 'checkpoint_epoch', 'checkpoint_num_classes',
    'config_num_classes', 'check_num_classes', 'check_state_dict',
    'config_class_names', 'resolve_class', 'get_test_dataset_cfg', 'run_test'
]

FC_WEIGHT = 'cls_head.fc.weight'


def load_checkpoint_state(path: str) -> Tuple[Dict, Dict]:
    """Read a checkpoint on the CPU.

    Args:
        path (str): An mmengine checkpoint (``epoch_N.pth``).

    Returns:
        tuple[dict, dict]: Its ``state_dict`` (tensors by name) and its
        ``meta`` (empty when absent).
    """
    from mmengine.runner import CheckpointLoader

    import aclnet_plugin  # noqa: F401  (torch.load of mmengine checkpoints)
    if not osp.isfile(path):
        raise FileNotFoundError(f'{path}: no such checkpoint file')
    try:
        checkpoint = CheckpointLoader.load_checkpoint(path, 'cpu')
    except Exception as error:  # a truncated or foreign file
        raise ValueError(f'{path}: not a readable checkpoint ({error})')
    if not isinstance(checkpoint, dict):
        raise ValueError(f'{path}: not an mmengine checkpoint (a '
                         f'{type(checkpoint).__name__}, not a dict)')
    state = checkpoint.get('state_dict', checkpoint)
    state = {(k[len('module.'):] if k.startswith('module.') else k): v
             for k, v in state.items()}
    return state, dict(checkpoint.get('meta') or {})


def checkpoint_epoch(meta: Dict) -> Optional[int]:
    """The training epoch a checkpoint was saved at (None if unknown)."""
    epoch = meta.get('epoch')
    return None if epoch is None else int(epoch)


def checkpoint_num_classes(state: Dict, path: str) -> int:
    """The number of classes of a recognizer checkpoint's classifier.

    Args:
        state (dict): Its state dict.
        path (str): The file, for the message.

    Returns:
        int: The rows of ``cls_head.fc.weight``.
    """
    if FC_WEIGHT not in state:
        raise ValueError(
            f'{path}: no {FC_WEIGHT!r} in its state_dict; is it a '
            'checkpoint of a skeleton recognizer (GCNHead or '
            'AffinityContrastHead)?')
    return int(state[FC_WEIGHT].shape[0])


def config_num_classes(cfg, path: str) -> int:
    """``model.cls_head.num_classes`` of a config, or a clear error."""
    try:
        return int(cfg.model.cls_head.num_classes)
    except (AttributeError, KeyError, TypeError):
        raise ValueError(f'{path}: the config has no '
                         'model.cls_head.num_classes')


def check_num_classes(cfg, config_path: str, state: Dict,
                      checkpoint_path: str) -> int:
    """Check a checkpoint's classifier against its config.

    Args:
        cfg (Config): The config.
        config_path (str): Its file, for the message.
        state (dict): The checkpoint's state dict.
        checkpoint_path (str): Its file, for the message.

    Returns:
        int: The number of classes both agree on.
    """
    expected = config_num_classes(cfg, config_path)
    found = checkpoint_num_classes(state, checkpoint_path)
    if found != expected:
        raise ValueError(
            f'{checkpoint_path} was trained for {found} classes (its '
            f'{FC_WEIGHT} has {found} rows), but {config_path} has '
            f'num_classes={expected}: is it a checkpoint of another dataset '
            'or config?')
    return found


def check_state_dict(model, state: Dict, checkpoint_path: str,
                     config_path: str,
                     allow_missing: Sequence[str] = ()) -> None:
    """Check a checkpoint fits a built model: same names, same shapes.

    Args:
        model (nn.Module): The model built from the config.
        state (dict): The checkpoint's state dict.
        checkpoint_path (str): The checkpoint, for the message.
        config_path (str): The config, for the message.
        allow_missing (Sequence[str]): Prefixes of model entries the
            checkpoint may lack (e.g. ``'cls_head.projector'`` when a
            ``GCNHead`` checkpoint is read into an ``AffinityContrastHead``).
            Defaults to ().
    """
    own = model.state_dict()
    mismatched = [
        f'{k} {tuple(state[k].shape)} vs {tuple(v.shape)}'
        for k, v in own.items()
        if k in state and tuple(state[k].shape) != tuple(v.shape)
    ]
    missing = [
        k for k in own
        if k not in state and not any(k.startswith(p) for p in allow_missing)
    ]
    if mismatched or missing:
        problems = []
        if mismatched:
            problems.append(f'{len(mismatched)} entries of another shape '
                            f'(checkpoint vs config): '
                            f'{", ".join(mismatched[:4])}')
        if missing:
            problems.append(f'{len(missing)} entries missing: '
                            f'{", ".join(missing[:4])}')
        raise ValueError(
            f'{checkpoint_path} does not fit the model of {config_path}: '
            + '; '.join(problems) + '. Was it trained with this config?')


def _names_from_file(path: str) -> Optional[List[str]]:
    if not osp.isfile(path):
        return None
    with open(path) as f:
        return [line.strip() for line in f if line.strip()]


def config_class_names(cfg, num_classes: int) -> Optional[List[str]]:
    """Class names a config gives, or None.

    Looked for in order: a top-level ``class_names`` (a list, or a text file
    of one name a line), the ``class_names`` of a ``MotionFamilyHook`` in
    ``custom_hooks``, the test dataset's ``metainfo['classes']``.

    Args:
        cfg (Config): The config.
        num_classes (int): The expected count; names of another count are
            ignored (None).

    Returns:
        list[str] | None: The names.
    """
    candidates = [cfg.get('class_names')]
    for hook in cfg.get('custom_hooks') or []:
        if hook.get('type') == 'MotionFamilyHook':
            candidates.append(hook.get('class_names'))
    try:
        metainfo = get_test_dataset_cfg(cfg).get('metainfo') or {}
        candidates.append(metainfo.get('classes'))
    except ValueError:
        pass
    for names in candidates:
        if isinstance(names, str):
            names = _names_from_file(names)
        if names is not None and len(names) == num_classes:
            return [str(n) for n in names]
    return None


def resolve_class(token, names: Sequence[str], what: str) -> int:
    """A class index from an index or a name (case-insensitive).

    Args:
        token (str | int): ``'3'``, ``3`` or ``'open_juice_bottle'``.
        names (Sequence[str]): The class names.
        what (str): The option, for the message (e.g. ``'--class'``).

    Returns:
        int: The class index.
    """
    token = str(token).strip()
    if token.lstrip('-').isdigit():
        index = int(token)
        if not 0 <= index < len(names):
            raise ValueError(f'{what}: class index {index} outside '
                             f'0..{len(names) - 1}')
        return index
    lowered = [str(n).lower() for n in names]
    if token.lower() in lowered:
        return lowered.index(token.lower())
    more = ', ...' if len(names) > 12 else ''
    raise ValueError(f'{what}: no class named {token!r} (classes: '
                     f'{", ".join(map(str, names[:12]))}{more})')


def get_test_dataset_cfg(cfg):
    """The dataset dict of ``cfg.test_dataloader`` that holds the pipeline.

    Dataset wrappers (``RepeatDataset``, ...) are looked through.
    """
    loader = cfg.get('test_dataloader')
    if not loader or 'dataset' not in loader:
        raise ValueError('the config has no test_dataloader.dataset')
    dataset = loader['dataset']
    while 'pipeline' not in dataset and 'dataset' in dataset:
        dataset = dataset['dataset']
    if 'pipeline' not in dataset:
        raise ValueError('the test dataset of the config has no pipeline')
    return dataset


def run_test(cfg,
             checkpoint: str,
             work_dir: str,
             config_path: str,
             state: Optional[Dict] = None,
             evaluator: Optional[List[Dict]] = None,
             name: str = 'analysis',
             allow_missing: Sequence[str] = (),
             log_level: str = 'WARNING') -> Dict:
    """Test a checkpoint with mmengine's ``Runner`` (``load_from``).

    The model is built, checked against the checkpoint
    (:func:`check_state_dict`), then tested.

    Args:
        cfg (Config): The config (not modified).
        checkpoint (str): The checkpoint.
        work_dir (str): The runner's work folder (logs).
        config_path (str): The config's file, for messages.
        state (dict, optional): The checkpoint's state dict, when already
            read. Defaults to None (read here).
        evaluator (list[dict], optional): Replaces ``test_evaluator``.
            Defaults to None.
        name (str): Experiment name prefix (made unique, so that several
            runners in one process keep separate loggers). Defaults to
            ``'analysis'``.
        allow_missing (Sequence[str]): See :func:`check_state_dict`.
        log_level (str): The runner's log level. Defaults to ``'WARNING'``.

    Returns:
        dict: The metrics of ``Runner.test()``.
    """
    from mmengine.model import is_model_wrapper
    from mmengine.runner import Runner
    cfg = copy.deepcopy(cfg)
    cfg.load_from = checkpoint
    cfg.resume = False
    cfg.work_dir = work_dir
    cfg.log_level = log_level
    cfg.experiment_name = f'{name}_{uuid.uuid4().hex[:8]}'
    if evaluator is not None:
        cfg.test_evaluator = evaluator
    runner = Runner.from_cfg(cfg)
    if state is None:
        state = load_checkpoint_state(checkpoint)[0]
    model = runner.model.module if is_model_wrapper(
        runner.model) else runner.model
    check_state_dict(model, state, checkpoint, config_path, allow_missing)
    return runner.test()
