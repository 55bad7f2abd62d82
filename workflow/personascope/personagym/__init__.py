"""PersonaGym (Samuel et al., EMNLP Findings 2025): PersonaScore end to end, two judges.

Stages, each a folder of results/personagym/ and a module here: questions, answers, examples,
grading, scores, tables, figures; the protocol sheet (protocol.py) says what would run.
"""
