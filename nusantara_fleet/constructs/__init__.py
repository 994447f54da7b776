"""The construct library: one module per Kubernetes concept, each rendering only what the model says.

This package lives inside `nusantara_fleet` on purpose: a top-level package named `constructs`
would shadow the `constructs` library that cdk8s itself imports.
"""
