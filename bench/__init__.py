"""Benchmarks of the appliance on this host (`make bench`); results go to build/bench/*.json."""
