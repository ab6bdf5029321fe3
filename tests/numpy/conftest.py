import os
import sys

# tests run with --import-mode=importlib; make this folder's helper module importable
sys.path.insert(0, os.path.dirname(__file__))
