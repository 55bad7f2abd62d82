"""What a config will cost before it runs: requests, tokens, GPU-hours and API spend per model.

Each study contributes its own estimator, `personascope.<study>.estimate.estimate(config, ctx)`,
returning one `Tally` per (stage, model). The plan adds them up, prices them (GPU-hours from the
per-size-class throughput table in config `plan.throughput`, API cost from each registry entry's
`price`) and prints the priors every estimator used. `plan --measured` puts the jobs' own
`usage.json` counts beside the estimate. No model is called.
"""
