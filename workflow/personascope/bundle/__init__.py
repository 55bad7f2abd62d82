"""The exact reproduction bundle (issue #16): `snakemake bundle` packs it (assemble.py),
`python -m personascope rebuild BUNDLE` verifies, unpacks and rebuilds it (rebuild.py); the file
format and its verification are in archive.py."""
