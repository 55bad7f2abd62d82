"""Study L: PersonaLens, personalization in task-oriented dialogues."""
