"""The local engine on the real SmolLM2 model: a response depends on its request alone."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from conftest import REPO
from personascope.engines import ChatRequest, Sampling, open_engine


@pytest.fixture(scope="module")
def smollm2():
    registry = yaml.safe_load((REPO / "config/models.yaml").read_text())["models"]
    engine = open_engine("smollm2-135m", registry["smollm2-135m"], cache_dir=None)
    yield engine
    engine.close()


def ask(text: str, temperature: float = 0.0) -> ChatRequest:
    return ChatRequest.of(
        [
            {"role": "system", "content": "You are a helpful assistant. Answer briefly."},
            {"role": "user", "content": text},
        ],
        Sampling(temperature=temperature, max_tokens=24),
    )


def test_output_does_not_depend_on_what_ran_before(smollm2) -> None:
    first = ask("Name a color.")
    other = ask("What is the capital of France?")
    alone = smollm2.generate([first])[0].text
    after_other = smollm2.generate([other, first])[1].text
    assert alone.strip()
    assert after_other == alone


def test_sampled_output_is_seeded_per_request(smollm2) -> None:
    hot = ask("Invent a name for a cat.", temperature=0.9)
    texts = {smollm2.generate([ask(f"Say {i}."), hot])[1].text for i in range(3)}
    assert len(texts) == 1


def test_a_prompt_beyond_the_context_is_refused(tmp_path: Path) -> None:
    registry = yaml.safe_load((REPO / "config/models.yaml").read_text())["models"]
    entry = {
        **registry["smollm2-135m"],
        "options": {**registry["smollm2-135m"]["options"], "n_ctx": 256},
    }
    engine = open_engine("tiny-context", entry, cache_dir=None)
    with pytest.raises(ValueError, match="exceeds the context of 256 tokens"):
        engine.generate([ask("word " * 400)])
