from .dumps import accuracies, load_dump, per_class_accuracy

__all__ = ['accuracies', 'load_dump', 'per_class_accuracy']
