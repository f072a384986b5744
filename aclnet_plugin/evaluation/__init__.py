from .dumps import accuracies, load_dump, per_class_accuracy
from .metrics import EmbeddingRetrievalMetric
from .retrieval import (casia_b_gait_table, mean_by_group, reid_settings,
                        retrieval_scores)

__all__ = [
    'accuracies', 'load_dump', 'per_class_accuracy',
    'EmbeddingRetrievalMetric', 'casia_b_gait_table', 'mean_by_group',
    'reid_settings', 'retrieval_scores'
]
