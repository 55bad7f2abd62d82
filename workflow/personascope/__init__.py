"""personascope: rebuild LLM persona studies (PersonaLens, Persistent Personas, PersonaGym)."""

__version__ = "0.1.0"
