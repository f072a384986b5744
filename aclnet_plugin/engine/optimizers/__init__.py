from .skip_non_finite import SkipNonFiniteOptimWrapper

__all__ = ['SkipNonFiniteOptimWrapper']
