"""The deterministic demo business, Kasi Kitchen & Catering: `accord.demo.loader.load_demo` loads it.

Nothing is re-exported here, so that importing the demo's tables (accord.demo.models) stays light.
"""
