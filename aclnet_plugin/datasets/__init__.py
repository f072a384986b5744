from .demo_skeleton import (DEMO_CLASSES, DEMO_GROUPS, TWO_PERSON_CLASSES,
                            generate_demo_annotations, write_demo_dataset)

__all__ = [
    'DEMO_CLASSES', 'DEMO_GROUPS', 'TWO_PERSON_CLASSES',
    'generate_demo_annotations', 'write_demo_dataset'
]
