import os

from hypothesis import HealthCheck, settings

settings.register_profile("ci", max_examples=60, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("deep", max_examples=1000, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

# Keys are cross-checked with torch in every test (and in the processes tests start): the
# record of confirmed keys (handcalc.exercises.confirmed) is tested on its own, in
# tests/test_confirmed.py, with a folder of its own.
os.environ["HANDCALC_NO_CACHE"] = "1"
