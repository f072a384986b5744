"""A weight initializer for ``init_cfg``: PyTorch's own initialisation."""
from mmengine.model.weight_init import (BaseInit, _get_bases_name,
                                        update_init_info)
from mmengine.registry import WEIGHT_INITIALIZERS


@WEIGHT_INITIALIZERS.register_module(name='PyTorchDefault')
class PyTorchDefaultInit(BaseInit):
    """Give layers PyTorch's default initialisation again
    (``reset_parameters()``), e.g. after a broader ``init_cfg`` entry::

        init_cfg = [dict(type='Normal', layer='Linear', std=0.01),
                    dict(type='PyTorchDefault', override=dict(name='proj'))]

    so that mmengine's initialisation log says what the weights hold.

    Args:
        layer (str | list[str], optional): Layer types to reset (all their
            submodules with a ``reset_parameters``). Defaults to None
            (only the modules an ``override`` names).
    """

    def __init__(self, layer=None):
        super().__init__(layer=layer)

    def __call__(self, module):

        def reset(m):
            if hasattr(m, 'reset_parameters'):
                m.reset_parameters()

        def init(m):
            if self.wholemodule or set(self.layer) & set(
                    [m.__class__.__name__] + _get_bases_name(m)):
                m.apply(reset)

        if self.wholemodule:
            module.apply(reset)
        else:
            module.apply(init)
        if hasattr(module, '_params_init_info'):
            update_init_info(module, init_info=self._get_init_info())

    def _get_init_info(self):
        return (f'{self.__class__.__name__}: PyTorch\'s own initialisation '
                '(reset_parameters)')
