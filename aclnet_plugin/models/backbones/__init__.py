from .aclnet_gcn import ACLNetGCN
from .ctrgcn import CTRGCN

__all__ = ['ACLNetGCN', 'CTRGCN']
