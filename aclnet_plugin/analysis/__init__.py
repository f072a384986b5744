"""Pieces of the analysis tools (``tools/analysis/``) worth testing alone.

Pure functions for the paper's analyses (difficulty groups, confusion
matrices, Motion Family churn) and the checks the tools make before they
run a checkpoint. Nothing here is registered or imported by
``aclnet_plugin`` itself.
"""
from .difficulty import (PAPER_FRACTIONS, confusion_counts, difficulty_groups,
                         difficulty_table, row_normalise)
from .families import family_churn, family_folder, load_family_records
from .runs import (check_num_classes, check_state_dict, checkpoint_epoch,
                   checkpoint_num_classes, config_class_names,
                   config_num_classes, get_test_dataset_cfg,
                   load_checkpoint_state, resolve_class, run_test)

__all__ = [
    'PAPER_FRACTIONS', 'confusion_counts', 'difficulty_groups',
    'difficulty_table', 'row_normalise', 'family_churn', 'family_folder',
    'load_family_records', 'check_num_classes', 'check_state_dict',
    'checkpoint_epoch', 'checkpoint_num_classes', 'config_class_names',
    'config_num_classes', 'get_test_dataset_cfg', 'load_checkpoint_state',
    'resolve_class', 'run_test'
]
