"""Imported at start-up by every Python the tests run (``tests/helpers`` is
on their ``PYTHONPATH``; ``conftest.py`` applies it in the test process).

mmengine formats every config it logs or dumps with yapf: 2-3 s a time on a
2-core machine, most of a tiny test training. The tests need the configs
read, not pretty, so the formatting is skipped; the text stays the valid
Python mmengine writes before formatting it.
"""


def format_code(text, **kwargs):
    """yapf's ``FormatCode`` without the formatting: ``(text, changed)``."""
    return text, False


try:
    from yapf.yapflib import yapf_api
except ImportError:  # pragma: no cover
    pass
else:
    yapf_api.FormatCode = format_code
