"""Settings modules: `base` (development and tests, from the environment) and `production`.

The package itself imports nothing, so `production` can set its defaults before `base` runs.
"""
