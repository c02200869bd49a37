"""The benchmark: `bench/evaluate.py` (the program's evaluation cost) and `bench/undo.py` (the modelled undo)."""
