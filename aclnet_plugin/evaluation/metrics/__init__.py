from .retrieval_metric import EmbeddingRetrievalMetric, format_gait_table

__all__ = ['EmbeddingRetrievalMetric', 'format_gait_table']
