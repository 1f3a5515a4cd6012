"""The first lines of a script run as the base download runs (issue 31): a meta-path
blocker makes torch, and what only torch needs, impossible to import. Tests put it at the
top of the script they run in a Python of its own (tests/core/test_without_torch.py,
tests/app/gui/test_gui_without_torch.py)."""

BLOCK_TORCH = r'''
import importlib.abc, sys

BLOCKED = {"torch", "transformers", "sympy", "networkx", "safetensors", "torchgen", "functorch"}


class NoTorch(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in BLOCKED:
            raise ModuleNotFoundError(f"No module named {name!r} (the base download)", name=name)
        return None


sys.meta_path.insert(0, NoTorch())
'''
