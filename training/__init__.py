"""Fine-tuning for the optimizer's local model: datasets, LoRA SFT, DPO, GGUF export, and Code-Optimise's data steps.

``python -m training <command>`` runs one step; each command lives in its own module (see :mod:`training.cli`).
Module top levels import neither torch nor transformers, so the CLI starts fast and ``--help`` costs nothing.
"""
