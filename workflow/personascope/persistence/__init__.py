"""Persistent Personas (Luz de Araujo et al., EACL 2026): role-play fidelity, instruction
following and safety of persona-assigned models over 100+ round dialogues.

inputs -> dialogues -> conditioned -> judge / ifbench -> ratings (-> statistics, figures: part B).
"""
