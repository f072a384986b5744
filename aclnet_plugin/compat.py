"""Compatibility fixes for the MMAction2 1.2.0 / mmengine 0.10.7 / torch 2.x stack.

Importing :mod:`aclnet_plugin` runs :func:`apply_all` before anything from
``mmaction.models`` is imported. Each fix is narrow and leaves a stack that
does not need it untouched.

1. The mmaction2 1.2.0 wheel lacks ``mmaction/models/localizers/drn``
   (upstream issue #2714), so ``import mmaction.models`` fails. When, and only
   when, that folder is missing, a placeholder module is put in its place: DRN
   (a video grounding model) then raises a clear error if built; every other
   model works.
2. torch >= 2.6 loads checkpoints with ``weights_only=True`` by default, and
   mmengine 0.10.7 resume checkpoints hold a ``HistoryBuffer`` and numpy
   arrays and scalars (mmengine #1655). Instead of switching weights-only
   loading off, the exact classes such a checkpoint needs are allow-listed.
   The buffer's statistics methods are pickled as
   ``getattr(HistoryBuffer, 'min')``; rather than allowing ``getattr`` on
   anything, the checkpoint's ``getattr`` resolves to
   :func:`history_buffer_getattr`, which allows exactly those look-ups.
3. ``--launcher pytorch`` on CPU (gloo): mmengine calls
   ``torch.cuda.set_device(LOCAL_RANK)``, which a CPU-only torch build
   cannot run (it has no ``torch._C._cuda_setDevice``), and wraps the model
   in ``MMDistributedDataParallel(device_ids=[LOCAL_RANK])``, which torch
   rejects for a CPU module. On a CPU-only build ``set_device`` becomes a
   no-op, and ``device_ids`` is dropped for modules on the CPU; a GPU run
   is untouched.
4. mmaction's ``PoseDataset`` fails on a bad annotation file with a bare
   ``KeyError: 'split'`` or a pickle error that names neither the file nor
   the field, while the dataset is built, before any hook can check it; an
   empty split (or one none of whose clips has an annotation) loads as an
   empty list, on which mmengine fails with ``ValueError: need at least
   one array to concatenate``. When loading fails or selects nothing,
   :func:`~aclnet_plugin.datasets.check.explain_load_failure` reads the
   file and raises an error that names it, the split and what is wrong; if
   it finds nothing, the original error stands (or the empty list is
   returned). A file that loads samples is untouched.
5. mmengine loads a local checkpoint with a bare ``torch.load``: a truncated
   or corrupt file fails with a zip-reader error, and one that holds a
   pickled object outside the allow-list of item 2 with torch's
   weights-only error, neither naming the file. The local loader is
   wrapped so that both name it and say what is wrong; the refusal itself
   is torch's (nothing outside the allow-list is unpickled).
6. mmaction's ``format_label`` takes a class index as an ``int``, a tensor
   or a numpy array, but not as a numpy integer scalar (``numpy.int64``,
   what numpy and pandas converters write into a PySKL file): packing such
   a sample fails in the first iteration with ``TypeError: Type <class
   'numpy.int64'> is not an available label type``. A numpy integer
   scalar is passed on as the ``int`` it holds; any other value goes to
   mmaction's function unchanged.
"""
import importlib.util
import os.path as osp
import pickle
import sys
import types

_DRN_PACKAGE = 'mmaction.models.localizers.drn'
# HistoryBuffer's built-in statistics (registered lazily by its __init__).
_HISTORY_STATISTICS = frozenset({'min', 'max', 'current', 'mean'})


def mmaction_has_drn() -> bool:
    """Whether the installed mmaction2 ships its DRN localizer package.

    Decided from the files, without importing ``mmaction.models`` (the import
    that fails when the package is missing).
    """
    spec = importlib.util.find_spec('mmaction')
    if spec is None or not spec.submodule_search_locations:
        return True  # no mmaction at all: nothing to patch
    root = list(spec.submodule_search_locations)[0]
    return osp.exists(osp.join(root, 'models', 'localizers', 'drn',
                               '__init__.py'))


class _MissingDRN:
    """Stand-in for mmaction's DRN when the installed wheel lacks it."""

    def __init__(self, *args, **kwargs):
        raise ImportError(
            'DRN is not available: the installed mmaction2 package lacks '
            '`mmaction/models/localizers/drn` (mmaction2 issue #2714). '
            'aclnet_plugin put a placeholder there so that the other models '
            'import; install mmaction2 from source to use DRN.')


def patch_missing_drn() -> bool:
    """Make ``import mmaction.models`` work when the DRN package is missing.

    Returns:
        bool: True if the placeholder was installed, False if not needed.
    """
    if _DRN_PACKAGE in sys.modules or mmaction_has_drn():
        return False
    package = types.ModuleType(_DRN_PACKAGE)
    package.__path__ = []  # a package, so that `.drn.drn` resolves
    package.__doc__ = 'Placeholder installed by aclnet_plugin.compat.'
    module = types.ModuleType(_DRN_PACKAGE + '.drn')
    module.DRN = _MissingDRN
    package.drn = module
    package.DRN = _MissingDRN
    sys.modules[_DRN_PACKAGE] = package
    sys.modules[_DRN_PACKAGE + '.drn'] = module
    return True


def history_buffer_getattr(obj, name: str):
    """``getattr`` for weights-only loads, limited to HistoryBuffer statistics.

    Raises:
        pickle.UnpicklingError: For any other object or attribute.
    """
    from mmengine.logging import HistoryBuffer
    allowed = _HISTORY_STATISTICS.union(HistoryBuffer._statistics_methods)
    if obj is HistoryBuffer and name in allowed:
        return getattr(obj, name)
    raise pickle.UnpicklingError(
        f'weights-only load refused getattr({obj!r}, {name!r}): only the '
        'statistics methods of mmengine HistoryBuffer are allowed')


def checkpoint_safe_globals() -> list:
    """The classes an mmengine 0.10 checkpoint holds beyond plain tensors."""
    import numpy as np
    from mmengine.logging import HistoryBuffer

    try:  # numpy >= 2
        from numpy._core.multiarray import _reconstruct, scalar
    except ImportError:  # numpy 1.x
        from numpy.core.multiarray import _reconstruct, scalar
    dtype_classes = {
        type(np.dtype(name))
        for name in ('bool', 'int8', 'int16', 'int32', 'int64', 'uint8',
                     'float16', 'float32', 'float64')
    }
    return [HistoryBuffer, np.ndarray, np.dtype, _reconstruct, scalar,
            *sorted(dtype_classes, key=lambda cls: cls.__name__),
            (history_buffer_getattr, 'builtins.getattr')]


def allow_mmengine_checkpoints() -> bool:
    """Let ``torch.load(weights_only=True)`` read mmengine resume checkpoints.

    Returns:
        bool: True if classes were allow-listed, False on torch without
        ``torch.serialization.add_safe_globals`` (torch < 2.4, which loads
        with ``weights_only=False`` by default anyway).
    """
    import torch
    add_safe_globals = getattr(torch.serialization, 'add_safe_globals',
                               None)
    if add_safe_globals is None:
        return False
    add_safe_globals(checkpoint_safe_globals())
    return True


def allow_cpu_set_device() -> bool:
    """Make ``torch.cuda.set_device`` a no-op on a CPU-only torch build.

    Returns:
        bool: True if patched (now or before), False on a CUDA build.
    """
    import torch
    if hasattr(torch._C, '_cuda_setDevice'):
        return False
    if not getattr(torch.cuda.set_device, '_aclnet_cpu_noop', False):

        def set_device(device) -> None:
            """No CUDA in this torch build: nothing to select."""

        set_device._aclnet_cpu_noop = True
        torch.cuda.set_device = set_device
    return True


def allow_cpu_ddp() -> None:
    """Drop ``device_ids`` when mmengine wraps a CPU module in DDP."""
    from mmengine.model import MMDistributedDataParallel
    init = MMDistributedDataParallel.__init__
    if getattr(init, '_aclnet_cpu_ddp', False):
        return

    def __init__(self, module, detect_anomalous_params=False, **kwargs):
        first = next(module.parameters(), None)
        if first is not None and first.device.type == 'cpu':
            kwargs['device_ids'] = None
        init(self, module, detect_anomalous_params, **kwargs)

    __init__._aclnet_cpu_ddp = True
    MMDistributedDataParallel.__init__ = __init__


def explain_pose_dataset_errors() -> None:
    """Name the file and the problem when ``PoseDataset`` cannot load it."""
    from mmaction.datasets import PoseDataset
    load = PoseDataset.load_data_list
    if getattr(load, '_aclnet_explained', False):
        return

    def load_data_list(self):
        from .datasets.check import explain_load_failure
        try:
            data_list = load(self)
        except Exception:
            explain_load_failure(self.ann_file, self.split)
            raise
        if isinstance(data_list, list) and not data_list:
            explain_load_failure(self.ann_file, self.split)
        return data_list

    load_data_list._aclnet_explained = True
    load_data_list.__doc__ = load.__doc__
    PoseDataset.load_data_list = load_data_list


def name_bad_checkpoints() -> None:
    """Make mmengine's local checkpoint loader name a file it cannot read."""
    from mmengine.runner.checkpoint import CheckpointLoader, load_from_local
    if getattr(CheckpointLoader._schemes.get(''), '_aclnet_named', False):
        return

    def load_local(filename, map_location):
        try:
            return load_from_local(filename, map_location)
        except FileNotFoundError:
            raise
        except pickle.UnpicklingError as error:
            # torch names the class it refused ('Unsupported global: ...'
            # or 'unsupported GLOBAL ...'); anything else is a broken file
            refused = [line.strip() for line in str(error).splitlines()
                       if 'unsupported global' in line.lower()]
            if not refused:
                raise RuntimeError(
                    f'{filename}: not a readable checkpoint, it may be '
                    f'truncated or corrupt ({error})') from error
            reason = refused[0]
            raise pickle.UnpicklingError(
                f'{filename}: refused: the checkpoint holds a pickled object '
                'outside the allow-list of types a checkpoint may hold, '
                f'which could run code ({reason}). Load only checkpoints '
                'you trust.') from error
        except Exception as error:  # zip reader, EOF, wrong format
            raise RuntimeError(
                f'{filename}: not a readable checkpoint, it may be truncated '
                f'or corrupt ({type(error).__name__}: {error})') from error

    load_local._aclnet_named = True
    CheckpointLoader._register_scheme('', load_local, force=True)


def accept_numpy_integer_labels() -> None:
    """Let mmaction's ``format_label`` take numpy integer scalars."""
    import numpy as np
    from mmaction.structures import action_data_sample as module
    original = module.format_label
    if getattr(original, '_aclnet_numpy', False):
        return

    def format_label(value):
        if isinstance(value, np.integer):
            value = int(value)
        return original(value)

    format_label._aclnet_numpy = True
    format_label.__doc__ = original.__doc__
    module.format_label = format_label


def apply_all() -> None:
    """Apply every compatibility fix (idempotent)."""
    patch_missing_drn()
    allow_mmengine_checkpoints()
    allow_cpu_set_device()
    allow_cpu_ddp()
    explain_pose_dataset_errors()
    name_bad_checkpoints()
    accept_numpy_integer_labels()
